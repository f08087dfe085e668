package verify

import (
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
)

// Status is the verdict of one check, one node or the whole run. The order matters: a worse
// status is a larger value.
type Status int

const (
	OK Status = iota
	Warn
	Fail
)

func (s Status) String() string {
	switch s {
	case OK:
		return "OK"
	case Warn:
		return "WARN"
	}
	return "FAIL"
}

// MarshalText writes the status as its word, in JSON and YAML.
func (s Status) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Check names one column of the verify table.
type Check string

// The checks, in column order.
const (
	CheckPod       Check = "pod"
	CheckRequested Check = "bpf"
	CheckFelix     Check = "felix"
	CheckPrograms  Check = "programs"
	CheckBPFFS     Check = "bpffs"
	CheckKubeProxy Check = "kube-proxy"
	CheckKernel    Check = "kernel"
)

// Checks lists every check in column order.
var Checks = []Check{CheckPod, CheckRequested, CheckFelix, CheckPrograms, CheckBPFFS, CheckKubeProxy, CheckKernel}

// Result is one check on one node.
type Result struct {
	Check  Check  `json:"check"`
	Status Status `json:"status"`
	// Reason is the short text of the table cell.
	Reason string `json:"reason"`
	// Seen and Action are the details of a non-OK result: the evidence and what to do.
	Seen   string `json:"seen,omitempty"`
	Action string `json:"action,omitempty"`
}

// NodeResult is every check on one node.
type NodeResult struct {
	Node    string   `json:"node"`
	Pod     string   `json:"pod,omitempty"`
	Version string   `json:"calicoVersion,omitempty"`
	Attach  string   `json:"attachMode,omitempty"`
	Status  Status   `json:"status"`
	Checks  []Result `json:"checks"`
}

// Check returns the result of one check, or a zero Result.
func (n NodeResult) Check(c Check) Result {
	for _, r := range n.Checks {
		if r.Check == c {
			return r
		}
	}
	return Result{}
}

// Report is the outcome of a run.
type Report struct {
	Flavour   string       `json:"flavour"`
	Namespace string       `json:"namespace"`
	Requested string       `json:"requested"`
	Status    Status       `json:"status"`
	Nodes     []NodeResult `json:"nodes"`
}

// NotPassing names the nodes whose status is at least s.
func (r Report) NotPassing(s Status) []string {
	var names []string
	for _, n := range r.Nodes {
		if n.Status >= s {
			names = append(names, n.Node)
		}
	}
	return names
}

// ClusterFacts is what the install says, the same for every node.
type ClusterFacts struct {
	// Flavour is operator, manifest or unknown; Namespace where calico-node runs.
	Flavour   string
	Namespace string
	// Installation reports whether the operator's Installation "default" exists, and
	// LinuxDataplane is its spec.calicoNetwork.linuxDataplane ("" = the default, Iptables).
	Installation   bool
	LinuxDataplane string
	// FelixConfiguration reports whether FelixConfiguration "default" exists; BPFEnabled is
	// its spec.bpfEnabled (nil when unset), AttachType its spec.bpfAttachType.
	FelixConfiguration bool
	BPFEnabled         *bool
	AttachType         string
	// Err is set when the configuration could not be read.
	Err error
}

// PodFacts is the node's calico-node pod.
type PodFacts struct {
	Namespace, Name string
	// Version is the Calico version of its image tag ("" when unknown).
	Version  string
	Phase    string
	Deleting bool
	Ready    bool
	Restarts int32
	// Waiting is the calico-node container's waiting reason (CrashLoopBackOff, …) and message.
	Waiting, WaitingMessage string
	// LastTermination is the message (or reason and exit code) of its last termination.
	LastTermination string
	// BPFEnv is the container's FELIX_BPFENABLED when BPFEnvSet.
	BPFEnv    string
	BPFEnvSet bool
}

// Probe is one piece of evidence read from a node: its value, or why it could not be read.
type Probe[T any] struct {
	Value T
	Err   error
	// Done reports whether the probe ran at all (false: skipped, e.g. no running pod).
	Done bool
}

// Mount is one line of /proc/mounts.
type Mount struct{ Source, Target, Type string }

// NodeFacts is everything Evaluate needs about one node.
type NodeFacts struct {
	Node    string
	Kernel  string
	OSImage string
	// Pod is nil when the node has no calico-node pod.
	Pod *PodFacts
	// WorkloadPods counts the running pods on the node that are not host-networked: each has
	// a workload interface that should carry Calico's programs.
	WorkloadPods int
	// KubeProxy names the kube-proxy pods running on the node.
	KubeProxy Probe[[]string]
	// Log is the Felix facts of the calico-node container's log since it started.
	Log Probe[[]model.FelixLogFact]
	// Qdiscs is `tc -s qdisc show`; IfState is `ifstate dump`; TCXLinks is `ls /sys/fs/bpf/tcx`.
	Qdiscs   Probe[[]model.Qdisc]
	IfState  Probe[[]model.IfState]
	TCXLinks Probe[[]string]
	// Mounts is /proc/mounts in the calico-node container.
	Mounts Probe[[]Mount]
}
