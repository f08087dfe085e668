package testbed

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
)

// DecodeAuditEvents streams the JSON lines of an audit log, calling fn for each event until it
// returns stop or an error. A last line without its newline is being written: it is left for
// the next read, not decoded. consumed is the length of the complete lines read, so that a
// reader can resume after them.
func DecodeAuditEvents(r io.Reader, fn func(AuditEvent) (stop bool, err error)) (consumed int64, err error) {
	br := bufio.NewReaderSize(r, 1<<20)
	for {
		line, err := br.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			return consumed, nil
		}
		if err != nil {
			return consumed, err
		}
		consumed += int64(len(line))
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var e AuditEvent
		if err := json.Unmarshal(line, &e); err != nil {
			return consumed, fmt.Errorf("audit log: byte %d: %w", consumed-int64(len(line)), err)
		}
		if stop, err := fn(e); stop || err != nil {
			return consumed, err
		}
	}
}

// auditCursor is a position in a growing audit log, after the last complete line read.
type auditCursor struct {
	path string
	file os.FileInfo // the file the offset is in; nil before the first read
	off  int64
}

// auditCursorAtEnd starts after everything already logged.
func auditCursorAtEnd(path string) (auditCursor, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return auditCursor{}, fmt.Errorf("no audit log (was the cluster created before the test bed enabled it? recreate it): %w", err)
	}
	return auditCursor{path: path, file: fi, off: fi.Size()}, nil
}

// next reads the complete lines logged since the cursor, calling fn for each until it says
// stop. When the log was rotated since, the rest of the old file (now a backup beside it) is
// read first.
func (c *auditCursor) next(fn func(AuditEvent) (bool, error)) (stopped bool, err error) {
	wrap := func(e AuditEvent) (bool, error) {
		s, err := fn(e)
		stopped = stopped || s
		return s, err
	}
	cur, err := os.Stat(c.path)
	if err != nil {
		return false, err
	}
	if c.file != nil && !os.SameFile(c.file, cur) {
		if old := rotatedFile(c.path, c.file); old != "" {
			n, err := readFrom(old, c.off, wrap)
			if err != nil || stopped {
				// Stopped inside the old file: stay in it, the next read goes on from here.
				c.off += n
				return stopped, err
			}
		}
		c.file, c.off = nil, 0
	}
	f, err := os.Open(c.path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	if c.file == nil {
		if c.file, err = f.Stat(); err != nil {
			return false, err
		}
	}
	if _, err := f.Seek(c.off, io.SeekStart); err != nil {
		return false, err
	}
	n, err := DecodeAuditEvents(f, wrap)
	c.off += n
	return stopped, err
}

func readFrom(path string, off int64, fn func(AuditEvent) (bool, error)) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return 0, err
	}
	return DecodeAuditEvents(f, fn)
}

// rotatedFile finds the backup (audit-<time>.log) that was the log when fi was taken.
func rotatedFile(path string, fi os.FileInfo) string {
	ext := filepath.Ext(path)
	backups, _ := filepath.Glob(path[:len(path)-len(ext)] + "-*" + ext)
	for _, b := range backups {
		if bi, err := os.Stat(b); err == nil && os.SameFile(fi, bi) {
			return b
		}
	}
	return ""
}

// AuditMark is a request only the test bed makes, found in the audit log; the log's events
// after it were logged after it.
type AuditMark struct {
	Name string
	// Time is when the API server received the mark's request.
	Time time.Time
	// after is the log position right after the mark.
	after auditCursor
}

var markSeq atomic.Int64

// MarkAudit makes a request nothing else makes (a get of a ConfigMap in default that does not
// exist, named for the mark) and waits until the audit log has it. Requests sent after it
// returns are logged after the mark.
func (c *Cluster) MarkAudit(ctx context.Context) (AuditMark, error) {
	cur, err := auditCursorAtEnd(c.AuditLogPath())
	if err != nil {
		return AuditMark{}, err
	}
	name := fmt.Sprintf("testbed-audit-mark-%d-%d", time.Now().UnixNano(), markSeq.Add(1))
	_, err = c.Kube.CoreV1().ConfigMaps(metav1.NamespaceDefault).Get(ctx, name, metav1.GetOptions{})
	if !apierrors.IsNotFound(err) {
		return AuditMark{}, fmt.Errorf("audit mark %s: get configmap default/%s: want not found, got %v", name, name, err)
	}
	m := AuditMark{Name: name}
	err = pollLog(ctx, name, func() (bool, error) {
		return cur.next(func(e AuditEvent) (bool, error) {
			if isMark(e, name) {
				m.Time = e.RequestReceivedTimestamp
				return true, nil
			}
			return false, nil
		})
	})
	m.after = cur
	return m, err
}

// AuditSince places a new mark and returns the events logged between from and it that keep
// accepts (nil keeps all), in log order. Every request that completed before AuditSince was
// called is in it: in the blocking log mode the test bed sets, kube-apiserver writes a
// request's event before the response is finished, and the new mark comes after.
func (c *Cluster) AuditSince(ctx context.Context, from AuditMark, keep func(AuditEvent) bool) ([]AuditEvent, error) {
	end, err := c.MarkAudit(ctx)
	if err != nil {
		return nil, err
	}
	cur := from.after
	var events []AuditEvent
	err = pollLog(ctx, end.Name, func() (bool, error) {
		return cur.next(func(e AuditEvent) (bool, error) {
			if isMark(e, end.Name) {
				return true, nil
			}
			if keep == nil || keep(e) {
				events = append(events, e)
			}
			return false, nil
		})
	})
	return events, err
}

func isMark(e AuditEvent, name string) bool {
	return e.ObjectRef != nil && e.ObjectRef.Resource == "configmaps" && e.ObjectRef.Name == name
}

// pollLog reads until found says so; the event is normally there at once, the poll covers
// the file system's own delays.
func pollLog(ctx context.Context, mark string, found func() (bool, error)) error {
	err := wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		return found()
	})
	if err != nil {
		return fmt.Errorf("audit mark %s: %w", mark, err)
	}
	return nil
}
