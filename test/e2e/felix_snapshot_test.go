//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// fcSnapshot is every object of the cluster, keyed "resource.group namespace/name", with what
// changes on its own removed: resourceVersion, generation and managedFields (a write that
// changes nothing still moves them), the status of nodes (kwok's heartbeats), and the kinds
// that only record time passing (events, leases).
type fcSnapshot map[string]map[string]any

// fcSkipped are resources whose objects change without anyone writing them.
var fcSkipped = map[string]bool{"events": true, "events.events.k8s.io": true, "leases.coordination.k8s.io": true}

func takeSnapshot(t *testing.T) fcSnapshot {
	t.Helper()
	ctx := context.Background()
	kc, dc := quietClients(t)
	lists, err := kc.Discovery().ServerPreferredResources()
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	snap := fcSnapshot{}
	for _, l := range lists {
		gv, err := schema.ParseGroupVersion(l.GroupVersion)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range l.APIResources {
			gr := schema.GroupResource{Group: gv.Group, Resource: r.Name}.String()
			if strings.Contains(r.Name, "/") || fcSkipped[gr] || !hasVerb(r.Verbs, "list") {
				continue
			}
			list, err := dc.Resource(gv.WithResource(r.Name)).List(ctx, metav1.ListOptions{})
			if err != nil {
				t.Fatalf("list %s: %v", gr, err)
			}
			for _, item := range list.Items {
				obj := item.DeepCopy().Object
				unstructured.RemoveNestedField(obj, "metadata", "resourceVersion")
				unstructured.RemoveNestedField(obj, "metadata", "generation")
				unstructured.RemoveNestedField(obj, "metadata", "managedFields")
				if gr == "nodes" {
					delete(obj, "status")
				}
				snap[fmt.Sprintf("%s %s/%s", gr, item.GetNamespace(), item.GetName())] = obj
			}
		}
	}
	return snap
}

var (
	quietOnce sync.Once
	quietKube kubernetes.Interface
	quietDyn  dynamic.Interface
	quietErr  error
)

// quietClients are the cluster's clients without the API server's deprecation warnings
// (Endpoints, ComponentStatus), which listing everything would print on every snapshot.
func quietClients(t *testing.T) (kubernetes.Interface, dynamic.Interface) {
	t.Helper()
	quietOnce.Do(func() {
		cfg, err := clientcmd.BuildConfigFromFlags("", cluster.Kubeconfig)
		if err != nil {
			quietErr = err
			return
		}
		cfg.WarningHandler = rest.NoWarnings{}
		// A snapshot lists every resource type; client-go's default 5 requests/s would make
		// each one take ten seconds of client-side throttling.
		cfg.QPS, cfg.Burst = 500, 1000
		if quietKube, quietErr = kubernetes.NewForConfig(cfg); quietErr == nil {
			quietDyn, quietErr = dynamic.NewForConfig(cfg)
		}
	})
	if quietErr != nil {
		t.Fatal(quietErr)
	}
	return quietKube, quietDyn
}

func hasVerb(verbs []string, v string) bool {
	for _, x := range verbs {
		if x == v {
			return true
		}
	}
	return false
}

// diff lists every field that differs between two snapshots, as "object path: old → new".
func (before fcSnapshot) diff(after fcSnapshot) []string {
	var out []string
	keys := map[string]bool{}
	for k := range before {
		keys[k] = true
	}
	for k := range after {
		keys[k] = true
	}
	for k := range keys {
		a, inA := before[k]
		b, inB := after[k]
		switch {
		case !inA:
			out = append(out, k+": created")
		case !inB:
			out = append(out, k+": deleted")
		default:
			diffValues(k+" ", "", a, b, &out)
		}
	}
	sort.Strings(out)
	return out
}

func diffValues(prefix, path string, a, b any, out *[]string) {
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok && bok {
		keys := map[string]bool{}
		for k := range am {
			keys[k] = true
		}
		for k := range bm {
			keys[k] = true
		}
		for k := range keys {
			av, ain := am[k]
			bv, bin := bm[k]
			p := path + "." + k
			switch {
			case !ain:
				*out = append(*out, fmt.Sprintf("%s%s: (absent) → %s", prefix, p, js(bv)))
			case !bin:
				*out = append(*out, fmt.Sprintf("%s%s: %s → (absent)", prefix, p, js(av)))
			default:
				diffValues(prefix, p, av, bv, out)
			}
		}
		return
	}
	if !reflect.DeepEqual(a, b) {
		*out = append(*out, fmt.Sprintf("%s%s: %s → %s", prefix, path, js(a), js(b)))
	}
}

func js(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// expectOnly fails unless the differences between before and now are exactly want (each an
// "object path" prefix of one difference line, in order).
func expectOnly(t *testing.T, what string, before fcSnapshot, want ...string) {
	t.Helper()
	got := before.diff(takeSnapshot(t))
	ok := len(got) == len(want)
	for i := 0; ok && i < len(want); i++ {
		ok = strings.HasPrefix(got[i], want[i])
	}
	if !ok {
		t.Errorf("%s: the cluster changed by\n  %s\nwant exactly\n  %s", what, strings.Join(orNoneList(got), "\n  "), strings.Join(orNoneList(want), "\n  "))
	}
}

func orNoneList(l []string) []string {
	if len(l) == 0 {
		return []string{"(nothing)"}
	}
	return l
}
