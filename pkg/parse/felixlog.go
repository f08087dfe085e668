package parse

import (
	"bytes"
	"io"
	"strconv"
	"strings"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
)

// FelixLog picks the BPF facts out of a calico-node log (`kubectl logs`),
// in Calico's log format or logrus text, with or without the kubectl
// --prefix and --timestamps decorations. The log is a haystack: lines that
// are not facts (every other log line, stack traces) are counted in
// Report.Skipped, not warned about.
func FelixLog(r io.Reader, opts Options, fn func(model.FelixLogFact) error) (Report, error) {
	opts.Format = FormatText
	s := newSession(KindFelixLog, r, opts)
	return s.finish(func() error {
		for {
			line, num, ok, err := s.next()
			if err != nil || !ok {
				return err
			}
			var f model.FelixLogFact
			if !parseFelixLogLine(line, &f) {
				s.rep.Skipped++
				continue
			}
			f.Line = num
			if err := emit(s, fn, f); err != nil {
				return err
			}
		}
	}())
}

// parseFelixLogLine fills f when the line is a log line carrying a fact.
func parseFelixLogLine(line []byte, f *model.FelixLogFact) bool {
	line = stripKubectlDecorations(line)
	*f = model.FelixLogFact{}
	var body []byte
	if lvl, rest, ok := calicoLogHeader(line); ok {
		// "2021-04-28 13:39:59.112 [INFO][485] felix/int_dataplane.go 713: BPF enabled, …"
		f.Time = string(line[:len("2026-11-26 10:34:29.794")])
		f.Level = string(lvl)
		if i := bytes.IndexByte(line, ']'); i > 0 {
			if j := bytes.IndexByte(line[i+1:], ']'); j > 0 {
				pid, _ := parseUint(bytes.Trim(line[i+1:i+1+j], "["))
				f.PID = int(pid)
			}
		}
		src, msg, ok := bytes.Cut(rest, []byte(": "))
		if !ok {
			return false
		}
		f.Source = string(src)
		body = msg
	} else if bytes.HasPrefix(line, []byte("time=")) {
		// time="…" level=info msg="Program attached to tcx." attachPoint=…
		f.Time = logfmtValue(line, "time")
		f.Level = logfmtValue(line, "level")
		msg := logfmtValue(line, "msg")
		i := bytes.Index(line, []byte("msg="))
		if i < 0 {
			return false
		}
		_, after := logfmtToken(line[i+len("msg="):])
		body = append([]byte(msg+" "), bytes.TrimSpace(after)...)
	} else {
		return false
	}
	kind, msg, fields := classifyFelixMessage(body)
	if kind == "" {
		return false
	}
	f.Kind, f.Message, f.Fields = kind, msg, string(fields)
	f.Error = logfmtValue(fields, "error")
	if kind == model.FactProgramAttached {
		mode := strings.TrimPrefix(msg, "Program attached to ")
		f.AttachMode = strings.TrimSuffix(mode, ".")
	}
	if kind == model.FactProgramAttached || kind == model.FactAttachError {
		f.Iface = firstNonEmpty(logfmtValue(fields, "iface"), structValue(fields, "Iface:"))
		f.Hook = firstNonEmpty(logfmtValue(fields, "hook"), structValue(fields, "Hook:"))
	}
	return true
}

// felixFacts maps message beginnings to fact kinds.
var felixFacts = []struct {
	prefix string
	kind   model.FelixFactKind
}{
	{"BPF enabled, ", model.FactBPFEnabled},
	{"Successfully loaded configuration.", model.FactConfigLoaded},
	{"BPF dataplane mode enabled but not supported by the kernel.", model.FactBPFUnsupported},
	{"tcx is not supported. Falling back to tc", model.FactTCXFallback},
	{"Program attached to TC.", model.FactProgramAttached},
	{"Program attached to tc.", model.FactProgramAttached},
	{"Program attached to tcx.", model.FactProgramAttached},
	{"Failed to attach", model.FactAttachError},
	{"failed to attach", model.FactAttachError},
	{"Failed to load program", model.FactAttachError},
	{"BPFConnTimeLBEnabled but failed to attach connect-time load balancer", model.FactAttachError},
}

// classifyFelixMessage splits "message key=value…" and names the fact. The
// message is known for facts, so it ends where the known text (up to its
// sentence end) does.
func classifyFelixMessage(body []byte) (model.FelixFactKind, string, []byte) {
	for _, ff := range felixFacts {
		if !bytes.HasPrefix(body, []byte(ff.prefix)) {
			continue
		}
		msg := body
		fields := []byte(nil)
		// The fields start at the first " key=" after the message.
		if i := fieldsStart(body[len(ff.prefix):]); i >= 0 {
			msg, fields = body[:len(ff.prefix)+i], bytes.TrimSpace(body[len(ff.prefix)+i:])
		}
		return ff.kind, string(bytes.TrimSpace(msg)), fields
	}
	return "", "", nil
}

// fieldsStart finds the first " key=" (a logrus field) in b.
func fieldsStart(b []byte) int {
	for i := 0; i < len(b); i++ {
		if b[i] != ' ' {
			continue
		}
		j := i + 1
		for j < len(b) && (isNameByte(b[j])) {
			j++
		}
		if j > i+1 && j < len(b) && b[j] == '=' {
			return i
		}
	}
	return -1
}

// logfmtValue returns the value of key=value or key="quoted value" in b.
func logfmtValue(b []byte, key string) string {
	for i := 0; ; {
		j := bytes.Index(b[i:], []byte(key+"="))
		if j < 0 {
			return ""
		}
		at := i + j
		if at == 0 || b[at-1] == ' ' {
			v, _ := logfmtToken(b[at+len(key)+1:])
			return v
		}
		i = at + 1
	}
}

// logfmtToken reads a bare or double-quoted value.
func logfmtToken(b []byte) (string, []byte) {
	if len(b) > 0 && b[0] == '"' {
		for i := 1; i < len(b); i++ {
			if b[i] == '\\' {
				i++
				continue
			}
			if b[i] == '"' {
				if v, err := strconv.Unquote(string(b[:i+1])); err == nil {
					return v, b[i+1:]
				}
				return string(b[1:i]), b[i+1:]
			}
		}
		return string(b[1:]), nil
	}
	v, rest := nextField(b)
	return string(v), rest
}

// structValue finds Name:value in Go's %+v of a struct (the attachPoint field).
func structValue(b []byte, name string) string {
	v, ok := structField(b, name)
	if !ok {
		return ""
	}
	return strings.Trim(string(v), `"`)
}

// stripKubectlDecorations drops "[pod/calico-node-x/calico-node] " (--prefix)
// and a leading RFC 3339 timestamp (--timestamps).
func stripKubectlDecorations(b []byte) []byte {
	if bytes.HasPrefix(b, []byte("[pod/")) {
		if i := bytes.Index(b, []byte("] ")); i > 0 {
			b = b[i+2:]
		}
	}
	if tok, rest := nextField(b); len(tok) >= 20 && tok[4] == '-' && tok[10] == 'T' && (bytes.HasSuffix(tok, []byte("Z")) || bytes.IndexByte(tok[10:], '+') > 0) {
		b = skipSpaces(rest)
	}
	return b
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
