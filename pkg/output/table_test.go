package output

import (
	"bytes"
	"strings"
	"testing"
)

func TestWriteTablePlainKubectlStyle(t *testing.T) {
	var buf bytes.Buffer
	err := WriteTable(&buf, []string{"NODE", "VERSION"}, [][]string{
		{"node-1", "v3.29.7"},
		{"a-much-longer-node-name", "v3.32.1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "NODE                      VERSION\n" +
		"node-1                    v3.29.7\n" +
		"a-much-longer-node-name   v3.32.1\n"
	got := trimLineEnds(buf.String())
	if got != want {
		t.Errorf("table:\n%q\nwant:\n%q", got, want)
	}
}

func TestWriteTableEscapesTerminalControl(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteTable(&buf, []string{"POD"}, [][]string{{"evil\x1b[2Jpod"}}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "\x1b") {
		t.Errorf("escape sequence reached the output: %q", buf.String())
	}
}

func TestParseFormat(t *testing.T) {
	for _, ok := range []string{"", "table", "wide", "json", "yaml"} {
		if _, err := ParseFormat(ok); err != nil {
			t.Errorf("ParseFormat(%q): %v", ok, err)
		}
	}
	if _, err := ParseFormat("xml"); err == nil || !strings.Contains(err.Error(), "table|wide|json|yaml") {
		t.Errorf("ParseFormat(xml) error = %v, want the list of formats", err)
	}
}

func trimLineEnds(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.Join(lines, "\n")
}
