package fakenode

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// dataDir is FAKE_DATA_DIR: the node's rendered outputs, by data key.
type dataDir string

// answer is what the data directory holds for one key.
type answer struct {
	stdout, stderr string // file paths, "" when absent
	exit           int
	hang           bool // block after printing, like a live trace pipe
}

// validKey keeps keys (which can contain argv words such as device names)
// from naming anything outside the data directory.
func validKey(key string) bool {
	return key != "" && !strings.HasPrefix(key, ".") && !strings.ContainsAny(key, "/\\\x00")
}

// find reports whether any file answers key. A key with only a stderr file
// and an exit code is a complete answer (e.g. rendered "no maps" errors).
func (d dataDir) find(key string) (answer, bool, error) {
	if d == "" || !validKey(key) {
		return answer{}, false, nil
	}
	base := filepath.Join(string(d), key)
	a := answer{stdout: existing(base + ".stdout.txt"), stderr: existing(base + ".stderr.txt")}
	a.hang = existing(base+".hang") != ""
	found := a.stdout != "" || a.stderr != "" || a.hang
	if exitFile := existing(base + ".exit"); exitFile != "" {
		found = true
		raw, err := os.ReadFile(exitFile)
		if err != nil {
			return answer{}, false, err
		}
		if a.exit, err = strconv.Atoi(strings.TrimSpace(string(raw))); err != nil {
			return answer{}, false, fmt.Errorf("%s: exit status %q is not a number", exitFile, raw)
		}
	}
	return a, found, nil
}

// readStdout returns the whole stdout file of a key, for answers the fake
// must filter. ok is false when the key has no stdout file.
func (d dataDir) readStdout(key string) (data []byte, ok bool, err error) {
	a, found, err := d.find(key)
	if err != nil || !found || a.stdout == "" {
		return nil, false, err
	}
	data, err = os.ReadFile(a.stdout)
	return data, err == nil, err
}

func existing(path string) string {
	if info, err := os.Stat(path); err == nil && info.Mode().IsRegular() {
		return path
	}
	return ""
}

// serve prints an answer: stdout first, streamed because conntrack dumps
// can be tens of megabytes, then stderr.
func (p *proc) serve(a answer) int {
	for _, out := range []struct {
		path string
		w    io.Writer
	}{{a.stdout, p.stdout}, {a.stderr, p.stderr}} {
		if out.path == "" {
			continue
		}
		if err := copyFile(out.w, out.path); err != nil {
			fmt.Fprintf(p.stderr, "fakenode: %v\n", err)
			return exitMisconfigured
		}
	}
	if a.hang {
		return p.block()
	}
	return a.exit
}

// serveKey serves key if the data directory has it.
func (p *proc) serveKey(key string) (int, bool) {
	a, found, err := p.data.find(key)
	if err != nil {
		fmt.Fprintf(p.stderr, "fakenode: %v\n", err)
		return exitMisconfigured, true
	}
	if !found {
		return 0, false
	}
	return p.serve(a), true
}

func copyFile(w io.Writer, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := io.Copy(w, f); err != nil && !errors.Is(err, fs.ErrClosed) {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	return nil
}

// block waits until the invocation is cancelled. The real binary's context
// never ends, so it blocks until the exec is killed; the ticker keeps Go's
// deadlock detector from aborting a process with nothing else to do.
func (p *proc) block() int {
	tick := time.NewTicker(time.Hour)
	defer tick.Stop()
	for {
		select {
		case <-p.ctx.Done():
			return exitKilled
		case <-tick.C:
		}
	}
}
