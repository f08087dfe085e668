package parse

import (
	"bytes"
)

// StderrFailure reports whether a dump's stderr shows that it failed, even
// when the exit code was 0 (`routes dump` on a node without BPF maps logs
// "[ERROR] … Failed to dump routes map" and exits 0). It returns a
// *ToolError (errors.Is ErrToolError) quoting the first such line:
// Calico or logrus log lines at error, fatal or panic level, cobra's
// "Error: …", Go's "flag provided but not defined", kubectl's "command
// terminated with exit code". Everything else is ignored: "Loaded map file
// descriptor." info lines, klog warnings such as the feature-gate notice of
// v3.26, and text nobody can predict.
func StderrFailure(stderr []byte) error {
	num := 0
	for len(stderr) > 0 {
		var line []byte
		line, stderr, _ = bytes.Cut(stderr, []byte("\n"))
		num++
		line = trimSpace(line)
		if len(line) == 0 {
			continue
		}
		if classify(line, true) == classToolError {
			return &ToolError{Line: num, Text: string(line)}
		}
	}
	return nil
}
