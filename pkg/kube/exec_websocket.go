package kube

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	gwebsocket "github.com/gorilla/websocket"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/remotecommand"
	utilexec "k8s.io/client-go/util/exec"
)

// The read side of client-go's WebSocket exec (tools/remotecommand/websocket.go, protocol v5),
// for commands without stdin or TTY. client-go's executor cannot be given a TLS config (see
// execDialer); this one also writes each message straight into stdout instead of through a
// pipe and a copying goroutine per stream, which a 50 MB dump notices.

const (
	v5Protocol = remotecommand.StreamProtocolV5Name
	// Heartbeat as client-go: a ping every period; no pong for pongWait ends the read.
	pingPeriod = 5 * time.Second
	pongWait   = 12*pingPeriod + time.Second
	// wsCopyBuffer matches the read buffer client-go gives the connection.
	wsCopyBuffer = 32 << 10
	// maxStatus bounds the error channel: one metav1.Status.
	maxStatus = 1 << 20
)

// streamWebSocket demultiplexes the connection into stdout and stderr until the server closes
// it, and returns what the error channel said (nil for success, a utilexec.CodeExitError for
// a non-zero exit). Errors read as client-go's do, so callers classify them the same way.
func streamWebSocket(ctx context.Context, conn *gwebsocket.Conn, stdout, stderr io.Writer) error {
	defer conn.Close()
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-ctx.Done():
			_ = conn.Close() // unblocks the read below
		case <-done:
		}
	}()
	go heartbeat(conn, done)
	if err := conn.SetReadDeadline(time.Now().Add(pongWait)); err != nil {
		return err
	}
	conn.SetPongHandler(func(string) error { return conn.SetReadDeadline(time.Now().Add(pongWait)) })

	out := [3]io.Writer{nil, stdout, stderr} // by channel: 1 stdout, 2 stderr
	var status []byte
	buf := make([]byte, wsCopyBuffer)
	for {
		typ, r, err := conn.NextReader()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			var ce *gwebsocket.CloseError
			if errors.As(err, &ce) && ce.Code == gwebsocket.CloseNormalClosure {
				return decodeStatus(status)
			}
			return fmt.Errorf("error reading from error stream: next reader: %w", err)
		}
		if typ != gwebsocket.BinaryMessage {
			return fmt.Errorf("error reading from error stream: unexpected message type: %d", typ)
		}
		if _, err := io.ReadFull(r, buf[:1]); err != nil {
			return fmt.Errorf("error reading from error stream: read stream id: %w", err)
		}
		switch id := buf[0]; {
		case id == remotecommand.StreamErr:
			b, err := io.ReadAll(io.LimitReader(r, maxStatus-int64(len(status))))
			status = append(status, b...)
			if err != nil {
				return fmt.Errorf("error reading from error stream: read message: %w", err)
			}
		case int(id) < len(out) && out[id] != nil:
			if err := copyMessage(out[id], r, buf); err != nil {
				return err
			}
		}
		// Other channels (a stream we did not open) are skipped by the next NextReader.
	}
}

// copyMessage writes one message into w. A writer that fails (the reader stopped) drops the
// rest, as client-go does; the command's exit status still arrives.
func copyMessage(w io.Writer, r io.Reader, buf []byte) error {
	for {
		n, err := r.Read(buf)
		if n > 0 && w != nil {
			if _, werr := w.Write(buf[:n]); werr != nil {
				w = nil
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("error reading from error stream: read message: %w", err)
		}
	}
}

func heartbeat(conn *gwebsocket.Conn, done <-chan struct{}) {
	t := time.NewTicker(pingPeriod)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-t.C:
			// A failed ping is not an error here: the read deadline decides.
			_ = conn.WriteControl(gwebsocket.PingMessage, nil, time.Now().Add(pongWait))
		}
	}
}

// decodeStatus is client-go's errorDecoderV4: the error channel carries a metav1.Status.
func decodeStatus(message []byte) error {
	if len(message) == 0 {
		return nil
	}
	var status metav1.Status
	if err := json.Unmarshal(message, &status); err != nil {
		return fmt.Errorf("error stream protocol error: %v in %q", err, string(message))
	}
	switch status.Status {
	case metav1.StatusSuccess:
		return nil
	case metav1.StatusFailure:
		if status.Reason != remotecommand.NonZeroExitCodeReason {
			return errors.New(status.Message)
		}
		if status.Details == nil {
			return errors.New("error stream protocol error: details must be set")
		}
		for _, c := range status.Details.Causes {
			if c.Type != remotecommand.ExitCodeCauseType {
				continue
			}
			rc, err := strconv.ParseUint(c.Message, 10, 8)
			if err != nil {
				return fmt.Errorf("error stream protocol error: invalid exit code value %q", c.Message)
			}
			return utilexec.CodeExitError{Err: fmt.Errorf("command terminated with exit code %d", rc), Code: int(rc)}
		}
		return fmt.Errorf("error stream protocol error: no %s cause given", remotecommand.ExitCodeCauseType)
	}
	return errors.New("error stream protocol error: unknown error")
}
