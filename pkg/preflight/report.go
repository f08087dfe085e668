package preflight

// Status is the outcome of one check.
type Status string

const (
	OK   Status = "OK"
	Warn Status = "WARN"
	Fail Status = "FAIL"
	// Skip is a check that does not apply (a Windows node's BPF fs) or could not be made
	// (no calico-node pod to ask); it never changes the exit status.
	Skip Status = "SKIP"
)

// Names of the per-node checks, in column order, and of the cluster-wide checks.
const (
	CheckKernel   = "KERNEL"
	CheckOSArch   = "OS/ARCH"
	CheckBPFFS    = "BPFFS"
	CheckCgroupV2 = "CGROUPV2"

	CheckCalico          = "calico"
	CheckOperator        = "operator"
	CheckTigeraStatus    = "tigera-status"
	CheckHostPorts       = "host-ports"
	CheckAPIServer       = "api-server"
	CheckServiceEndpoint = "services-endpoint-configmap"
	CheckKubeProxyMode   = "kube-proxy-mode"
	CheckKubeProxyOwner  = "kube-proxy-manager"
)

// NodeChecks are the per-node columns.
var NodeChecks = []string{CheckKernel, CheckOSArch, CheckBPFFS, CheckCgroupV2}

// Result is one check's outcome: a short reason for the table; for anything not OK, what was
// seen and what to do.
type Result struct {
	Check  string `json:"check"`
	Status Status `json:"status"`
	Reason string `json:"reason"`
	Seen   string `json:"seen,omitempty"`
	Action string `json:"action,omitempty"`
}

// NodeReport is one node's row.
type NodeReport struct {
	Node   string   `json:"node"`
	Checks []Result `json:"checks"`
}

// Report is preflight's answer; its JSON form is the -o json output.
type Report struct {
	Flavour   string       `json:"flavour"`
	Namespace string       `json:"namespace,omitempty"`
	Nodes     []NodeReport `json:"nodes"`
	Cluster   []Result     `json:"cluster"`
	Summary   Summary      `json:"summary"`
}

// Summary counts the results by status.
type Summary struct {
	OK   int `json:"ok"`
	Warn int `json:"warn"`
	Fail int `json:"fail"`
	Skip int `json:"skip"`
}

func (s *Summary) add(st Status) {
	switch st {
	case OK:
		s.OK++
	case Warn:
		s.Warn++
	case Fail:
		s.Fail++
	default:
		s.Skip++
	}
}

// Failed reports whether the report fails: any FAIL, or any WARN when strict.
func (r *Report) Failed(strict bool) bool {
	return r.Summary.Fail > 0 || (strict && r.Summary.Warn > 0)
}
