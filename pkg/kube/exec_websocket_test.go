package kube

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	gwebsocket "github.com/gorilla/websocket"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/remotecommand"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// execServer is an API server's pods/exec over WebSocket (v5), answering with the messages
// of the pod named in the request, and recording which connections resumed a TLS session.
type execServer struct {
	*httptest.Server
	mu      sync.Mutex
	resumed []bool
	spdy    int // SPDY upgrade requests (after a refused WebSocket)
}

func newExecServer(t *testing.T) *execServer {
	s := &execServer{}
	up := gwebsocket.Upgrader{Subprotocols: []string{v5Protocol}}
	s.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.resumed = append(s.resumed, r.TLS.DidResume)
		if strings.EqualFold(r.Header.Get("Upgrade"), "SPDY/3.1") {
			s.spdy++
		}
		s.mu.Unlock()
		pod := strings.Split(r.URL.Path, "/")[6] // /api/v1/namespaces/NS/pods/POD/exec
		if pod == "refuses-websocket" || !gwebsocket.IsWebSocketUpgrade(r) {
			http.Error(w, "no", http.StatusBadRequest)
			return
		}
		conn, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer conn.Close()
		send := func(ch byte, s string) { _ = conn.WriteMessage(gwebsocket.BinaryMessage, append([]byte{ch}, s...)) }
		send(remotecommand.StreamStdOut, "hello ")
		send(remotecommand.StreamStdErr, "a warning\n")
		send(remotecommand.StreamStdOut, "world\n")
		switch pod {
		case "breaks":
			return // no status, no close frame: the stream was cut
		case "exits-3":
			st, _ := json.Marshal(metav1.Status{Status: metav1.StatusFailure, Reason: remotecommand.NonZeroExitCodeReason,
				Details: &metav1.StatusDetails{Causes: []metav1.StatusCause{{Type: remotecommand.ExitCodeCauseType, Message: "3"}}}})
			send(remotecommand.StreamErr, string(st))
		default:
			st, _ := json.Marshal(metav1.Status{Status: metav1.StatusSuccess})
			send(remotecommand.StreamErr, string(st))
		}
		_ = conn.WriteMessage(gwebsocket.CloseMessage, gwebsocket.FormatCloseMessage(gwebsocket.CloseNormalClosure, ""))
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *execServer) executor(t *testing.T, tr Transport) *PodExecutor {
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Certificate().Raw})
	cfg := &rest.Config{Host: s.URL, TLSClientConfig: rest.TLSClientConfig{CAData: ca}}
	kc, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &PodExecutor{Config: cfg, Client: kc, Transport: tr}
}

func run(p *PodExecutor, pod string) (string, string, error) {
	var out, errOut bytes.Buffer
	err := p.Exec(context.Background(), Target{Node: "n1", Namespace: "calico-system", Pod: pod, Container: "calico-node"},
		[]string{"calico-node", "-bpf", "conntrack", "dump"}, &out, &errOut)
	return out.String(), errOut.String(), err
}

func TestWebSocketExecStreamsAndResumesTLS(t *testing.T) {
	s := newExecServer(t)
	p := s.executor(t, TransportAuto)
	for i := 0; i < 3; i++ {
		out, errOut, err := run(p, "ok")
		if err != nil || out != "hello world\n" || errOut != "a warning\n" {
			t.Fatalf("exec %d: stdout %q stderr %q err %v", i, out, errOut, err)
		}
	}
	// The first connection makes the full handshake; the others resume its session.
	if want := []bool{false, true, true}; !equalBools(s.resumed, want) {
		t.Errorf("TLS resumed per connection: %v, want %v", s.resumed, want)
	}
}

func TestWebSocketExecExitCodeAndBrokenStream(t *testing.T) {
	s := newExecServer(t)
	p := s.executor(t, TransportWebSocket)
	_, _, err := run(p, "exits-3")
	var ee *ExecError
	if !errors.As(err, &ee) || ee.ExitCode != 3 || ee.Stderr != "a warning\n" || IsTransient(err) {
		t.Errorf("exit 3: %v (%+v)", err, ee)
	}
	out, _, err := run(p, "breaks")
	if !errors.As(err, &ee) || ee.ExitCode != -1 || !IsTransient(err) || out != "hello world\n" {
		t.Errorf("broken stream: %v, stdout %q", err, out)
	}
}

func TestWebSocketRefusedFallsBackToSPDY(t *testing.T) {
	s := newExecServer(t)
	if _, _, err := run(s.executor(t, TransportAuto), "refuses-websocket"); err == nil || s.spdy != 1 {
		t.Errorf("auto: err %v after %d SPDY attempts, want an error after one", err, s.spdy)
	}
	_, _, err := run(s.executor(t, TransportWebSocket), "refuses-websocket")
	if err == nil || !strings.Contains(err.Error(), "try --exec-transport=spdy") || s.spdy != 1 {
		t.Errorf("websocket only: %v (SPDY attempts %d)", err, s.spdy)
	}
	t.Setenv("KUBECTL_REMOTE_COMMAND_WEBSOCKETS", "false")
	if _, _, err := run(s.executor(t, TransportAuto), "ok"); err == nil || s.spdy != 2 {
		t.Errorf("websockets disabled: err %v, SPDY attempts %d, want 2", err, s.spdy)
	}
}

func equalBools(a, b []bool) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
