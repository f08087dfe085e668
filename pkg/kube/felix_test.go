package kube

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	fakediscovery "k8s.io/client-go/discovery/fake"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/calico"
)

func discoveryServing(groups ...string) *fakediscovery.FakeDiscovery {
	disc := fake.NewClientset().Discovery().(*fakediscovery.FakeDiscovery)
	for _, gv := range groups {
		disc.Resources = append(disc.Resources, &metav1.APIResourceList{
			GroupVersion: gv,
			APIResources: []metav1.APIResource{{Name: "felixconfigurations", Kind: "FelixConfiguration"}},
		})
	}
	return disc
}

func TestFelixConfigurationGVR(t *testing.T) {
	v1, v3 := calico.FelixConfigurationV1GVR, calico.FelixConfigurationV3GVR
	cases := []struct {
		name   string
		served []string
		env    string
		want   string
		errHas string
	}{
		{name: "API server over CRDs", served: []string{"crd.projectcalico.org/v1", "projectcalico.org/v3"}, want: v3.Group},
		{name: "native v3 CRDs", served: []string{"projectcalico.org/v3"}, want: v3.Group},
		{name: "CRDs only", served: []string{"crd.projectcalico.org/v1"}, want: v1.Group},
		{name: "env forces v1", served: []string{"crd.projectcalico.org/v1", "projectcalico.org/v3"}, env: "crd.projectcalico.org/v1", want: v1.Group},
		{name: "env forces v3", served: nil, env: "projectcalico.org", want: v3.Group},
		{name: "env nonsense", env: "example.com", errHas: "CALICO_API_GROUP"},
		{name: "no calico", served: nil, errHas: "is Calico installed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(CalicoAPIGroupEnv, tc.env)
			got, err := FelixConfigurationGVR(discoveryServing(tc.served...))
			if tc.errHas != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errHas) {
					t.Fatalf("err = %v, want one containing %q", err, tc.errHas)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Group != tc.want || got.Resource != "felixconfigurations" {
				t.Fatalf("got %v, want group %s", got, tc.want)
			}
		})
	}
}
