package enable

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/calico"
)

// update rewrites the golden files: go test ./pkg/enable -update
var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

var t0 = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

// cluster builds the State of a fresh Iptables cluster: one API server endpoint, kube-proxy
// unmanaged with a linux nodeSelector, no endpoint ConfigMap.
func cluster(flavour calico.Flavour, operatorTag string) State {
	ns := calico.NamespaceFor(flavour)
	st := State{
		Flavour: flavour, CalicoNamespace: ns, CalicoImage: "quay.io/calico/node:v3.32.1",
		FelixGVR:           calico.FelixConfigurationV1GVR,
		FelixConfiguration: obj(`{"apiVersion":"crd.projectcalico.org/v1","kind":"FelixConfiguration","metadata":{"name":"default"},"spec":{"logSeverityScreen":"Info"}}`),
		KubeProxy: obj(`{"apiVersion":"apps/v1","kind":"DaemonSet","metadata":{"name":"kube-proxy","namespace":"kube-system","labels":{"k8s-app":"kube-proxy"}},
			"spec":{"template":{"spec":{"nodeSelector":{"kubernetes.io/os":"linux"},"containers":[{"name":"kube-proxy"}]}}}}`),
		CalicoNode: obj(`{"apiVersion":"apps/v1","kind":"DaemonSet","metadata":{"name":"calico-node","namespace":"` + ns + `"},
			"spec":{"template":{"spec":{"containers":[{"name":"calico-node","env":[{"name":"DATASTORE_TYPE","value":"kubernetes"}]}]}}}}`),
		CalicoNodePods: []Pod{{Name: "calico-node-a", Created: t0.Add(-time.Hour)}},
		APIEndpoints:   []string{"172.18.0.2:6443"},
		Rollouts:       map[string]Rollout{},
		Now:            t0,
	}
	for _, k := range []string{rolloutKey("DaemonSet", ns, "calico-node"), rolloutKey("DaemonSet", "kube-system", "kube-proxy"), rolloutKey("Deployment", "tigera-operator", "tigera-operator")} {
		st.Rollouts[k] = Rollout{Done: true}
	}
	if flavour == calico.FlavourOperator {
		st.OperatorImage = "quay.io/tigera/operator:" + operatorTag
		st.Operator = obj(`{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"tigera-operator","namespace":"tigera-operator"}}`)
		st.OperatorPods = []Pod{{Name: "tigera-operator-x", Created: t0.Add(-time.Hour)}}
		st.Installation = obj(`{"apiVersion":"operator.tigera.io/v1","kind":"Installation","metadata":{"name":"default"},
			"spec":{"calicoNetwork":{"linuxDataplane":"Iptables","hostPorts":"Enabled"}}}`)
	} else {
		st.CalicoNode = obj(`{"apiVersion":"apps/v1","kind":"DaemonSet","metadata":{"name":"calico-node","namespace":"kube-system"},
			"spec":{"template":{"spec":{"containers":[{"name":"calico-node","envFrom":[{"configMapRef":{"name":"kubernetes-services-endpoint","optional":true}}]}]}}}}`)
	}
	return st
}

var testOpts = Options{Settle: 60 * time.Second, WriteTimeout: time.Minute, WaitTimeout: 20 * time.Minute}

func golden(t *testing.T, name string, p *Plan, err error) {
	t.Helper()
	var got []byte
	if err != nil {
		got = []byte("error: " + err.Error() + "\n")
	} else {
		var b bytes.Buffer
		for i, s := range p.Steps {
			b.WriteString(strings.Join([]string{itoa(i + 1), string(s.Action), targetName(s), s.Change()}, " | ") + "\n    why: " + s.Why + "\n")
		}
		for _, w := range p.Warnings {
			b.WriteString("warning: " + w + "\n")
		}
		y, _ := yaml.Marshal(p)
		b.WriteString("---\n")
		b.Write(y)
		got = b.Bytes()
	}
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err2 := os.ReadFile(path)
	if err2 != nil {
		t.Fatalf("%v (run go test ./pkg/enable -update)", err2)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from %s:\n%s", name, path, got)
	}
}

func itoa(n int) string { return string(rune('0'+n/10)) + string(rune('0'+n%10)) }

func TestBuildGolden(t *testing.T) {
	managed := func(st State) State {
		st.KubeProxy = Apply(st.KubeProxy, obj(`{"metadata":{"labels":{"addonmanager.kubernetes.io/mode":"Reconcile"}}}`))
		return st
	}
	withCM := func(st State, age time.Duration) State {
		st.EndpointConfigMap = obj(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"kubernetes-services-endpoint","namespace":"tigera-operator"},"data":{"KUBERNETES_SERVICE_HOST":"172.18.0.2","KUBERNETES_SERVICE_PORT":"6443"}}`)
		st.ConfigMapWritten = t0.Add(-age)
		return st
	}
	noCleanup := func(st State) State {
		st.FelixConfiguration = Apply(st.FelixConfiguration, obj(`{"spec":{"bpfKubeProxyIptablesCleanupEnabled":false}}`))
		return st
	}
	threeAPIs := func(st State) State {
		st.APIEndpoints = []string{"172.18.0.2:6443", "172.18.0.3:6443", "172.18.0.4:6443"}
		return st
	}
	cases := []struct {
		name    string
		st      State
		o       Options
		disable bool
	}{
		{"enable-operator-v1.38", cluster(calico.FlavourOperator, "v1.38.3"), testOpts, false},
		{"enable-operator-v1.28-hostports", cluster(calico.FlavourOperator, "v1.28.0"), testOpts, false},
		{"enable-operator-v1.40", cluster(calico.FlavourOperator, "v1.40.1"), testOpts, false},
		{"enable-operator-v1.40-api-server", cluster(calico.FlavourOperator, "v1.40.1"), withAPI(testOpts, "lb.example:6443"), false},
		{"enable-operator-v1.38-configmap-fresh", withCM(cluster(calico.FlavourOperator, "v1.38.3"), 10*time.Second), testOpts, false},
		{"enable-operator-v1.38-three-apiservers", threeAPIs(cluster(calico.FlavourOperator, "v1.38.3")), testOpts, false},
		{"enable-operator-v1.40-three-apiservers", threeAPIs(cluster(calico.FlavourOperator, "v1.40.1")), testOpts, false},
		{"enable-operator-v1.38-managed-kube-proxy", managed(cluster(calico.FlavourOperator, "v1.38.3")), testOpts, false},
		{"enable-operator-v1.40-managed-kube-proxy-force", managed(cluster(calico.FlavourOperator, "v1.40.1")), Options{Force: true, Settle: time.Minute, WriteTimeout: time.Minute, WaitTimeout: time.Minute}, false},
		{"enable-manifest-dsr", noCleanup(cluster(calico.FlavourManifest, "")), Options{DSR: true, Settle: time.Minute, WriteTimeout: time.Minute, WaitTimeout: time.Minute}, false},
		{"disable-operator-no-record", func() State {
			st := cluster(calico.FlavourOperator, "v1.38.3")
			st.Installation = Apply(st.Installation, obj(`{"spec":{"calicoNetwork":{"linuxDataplane":"BPF"}}}`))
			st.FelixConfiguration = Apply(st.FelixConfiguration, obj(`{"spec":{"bpfEnabled":true}}`))
			st.KubeProxy = Apply(st.KubeProxy, nodeSelector(KubeProxyOffLabel, "true"))
			return st
		}(), testOpts, true},
		// Enabled the documented v3.31+ way by hand: disable must drop bpfNetworkBootstrap,
		// which the operator allows only with BPF.
		{"disable-operator-no-record-bootstrap", func() State {
			st := cluster(calico.FlavourOperator, "v1.40.1")
			st.Installation = Apply(st.Installation, obj(`{"spec":{"calicoNetwork":{"linuxDataplane":"BPF","bpfNetworkBootstrap":"Enabled"}}}`))
			st.FelixConfiguration = Apply(st.FelixConfiguration, obj(`{"spec":{"bpfEnabled":true}}`))
			return st
		}(), testOpts, true},
		// A record that holds BPF itself (made by an older plugin on a cluster already on BPF):
		// disable still ends on Iptables.
		{"disable-operator-record-says-bpf", func() State {
			st := cluster(calico.FlavourOperator, "v1.38.3")
			st.Installation = Apply(st.Installation, obj(`{"metadata":{"annotations":{"`+RestoreAnnotation+`":"{\"spec\":{\"calicoNetwork\":{\"linuxDataplane\":\"BPF\"}}}"}},"spec":{"calicoNetwork":{"linuxDataplane":"BPF"}}}`))
			st.FelixConfiguration = Apply(st.FelixConfiguration, obj(`{"spec":{"bpfEnabled":true}}`))
			return st
		}(), testOpts, true},
		{"disable-manifest-record-says-bpf", func() State {
			st := cluster(calico.FlavourManifest, "")
			st.FelixConfiguration = Apply(st.FelixConfiguration, obj(`{"metadata":{"annotations":{"`+RestoreAnnotation+`":"{\"spec\":{\"bpfEnabled\":true,\"bpfExternalServiceMode\":null}}"}},"spec":{"bpfEnabled":true,"bpfExternalServiceMode":"DSR"}}`))
			return st
		}(), testOpts, true},
		// A ConfigMap with a host and no port is rewritten whole; calico-node must be waited
		// for with the values written, not the half it had.
		{"enable-operator-v1.38-configmap-without-port", func() State {
			st := withCM(cluster(calico.FlavourOperator, "v1.38.3"), time.Hour)
			st.EndpointConfigMap = obj(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"kubernetes-services-endpoint","namespace":"tigera-operator"},"data":{"KUBERNETES_SERVICE_HOST":"10.9.9.9"}}`)
			return st
		}(), testOpts, false},
		// calico-bpf.yaml: an explicit env entry from calico-config wins over the ConfigMap.
		{"enable-manifest-explicit-env", func() State {
			st := cluster(calico.FlavourManifest, "")
			st.CalicoNode = Apply(st.CalicoNode, obj(`{"spec":{"template":{"spec":{"containers":[{"name":"calico-node",
				"env":[{"name":"KUBERNETES_SERVICE_HOST","valueFrom":{"configMapKeyRef":{"name":"calico-config","key":"kubernetes_service_host"}}}],
				"envFrom":[{"configMapRef":{"name":"kubernetes-services-endpoint","optional":true}}]}]}}}}`))
			return st
		}(), testOpts, false},
		// --remove-endpoint-config leaves a ConfigMap enable did not make, and does not wait
		// for calico-node to lose an endpoint it keeps.
		{"disable-operator-remove-foreign-configmap", func() State {
			st := withCM(cluster(calico.FlavourOperator, "v1.38.3"), time.Hour)
			st.Installation = Apply(st.Installation, obj(`{"spec":{"calicoNetwork":{"linuxDataplane":"BPF"}}}`))
			st.FelixConfiguration = Apply(st.FelixConfiguration, obj(`{"spec":{"bpfEnabled":true}}`))
			return st
		}(), Options{RemoveEndpointConfig: true, Settle: time.Minute, WriteTimeout: time.Minute, WaitTimeout: time.Minute}, true},
		{"disable-manifest-felix-env", func() State {
			st := cluster(calico.FlavourManifest, "")
			st.CalicoNode = Apply(st.CalicoNode, obj(`{"spec":{"template":{"spec":{"containers":[{"name":"calico-node","env":[{"name":"FELIX_BPFENABLED","value":"true"}]}]}}}}`))
			st.FelixConfiguration = Apply(st.FelixConfiguration, obj(`{"spec":{"bpfEnabled":true}}`))
			return st
		}(), testOpts, true},
		{"enable-manifest-ondelete", func() State {
			st := cluster(calico.FlavourManifest, "")
			st.CalicoNode = Apply(st.CalicoNode, obj(`{"spec":{"updateStrategy":{"type":"OnDelete"}}}`))
			return st
		}(), testOpts, false},
		{"enable-manifest-no-envfrom", func() State {
			st := cluster(calico.FlavourManifest, "")
			st.CalicoNode = Apply(st.CalicoNode, obj(`{"spec":{"template":{"spec":{"containers":[{"name":"calico-node"}]}}}}`))
			return st
		}(), testOpts, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			build := BuildEnable
			if c.disable {
				build = BuildDisable
			}
			p, err := build(c.st, c.o)
			golden(t, c.name, p, err)
		})
	}
}

func withAPI(o Options, hp string) Options { o.APIServer = hp; return o }

// sim plays a plan on a State the way the cluster and the operator would, so that plans can
// be chained: enable, interrupted enable, disable.
func sim(t *testing.T, st State, p *Plan, steps int) State {
	t.Helper()
	get := func(r Ref) *map[string]any {
		switch {
		case r.Kind == "Installation":
			return &st.Installation
		case r.Kind == "FelixConfiguration":
			return &st.FelixConfiguration
		case r.Kind == "ConfigMap":
			return &st.EndpointConfigMap
		case r.Name == KubeProxy:
			return &st.KubeProxy
		case r.Name == calico.NodeDaemonSet:
			return &st.CalicoNode
		}
		t.Fatalf("sim: unknown target %s", r)
		return nil
	}
	patch := func(r Ref, patch map[string]any, record bool) {
		o := get(r)
		if PatchSatisfied(*o, patch) {
			return
		}
		full := patch
		if record {
			undo := Undo(*o, patch)
			if old, _ := recorded(*o); old != nil {
				undo = MergeUndo(old, undo)
			}
			enc, _ := encodeUndo(undo)
			full = Merge(patch, map[string]any{"metadata": map[string]any{"annotations": map[string]any{RestoreAnnotation: enc}}})
		}
		*o = Apply(*o, full)
		// The API server drops an emptied annotations map.
		if ann, ok := (*o)["metadata"].(map[string]any)["annotations"].(map[string]any); ok && len(ann) == 0 {
			delete((*o)["metadata"].(map[string]any), "annotations")
		}
		if r.Kind == "ConfigMap" {
			st.ConfigMapWritten = st.Now
		}
	}
	for i, s := range p.Steps {
		if i == steps {
			break
		}
		st.Now = st.Now.Add(time.Second)
		switch s.Action {
		case ActionPatch:
			patch(s.Target, s.Patch, s.Record)
		case ActionCreate:
			*get(s.Target) = s.Object
			st.ConfigMapWritten = st.Now
		case ActionDelete:
			*get(s.Target) = nil
			st.ConfigMapWritten = time.Time{}
		case ActionSettle:
			st.Now = st.Now.Add(s.Settle)
		case ActionRestartPods:
			st.OperatorPods = []Pod{{Name: "tigera-operator-y", Created: st.Now}}
		case ActionRolloutRestart:
			patch(s.Target, map[string]any{"spec": map[string]any{"template": map[string]any{"metadata": map[string]any{"annotations": map[string]any{RestartedAtAnnotation: st.Now.Format(time.RFC3339)}}}}}, true)
			st.CalicoNodePods = []Pod{{Name: "calico-node-b", Created: st.Now}}
		case ActionWait:
			// The operator sets bpfEnabled after the rollout.
			o := get(s.Target)
			*o = Apply(*o, s.Expect)
		case ActionWaitRollout:
			if len(s.Expect) > 0 { // the operator's kubeProxyManagement
				o := get(s.Target)
				*o = Apply(*o, s.Expect)
			}
			if len(s.ExpectEnv) > 0 { // the operator renders the endpoint into calico-node
				var env []any
				for _, k := range sortedKeys(s.ExpectEnv) {
					if s.ExpectEnv[k] != "" {
						env = append(env, map[string]any{"name": k, "value": s.ExpectEnv[k]})
					}
				}
				st.CalicoNode = Apply(st.CalicoNode, obj(`{"spec":{"template":{"spec":{"containers":null}}}}`))
				st.CalicoNode = Apply(st.CalicoNode, map[string]any{"spec": map[string]any{"template": map[string]any{"spec": map[string]any{
					"containers": []any{map[string]any{"name": "calico-node", "env": env}}}}}})
			}
		case ActionWaitBPF:
			st.BPFUp = true
		}
	}
	// The operator flips bpfEnabled with the dataplane, whatever step waited for it.
	if st.Installation != nil && st.FelixConfiguration != nil {
		on := str(st.Installation, "spec", "calicoNetwork", "linuxDataplane") == "BPF"
		st.FelixConfiguration = Apply(st.FelixConfiguration, map[string]any{"spec": map[string]any{"bpfEnabled": on}})
		st.BPFUp = on
	}
	return st
}

// touched are the objects enable may change and disable must restore.
func touched(st State) map[string]any {
	return map[string]any{"installation": st.Installation, "kube-proxy": st.KubeProxy, "configmap": st.EndpointConfigMap,
		"felix-spec": func() any { s, _ := nested(st.FelixConfiguration, "spec"); return s }()}
}

func TestEnableDisableRoundTrip(t *testing.T) {
	disableOpts := testOpts
	disableOpts.RemoveEndpointConfig = true
	for _, c := range []struct {
		name string
		st   State
		o    Options
	}{
		{"operator-v1.38", cluster(calico.FlavourOperator, "v1.38.3"), testOpts},
		{"operator-v1.28", cluster(calico.FlavourOperator, "v1.28.0"), withDSR(testOpts)},
		{"operator-v1.40", cluster(calico.FlavourOperator, "v1.40.1"), withDSR(testOpts)},
		{"operator-v1.40-api-server", cluster(calico.FlavourOperator, "v1.40.1"), withAPI(testOpts, "10.0.0.1:443")},
		{"manifest", cluster(calico.FlavourManifest, ""), withDSR(testOpts)},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := touched(c.st)
			p, err := BuildEnable(c.st, c.o)
			if err != nil {
				t.Fatal(err)
			}
			done := sim(t, c.st, p, len(p.Steps))
			again, err := BuildEnable(done, c.o)
			if err != nil || again.Changes() {
				t.Fatalf("enable after enable: %v, plan %+v", err, again)
			}
			// Interrupted after each step in turn, then run again: the same end state.
			for k := 1; k < len(p.Steps); k++ {
				part := sim(t, c.st, p, k)
				rest, err := BuildEnable(part, c.o)
				if err != nil {
					t.Fatalf("after step %d: %v", k, err)
				}
				end := sim(t, part, rest, len(rest.Steps))
				if !reflect.DeepEqual(normalize(touched(end)), normalize(touched(done))) {
					t.Errorf("killed after step %d (%s %s): end state differs:\n%v\nwant\n%v", k, p.Steps[k-1].Action, targetName(p.Steps[k-1]), touched(end), touched(done))
				}
			}
			dp, err := BuildDisable(done, disableOpts)
			if err != nil {
				t.Fatal(err)
			}
			back := sim(t, done, dp, len(dp.Steps))
			gotBack := touched(back)
			if c.st.Flavour == calico.FlavourOperator {
				// The operator's own bpfEnabled and its annotation stay, as the real one leaves them.
				spec := gotBack["felix-spec"].(map[string]any)
				if spec["bpfEnabled"] != false {
					t.Errorf("bpfEnabled after disable = %v", spec["bpfEnabled"])
				}
				delete(spec, "bpfEnabled")
			}
			if !reflect.DeepEqual(normalize(gotBack), normalize(before)) {
				t.Errorf("after disable:\n%v\nwant\n%v", gotBack, before)
			}
			if c.st.Flavour == calico.FlavourManifest && !reflect.DeepEqual(normalize(back.CalicoNode), normalize(c.st.CalicoNode)) {
				t.Errorf("calico-node after disable:\n%v\nwant\n%v", back.CalicoNode, c.st.CalicoNode)
			}
			if again, err := BuildDisable(back, disableOpts); err != nil || again.Changes() {
				t.Errorf("disable after disable: %v, plan %+v", err, again)
			}
		})
	}
}

func withDSR(o Options) Options { o.DSR = true; return o }
