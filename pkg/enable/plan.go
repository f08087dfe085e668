package enable

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Action is what a step does.
type Action string

const (
	// ActionCreate creates Object; when it exists already, its fields are patched instead.
	ActionCreate Action = "create"
	// ActionPatch applies Patch as a JSON merge patch.
	ActionPatch Action = "patch"
	// ActionDelete deletes the target.
	ActionDelete Action = "delete"
	// ActionRestartPods deletes the pods matching Selector that started before the last write
	// of After (plus Settle): their controller re-creates them with what was written.
	ActionRestartPods Action = "restart-pods"
	// ActionRolloutRestart is `kubectl rollout restart`: a new template annotation, unless
	// every pod already started after the last write of After (plus Settle).
	ActionRolloutRestart Action = "rollout-restart"
	// ActionSettle waits until the last write of the target is Settle old: kubelets cache
	// ConfigMaps and may not see a fresh one at once (kubernetes/kubernetes#30189).
	ActionSettle Action = "settle"
	// ActionWait waits until someone else (the operator) makes the target match Expect.
	ActionWait Action = "wait"
	// ActionWaitRollout waits until the target matches Expect and ExpectEnv, then until it
	// has rolled out, by `kubectl rollout status`'s rules.
	ActionWaitRollout Action = "wait-rollout"
	// ActionWaitBPF waits until Felix runs the eBPF dataplane on every node (verify's bpf and
	// felix checks pass).
	ActionWaitBPF Action = "wait-bpf"
	// ActionVerify runs `verify --all-nodes` until every node passes, and shows its table.
	ActionVerify Action = "verify"
)

// Writes reports whether the action changes the cluster.
func (a Action) Writes() bool {
	switch a {
	case ActionCreate, ActionPatch, ActionDelete, ActionRestartPods, ActionRolloutRestart:
		return true
	}
	return false
}

// Ref names an object.
type Ref struct {
	GVR       schema.GroupVersionResource `json:"-"`
	Kind      string                      `json:"kind"`
	Namespace string                      `json:"namespace,omitempty"`
	Name      string                      `json:"name"`
}

// Resource is the kubectl form of the type: "daemonset.apps", "configmap",
// "installation.operator.tigera.io".
func (r Ref) Resource() string {
	s := strings.ToLower(r.Kind)
	if r.GVR.Group != "" {
		s += "." + r.GVR.Group
	}
	return s
}

// String is how kubectl names the object: "daemonset.apps/kube-proxy -n kube-system".
func (r Ref) String() string {
	s := r.Resource() + "/" + r.Name
	if r.Namespace != "" {
		s += " -n " + r.Namespace
	}
	return s
}

// MarshalJSON adds the API version, which the GVR holds.
func (r Ref) MarshalJSON() ([]byte, error) {
	type plain Ref
	return json.Marshal(struct {
		APIVersion string `json:"apiVersion"`
		plain
	}{r.GVR.GroupVersion().String(), plain(r)})
}

// Step is one thing the plan does, in order.
type Step struct {
	Action Action `json:"action"`
	// Target is zero for steps about the whole cluster (wait-bpf, verify).
	Target Ref `json:"target,omitzero"`
	// Patch is the change (patch, and the fields of an existing object for create).
	Patch map[string]any `json:"patch,omitempty"`
	// Object is the object to create.
	Object map[string]any `json:"object,omitempty"`
	// Record: keep the undo of Patch on the object (RestoreAnnotation), in the same request.
	Record bool `json:"record,omitempty"`
	// DropRecord: this step applies the recorded undo; remove the record in the same request.
	DropRecord bool `json:"dropRecord,omitempty"`
	// Expect is a condition in merge-patch form that the target must meet (wait, wait-rollout).
	Expect map[string]any `json:"expect,omitempty"`
	// ExpectEnv is the calico-node container's environment the target's template must have.
	ExpectEnv map[string]string `json:"expectEnv,omitempty"`
	// Selector picks the pods of restart-pods.
	Selector string `json:"selector,omitempty"`
	// After is the object whose last write pods must be newer than (restart-pods,
	// rollout-restart); Settle is added to that time. For settle, Settle is the wait.
	After  *Ref          `json:"after,omitempty"`
	Settle time.Duration `json:"settle,omitempty"`
	// Timeout bounds the step.
	Timeout time.Duration `json:"timeout,omitempty"`
	Why     string        `json:"why"`
}

// MarshalJSON writes the durations as Go duration strings ("1m0s"), as kubectl's own
// durations read, instead of nanosecond counts.
func (s Step) MarshalJSON() ([]byte, error) {
	type plain Step
	return json.Marshal(struct {
		plain
		Settle  string `json:"settle,omitempty"`
		Timeout string `json:"timeout,omitempty"`
	}{plain(s), durationText(s.Settle), durationText(s.Timeout)})
}

func durationText(d time.Duration) string {
	if d == 0 {
		return ""
	}
	return d.String()
}

// Plan is what enable or disable will do.
type Plan struct {
	Title    string   `json:"title"`
	Steps    []Step   `json:"steps"`
	Warnings []string `json:"warnings,omitempty"`
}

// Changes reports whether the plan does anything beyond verifying.
func (p *Plan) Changes() bool {
	for _, s := range p.Steps {
		if s.Action != ActionVerify {
			return true
		}
	}
	return false
}

// Change describes what a step changes or waits for, for the plan's CHANGE column.
func (s Step) Change() string {
	switch s.Action {
	case ActionCreate:
		return strings.Join(Flatten(s.Object, "data"), ", ")
	case ActionPatch:
		c := strings.Join(Flatten(s.Patch, ""), ", ")
		if s.DropRecord {
			c += " (recorded by enable)"
		}
		return c
	case ActionDelete:
		return "delete"
	case ActionRestartPods:
		return fmt.Sprintf("delete pods %s started before %s was written%s", s.Selector, s.After.Name, plusSettle(s.Settle))
	case ActionRolloutRestart:
		return fmt.Sprintf("restart pods started before %s was written%s", s.After.Name, plusSettle(s.Settle))
	case ActionSettle:
		return fmt.Sprintf("until written %s ago", s.Settle)
	case ActionWait:
		return "until " + strings.Join(Flatten(s.Expect, ""), ", ")
	case ActionWaitRollout:
		var conds []string
		conds = append(conds, Flatten(s.Expect, "")...)
		conds = append(conds, envConds(s.ExpectEnv)...)
		if len(conds) == 0 {
			return "until rolled out"
		}
		return "until " + strings.Join(conds, ", ") + ", then rolled out"
	case ActionWaitBPF:
		return "until verify's bpf and felix checks pass on every node"
	case ActionVerify:
		return "verify --all-nodes"
	}
	return ""
}

func plusSettle(d time.Duration) string {
	if d <= 0 {
		return ""
	}
	return " + " + d.String()
}

// Flatten lists a merge patch as path=value pairs, sorted; nil values read "(removed)". Paths
// start below prefix when it is a top-level key ("data" → KEY=value).
func Flatten(patch map[string]any, prefix string) []string {
	if prefix != "" {
		if sub, ok := patch[prefix].(map[string]any); ok {
			patch = sub
		}
	}
	var out []string
	if len(patch) == 0 {
		return nil
	}
	var walk func(p string, v any)
	walk = func(p string, v any) {
		if m, ok := v.(map[string]any); ok && len(m) > 0 {
			for _, k := range sortedKeys(m) {
				if p == "" && k == "metadata" {
					if ann, ok := m[k].(map[string]any)["annotations"].(map[string]any); ok {
						if _, only := ann[RestoreAnnotation]; only && len(ann) == 1 && len(m[k].(map[string]any)) == 1 {
							continue // the restore record is shown by the WHY, not as a change
						}
					}
				}
				np := k
				if p != "" {
					np = p + "." + k
				}
				walk(np, m[k])
			}
			return
		}
		if v == nil {
			out = append(out, p+" (removed)")
			return
		}
		b, _ := json.Marshal(v)
		out = append(out, p+"="+string(b))
	}
	walk("", patch)
	sort.Strings(out)
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// envConds lists wanted variables: "env K=V", or "env K unset" for "".
func envConds(env map[string]string) []string {
	var out []string
	for _, k := range sortedKeys(env) {
		if env[k] == "" {
			out = append(out, "env "+k+" unset")
		} else {
			out = append(out, "env "+k+"="+env[k])
		}
	}
	return out
}
