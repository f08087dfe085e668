package fakenode

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// The pace of a replayed trace: slow enough that a reader sees the lines arrive one by one,
// fast enough that a test reads a whole pass in well under a second.
const (
	traceLineGap = 5 * time.Millisecond
	tracePassGap = 100 * time.Millisecond
)

// exitBrokenPipe is what a shell reports for a program killed by SIGPIPE (128+13); in-process
// runs, whose stdout is not a pipe, return it when a write fails.
const exitBrokenPipe = 141

// TracePidsDir is the directory of FAKE_DATA_DIR where every trace reader records its pid
// (a file named after it, holding its argv), so that a test can check the process is gone
// once the plugin has stopped reading.
const TracePidsDir = "trace-pids"

// streamTracePipe plays the node's kernel trace pipe: the lines of data key trace-pipe, one
// every traceLineGap, and the whole file again every tracePassGap, like a node with steady
// traffic. It never ends by itself: it stops when it is killed or when its stdout breaks (the
// exec stream was closed), at its next write, which is how tc and cat end too: SIGPIPE. With
// no trace-pipe data it blocks, as an idle trace pipe does.
func (p *proc) streamTracePipe(argv []string) int {
	data, ok, err := p.data.readStdout("trace-pipe")
	if err != nil {
		fmt.Fprintf(p.stderr, "fakenode: %v\n", err)
		return exitMisconfigured
	}
	if err := p.recordTracePid(argv); err != nil {
		fmt.Fprintf(p.stderr, "fakenode: %v\n", err)
		return exitMisconfigured
	}
	if !ok || len(data) == 0 {
		return p.block()
	}
	lines := strings.SplitAfter(strings.TrimSuffix(string(data), "\n"), "\n")
	for {
		for _, l := range lines {
			if !strings.HasSuffix(l, "\n") {
				l += "\n"
			}
			if _, err := io.WriteString(p.stdout, l); err != nil {
				return exitBrokenPipe
			}
			if !p.sleep(traceLineGap) {
				return exitKilled
			}
		}
		if !p.sleep(tracePassGap) {
			return exitKilled
		}
	}
}

// sleep waits d, or returns false when the invocation is cancelled.
func (p *proc) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-p.ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// recordTracePid writes FAKE_DATA_DIR/trace-pids/<pid>. The file stays after the process: the
// test asks the kernel whether that pid still runs.
func (p *proc) recordTracePid(argv []string) error {
	if p.data == "" {
		return nil
	}
	dir := filepath.Join(string(p.data), TracePidsDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, strconv.Itoa(os.Getpid())), []byte(strings.Join(argv, " ")+"\n"), 0o644)
}
