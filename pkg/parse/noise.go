package parse

import "bytes"

// lineClass is what a line that is not data turned out to be.
type lineClass int

const (
	classUnknown   lineClass = iota // neither noise nor an error: a warning
	classNoise                      // recognised and ignorable
	classToolError                  // proof that the command failed
)

// classify sorts the lines real captures contain besides data. toolErrors
// says whether error-level log lines mean the command failed (true for
// dumps, false for a Felix log, where they are data).
func classify(line []byte, toolErrors bool) lineClass {
	if lvl, ok := logLevel(line); ok {
		if toolErrors && isErrorLevel(lvl) {
			return classToolError
		}
		return classNoise
	}
	switch {
	case hasAnyPrefix(line, toolErrorPrefixes):
		return classToolError
	case bytes.Equal(line, []byte("Usage:")):
		return classToolError
	case hasAnyPrefix(line, noisePrefixes):
		return classNoise
	case isSeparator(line), isElision(line), isPrompt(line):
		return classNoise
	}
	return classUnknown
}

// toolErrorPrefixes start lines written by cobra, Go's flag package, kubectl
// and tc when the command did not run.
var toolErrorPrefixes = [][]byte{
	[]byte("Error: "),                       // cobra ("Error: unknown flag: --bogus"), tc
	[]byte("error: "),                       // kubectl ("error: unable to upgrade connection")
	[]byte("Error from server"),             // kubectl
	[]byte("flag provided but not defined"), // calico-node's own flags ("-bpf -6 routes dump")
	[]byte("Usage of "),                     // Go flag usage ("Usage of Calico:")
	[]byte("command terminated with exit code"),
	[]byte("Cannot find device"), // tc
	[]byte("OCI runtime exec failed"),
}

// noisePrefixes start lines that carry no data.
var noisePrefixes = [][]byte{
	[]byte("Defaulted container "),       // kubectl exec without -c
	[]byte("Unable to use a TTY"),        // kubectl exec -t without a terminal
	[]byte("Using config file:"),         // calico-bpf with $HOME/.calico-bpf.yaml
	[]byte("#"),                          // comments in saved captures, root prompts
	[]byte("Loaded map file descriptor"), // a log message that lost its prefix
}

func hasAnyPrefix(b []byte, prefixes [][]byte) bool {
	for _, p := range prefixes {
		if bytes.HasPrefix(b, p) {
			return true
		}
	}
	return false
}

// isSeparator matches grep's "--" between context groups.
func isSeparator(b []byte) bool { return bytes.Equal(b, []byte("--")) }

// isElision matches "...", "…" and "[...]" left where someone shortened a paste.
func isElision(b []byte) bool {
	b = bytes.TrimSuffix(bytes.TrimPrefix(b, []byte("[")), []byte("]"))
	if len(b) == 0 {
		return false
	}
	for len(b) > 0 {
		switch {
		case b[0] == '.':
			b = b[1:]
		case bytes.HasPrefix(b, []byte("…")):
			b = b[len("…"):]
		default:
			return false
		}
	}
	return true
}

// isPrompt matches a shell prompt line such as "user@host:~$ kubectl exec …",
// "[root@node ~]# tc qdisc" or "$ calico-node -bpf nat dump".
func isPrompt(b []byte) bool {
	if len(b) >= 2 && (b[0] == '$' || b[0] == '%' || b[0] == '>') && b[1] == ' ' {
		return true
	}
	end := bytes.IndexAny(b, "$#")
	if end <= 0 || end > 160 {
		return false
	}
	head := b[:end]
	head = bytes.TrimPrefix(head, []byte("(")) // "(venv) user@host:~$"
	head = bytes.TrimPrefix(head, []byte("["))
	at := bytes.IndexByte(head, '@')
	if at <= 0 {
		return false
	}
	for _, c := range head[:at] { // the user name
		if !isNameByte(c) {
			return false
		}
	}
	return true
}

func isNameByte(c byte) bool {
	return c == '_' || c == '-' || c == '.' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9')
}

// logLevel recognises the three log formats that reach calico-bpf's streams
// and returns the level word.
//
//	Calico:  2026-11-26 10:34:29.794 [INFO][23526] confd/maps.go 308: Loaded map file descriptor. …
//	logrus:  time="2026-11-26T10:34:48Z" level=info msg="Loaded map file descriptor." …
//	klog:    W1126 10:30:49.336727   18620 feature_gate.go:241] Setting GA feature gate …
func logLevel(b []byte) ([]byte, bool) {
	if lvl, _, ok := calicoLogHeader(b); ok {
		return lvl, true
	}
	if bytes.HasPrefix(b, []byte(`time="`)) || bytes.HasPrefix(b, []byte("time=")) {
		i := bytes.Index(b, []byte(" level="))
		if i < 0 {
			return nil, false
		}
		lvl := b[i+len(" level="):]
		if j := bytes.IndexByte(lvl, ' '); j >= 0 {
			lvl = lvl[:j]
		}
		return bytes.Trim(lvl, `"`), true
	}
	if isKlogLine(b) {
		return b[:1], true
	}
	return nil, false
}

// calicoLogHeader parses "YYYY-MM-DD hh:mm:ss.mmm [LEVEL][PID] " and returns
// the level and the rest of the line.
func calicoLogHeader(b []byte) (level, rest []byte, ok bool) {
	const stamp = len("2026-11-26 10:34:29.794")
	if len(b) < stamp+4 || b[4] != '-' || b[7] != '-' || b[10] != ' ' || b[13] != ':' || b[16] != ':' {
		return nil, nil, false
	}
	if !isDigits(b[0:4]) || !isDigits(b[5:7]) || !isDigits(b[8:10]) || !isDigits(b[11:13]) {
		return nil, nil, false
	}
	i := bytes.IndexByte(b[10:], '[')
	if i < 0 {
		return nil, nil, false
	}
	r := b[10+i+1:]
	j := bytes.IndexByte(r, ']')
	if j <= 0 {
		return nil, nil, false
	}
	level, r = r[:j], r[j+1:]
	if len(r) > 0 && r[0] == '[' { // [PID]
		if k := bytes.IndexByte(r, ']'); k > 0 {
			r = r[k+1:]
		}
	}
	return level, trimSpace(r), true
}

// isKlogLine matches "W1126 10:30:49.336727   18620 file.go:241] …".
func isKlogLine(b []byte) bool {
	if len(b) < len("W1126 10:30:49.336727") {
		return false
	}
	switch b[0] {
	case 'I', 'W', 'E', 'F':
	default:
		return false
	}
	return isDigits(b[1:5]) && b[5] == ' ' && b[8] == ':' && b[11] == ':' && b[14] == '.' && bytes.IndexByte(b, ']') > 0
}

func isErrorLevel(lvl []byte) bool {
	switch string(bytes.ToLower(lvl)) {
	case "error", "fatal", "panic", "f", "err", "crit", "critical":
		return true
	}
	return false
}

func isDigits(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
