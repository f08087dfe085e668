package kube

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

func node(name string, labels map[string]string) *corev1.Node {
	return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
}

func TestSelectNodes(t *testing.T) {
	kc := fake.NewClientset(
		node("b", map[string]string{"zone": "x"}),
		node("a", map[string]string{"zone": "y"}),
		node("c", map[string]string{"zone": "x"}),
	)
	ctx := context.Background()
	names := func(sel NodeSelection) string {
		nodes, err := SelectNodes(ctx, kc, sel)
		if err != nil {
			return "error: " + err.Error()
		}
		var out []string
		for _, n := range nodes {
			out = append(out, n.Name)
		}
		return strings.Join(out, ",")
	}
	cases := map[string]NodeSelection{
		"a,b,c":                      {All: true},
		"b,c":                        {Selector: "zone=x"},
		"a,c":                        {Names: []string{"c", "a"}},
		"a,b,c ":                     {Selector: "zone=x", Names: []string{"a"}},
		"error: node nope not found": {Names: []string{"a", "nope"}},
		`error: no node matches the selector "zone=z"`: {Selector: "zone=z"},
	}
	for want, sel := range cases {
		if got := names(sel); got != strings.TrimSpace(want) {
			t.Errorf("SelectNodes(%+v) = %q, want %q", sel, got, strings.TrimSpace(want))
		}
	}
}
