package preflight

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// kernel is a parsed kernel release: 5.14.0-427.42.1.el9_4.x86_64 is {5 14 0 427}.
type kernel struct{ major, minor, patch, release int }

var kernelRe = regexp.MustCompile(`^(\d+)\.(\d+)(?:\.(\d+))?(?:-(\d+))?`)

func parseKernel(s string) (kernel, bool) {
	m := kernelRe.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return kernel{}, false
	}
	atoi := func(s string) int { n, _ := strconv.Atoi(s); return n }
	return kernel{atoi(m[1]), atoi(m[2]), atoi(m[3]), atoi(m[4])}, true
}

func (k kernel) less(o kernel) bool {
	for _, d := range [][2]int{{k.major, o.major}, {k.minor, o.minor}, {k.patch, o.patch}, {k.release, o.release}} {
		if d[0] != d[1] {
			return d[0] < d[1]
		}
	}
	return false
}

func (k kernel) String() string {
	s := fmt.Sprintf("%d.%d.%d", k.major, k.minor, k.patch)
	if k.release > 0 {
		s += fmt.Sprintf("-%d", k.release)
	}
	return s
}

// Felix's minimums (felix/bpf/bpf.go SupportsBPFDataplane, v3.16+): RHEL kernels carry the
// BPF features back to 4.18.0-193; everything else needs 5.3. 5.8+ (CO-RE) is recommended.
var (
	minKernel         = kernel{5, 3, 0, 0}
	minRHELKernel     = kernel{4, 18, 0, 193}
	recommendedKernel = kernel{5, 8, 0, 0}
	rhelKernelRe      = regexp.MustCompile(`\.el\d+`)
)

// isRHEL reports whether a node runs a Red Hat family kernel, as Felix tells it: "red hat" in
// /proc/version (the nodeInfo's OS image stands in for it) or an elN in the kernel release.
func isRHEL(kernelVersion, osImage string) bool {
	if rhelKernelRe.MatchString(kernelVersion) {
		return true
	}
	os := strings.ToLower(osImage)
	for _, d := range []string{"red hat", "centos", "rocky", "almalinux"} {
		if strings.Contains(os, d) {
			return true
		}
	}
	return false
}
