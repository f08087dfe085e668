package kube

import (
	"fmt"
	"os"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/calico"
)

// CalicoAPIGroupEnv overrides the detection, as it does for libcalico-go.
const CalicoAPIGroupEnv = "CALICO_API_GROUP"

// FelixConfigurationGVR picks the API that FelixConfiguration should be read and written
// through, by libcalico-go's rule (backend/k8s/discovery.go UsingV3CRDs): the
// CALICO_API_GROUP environment variable decides when set; otherwise projectcalico.org/v3
// when the server serves it (the Calico API server, or native v3 CRDs on v3.32+), because
// Calico's docs say never to write the crd.projectcalico.org storage group directly; and
// crd.projectcalico.org/v1 only when nothing else serves FelixConfiguration.
func FelixConfigurationGVR(disc discovery.DiscoveryInterface) (schema.GroupVersionResource, error) {
	if g := strings.TrimSpace(os.Getenv(CalicoAPIGroupEnv)); g != "" {
		switch strings.SplitN(g, "/", 2)[0] {
		case calico.FelixConfigurationV3GVR.Group:
			return calico.FelixConfigurationV3GVR, nil
		case calico.FelixConfigurationV1GVR.Group:
			return calico.FelixConfigurationV1GVR, nil
		default:
			return schema.GroupVersionResource{}, fmt.Errorf("%s=%q: want %s or %s", CalicoAPIGroupEnv, g,
				calico.FelixConfigurationV3GVR.Group, calico.FelixConfigurationV1GVR.Group)
		}
	}
	for _, gvr := range []schema.GroupVersionResource{calico.FelixConfigurationV3GVR, calico.FelixConfigurationV1GVR} {
		served, err := servesResource(disc, gvr)
		if err != nil {
			return schema.GroupVersionResource{}, err
		}
		if served {
			return gvr, nil
		}
	}
	return schema.GroupVersionResource{}, fmt.Errorf("the cluster serves no FelixConfiguration API (neither %s nor %s): is Calico installed?",
		calico.FelixConfigurationV3GVR.GroupVersion(), calico.FelixConfigurationV1GVR.GroupVersion())
}

// servesResource asks discovery for one group version. A group the server does not know is
// not an error; an aggregated API server that is registered but down is, because writing the
// storage group behind its back is what Calico's docs warn against.
func servesResource(disc discovery.DiscoveryInterface, gvr schema.GroupVersionResource) (bool, error) {
	list, err := disc.ServerResourcesForGroupVersion(gvr.GroupVersion().String())
	if err != nil {
		if apierrors.IsNotFound(err) {
			return false, nil
		}
		return false, fmt.Errorf("discover %s: %w", gvr.GroupVersion(), err)
	}
	for _, r := range list.APIResources {
		if r.Name == gvr.Resource {
			return true, nil
		}
	}
	return false, nil
}
