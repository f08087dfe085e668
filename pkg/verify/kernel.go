package verify

import (
	"regexp"
	"strconv"
	"strings"
)

// kernelRelease is a kernel version as nodeInfo prints it: 5.15.0-126-generic,
// 4.18.0-193.el8.x86_64. Patch is the first number after the dash (the distro's build).
type kernelRelease struct{ major, minor, sub, patch int }

var kernelRe = regexp.MustCompile(`^(\d+)\.(\d+)(?:\.(\d+))?(?:-(\d+))?`)

func parseKernel(s string) (kernelRelease, bool) {
	m := kernelRe.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return kernelRelease{}, false
	}
	n := func(x string) int { v, _ := strconv.Atoi(x); return v }
	return kernelRelease{n(m[1]), n(m[2]), n(m[3]), n(m[4])}, true
}

func (k kernelRelease) less(o kernelRelease) bool {
	a := [4]int{k.major, k.minor, k.sub, k.patch}
	b := [4]int{o.major, o.minor, o.sub, o.patch}
	for i := range a {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return false
}

var rhelKernelRe = regexp.MustCompile(`\.el\d+(_\d+)?`)

// isRHEL reports the distributions Felix checks against the RHEL minimum (4.18.0-193): "red
// hat" in the OS, or an elN kernel (RHEL, CentOS, Rocky, Alma).
func isRHEL(kernel, osImage string) bool {
	os := strings.ToLower(osImage)
	return strings.Contains(os, "red hat") || strings.Contains(os, "centos") || rhelKernelRe.MatchString(kernel)
}

// kernelMinimum is the oldest kernel Felix runs the BPF dataplane on (felix/bpf/bpf.go
// SupportsBPFDataplane: 4.18.0-193 on RHEL, 5.3.0 elsewhere).
func kernelMinimum(kernel, osImage string) (kernelRelease, string) {
	if isRHEL(kernel, osImage) {
		return kernelRelease{4, 18, 0, 193}, "4.18.0-193 (RHEL)"
	}
	return kernelRelease{5, 3, 0, 0}, "5.3"
}

// tcxKernel is the first kernel with TCX links.
var tcxKernel = kernelRelease{6, 6, 0, 0}
