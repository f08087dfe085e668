package enable

import (
	"context"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/calico"
)

// refusalGrace is how long TigeraStatus may say Degraded before a wait gives up on it. The
// operator reports Degraded for a refused Installation (host ports with BPF, bootstrap with
// the endpoint ConfigMap, a missing autodetection method) and then never renders, so the wait
// would run to --timeout; but it can also be Degraded for a moment during a rollout.
const refusalGrace = 30 * time.Second

// refusalWatch remembers since when TigeraStatus "calico" has been Degraded.
type refusalWatch struct {
	since   time.Time
	message string
}

// check reads TigeraStatus "calico" and returns an error once it has said Degraded for longer
// than refusalGrace. Clusters without TigeraStatus (manifest installs) never fail here, and a
// status that cannot be read is left to the wait itself.
func (w *refusalWatch) check(ctx context.Context, e *Executor, now time.Time) error {
	if e.Dynamic == nil {
		return nil
	}
	ts, err := e.Dynamic.Resource(calico.TigeraStatusGVR).Get(ctx, "calico", metav1.GetOptions{})
	if err != nil {
		return nil
	}
	msg, degraded := degradedMessage(ts.Object)
	if !degraded {
		w.since = time.Time{}
		return nil
	}
	if w.since.IsZero() || msg != w.message {
		w.since, w.message = now, msg
		return nil
	}
	if now.Sub(w.since) < refusalGrace {
		return nil
	}
	return fmt.Errorf("the Tigera operator reports Degraded for %s: %s (tigerastatus/calico); fix that, then run the command again to continue", now.Sub(w.since).Round(time.Second), orNone(msg))
}

// degradedMessage reads the Degraded condition of a TigeraStatus.
func degradedMessage(ts map[string]any) (string, bool) {
	conds, _, _ := unstructured.NestedSlice(ts, "status", "conditions")
	for _, c := range conds {
		cm, _ := c.(map[string]any)
		if str(cm, "type") == "Degraded" && str(cm, "status") == "True" {
			msg := str(cm, "message")
			if msg == "" {
				msg = str(cm, "reason")
			}
			return msg, true
		}
	}
	return "", false
}

func orNone(s string) string {
	if s == "" {
		return "no message"
	}
	return s
}
