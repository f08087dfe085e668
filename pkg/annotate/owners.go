package annotate

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// OwnerKind is the kind of object that owns an address.
type OwnerKind string

// Owner kinds.
const (
	OwnerNode    OwnerKind = "node"
	OwnerPod     OwnerKind = "pod"
	OwnerService OwnerKind = "service"
)

// Address roles: how an address belongs to its owner.
const (
	RoleInternalIP   = "InternalIP"
	RoleExternalIP   = "ExternalIP"
	RolePodIP        = "pod-ip"
	RoleHostNetwork  = "host-network-pod"
	RolePodCIDR      = "podCIDR"
	RolePods         = "pods"
	RoleClusterIP    = "ClusterIP"
	RoleServiceExtIP = "externalIP"
	RoleLoadBalancer = "LoadBalancer"
)

// Calico's node annotations that carry addresses (the role is the annotation
// name without the projectcalico.org/ prefix).
var calicoAddrAnnotations = []string{
	"projectcalico.org/IPv4Address",
	"projectcalico.org/IPv6Address",
	"projectcalico.org/IPv4IPIPTunnelAddr",
	"projectcalico.org/IPv4VXLANTunnelAddr",
	"projectcalico.org/IPv6VXLANTunnelAddr",
	"projectcalico.org/IPv4WireguardInterfaceAddr",
	"projectcalico.org/IPv6WireguardInterfaceAddr",
}

// Owner is an object that owns an address: a node, a pod or a Service.
type Owner struct {
	Kind      OwnerKind `json:"kind"`
	Namespace string    `json:"namespace,omitempty"`
	Name      string    `json:"name"`
	// Node is where a pod runs.
	Node string `json:"node,omitempty"`
	// Roles say how the address belongs to the owner: InternalIP, IPv4Address,
	// IPv4IPIPTunnelAddr, pod-ip, host-network-pod, podCIDR, pods, ClusterIP, …
	Roles []string `json:"roles,omitempty"`
}

// String is the short display form: "node n1", "pod ns/name@n1", "svc ns/name".
func (o Owner) String() string {
	switch o.Kind {
	case OwnerNode:
		return "node " + o.Name
	case OwnerPod:
		s := "pod " + o.Namespace + "/" + o.Name
		if o.Node != "" {
			s += "@" + o.Node
		}
		return s
	case OwnerService:
		return "svc " + o.Namespace + "/" + o.Name
	}
	return string(o.Kind) + " " + o.Name
}

func kindRank(k OwnerKind) int {
	switch k {
	case OwnerNode:
		return 0
	case OwnerPod:
		return 1
	}
	return 2
}

func compareOwners(a, b Owner) int {
	return cmp.Or(
		cmp.Compare(kindRank(a.Kind), kindRank(b.Kind)),
		cmp.Compare(a.Namespace, b.Namespace),
		cmp.Compare(a.Name, b.Name),
		cmp.Compare(a.Node, b.Node),
		slices.Compare(a.Roles, b.Roles),
	)
}

func sameObject(a, b Owner) bool {
	return a.Kind == b.Kind && a.Namespace == b.Namespace && a.Name == b.Name
}

// addOwner merges o into owners: one entry per object, roles unioned.
func addOwner(owners []Owner, o Owner) []Owner {
	for i := range owners {
		if sameObject(owners[i], o) {
			for _, r := range o.Roles {
				if !slices.Contains(owners[i].Roles, r) {
					owners[i].Roles = append(owners[i].Roles, r)
				}
			}
			slices.Sort(owners[i].Roles)
			if owners[i].Node == "" {
				owners[i].Node = o.Node
			}
			return owners
		}
	}
	o.Roles = slices.Clone(o.Roles)
	slices.Sort(o.Roles)
	return append(owners, o)
}

// ServicePortRef names one port of a Service, and how a frontend reaches it.
type ServicePortRef struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	PortName  string `json:"port_name,omitempty"`
	Port      int32  `json:"port"`
	Protocol  string `json:"protocol"`
	NodePort  int32  `json:"node_port,omitempty"`
	// TargetPort is the Service's targetPort (a number or a container port name).
	TargetPort string `json:"target_port,omitempty"`
	// Via is how an address and port reach the Service (set by frontend lookups).
	Via FrontendKind `json:"via,omitempty"`
	// Node is whose address a NodePort frontend is on.
	Node string `json:"node,omitempty"`
}

// Service is "ns/name".
func (r ServicePortRef) Service() string { return r.Namespace + "/" + r.Name }

// String is "ns/name:portname", or "ns/name:port/PROTO" for an unnamed port.
func (r ServicePortRef) String() string {
	if r.PortName != "" {
		return r.Service() + ":" + r.PortName
	}
	return r.Service() + ":" + strconv.Itoa(int(r.Port)) + "/" + r.Protocol
}

func compareRefs(a, b ServicePortRef) int {
	return cmp.Or(
		cmp.Compare(a.Namespace, b.Namespace),
		cmp.Compare(a.Name, b.Name),
		cmp.Compare(a.Port, b.Port),
		cmp.Compare(a.Protocol, b.Protocol),
		cmp.Compare(a.Via, b.Via),
		cmp.Compare(a.Node, b.Node),
	)
}

// Name is what the index knows about one address (and port): its owners,
// the Services it is a frontend of, and the Services it is an endpoint of.
type Name struct {
	// Text is a short display form: "svc default/web:http", "pod default/web-1@n2",
	// "node n1", "external".
	Text   string  `json:"text"`
	Owners []Owner `json:"owners,omitempty"`
	// Services are the Service ports this address and port are a frontend of.
	Services []ServicePortRef `json:"services,omitempty"`
	// EndpointOf are the Service ports whose EndpointSlices list this address and port.
	EndpointOf []ServicePortRef `json:"endpoint_of,omitempty"`
	// External is set when nothing in the cluster owns the address.
	External bool `json:"external,omitempty"`
}

func (n *Name) setText() {
	switch {
	case len(n.Services) > 0:
		parts := make([]string, 0, len(n.Services))
		for _, s := range n.Services {
			t := "svc " + s.String()
			if s.Via != "" && s.Via != KindClusterIP {
				t += " (" + string(s.Via) + ")"
			}
			if !slices.Contains(parts, t) {
				parts = append(parts, t)
			}
		}
		n.Text = strings.Join(parts, ", ")
	case len(n.Owners) > 0:
		parts := make([]string, 0, len(n.Owners))
		for _, o := range n.Owners {
			parts = append(parts, o.String())
		}
		n.Text = strings.Join(parts, ", ")
	default:
		n.External = true
		n.Text = "external"
		if len(n.EndpointOf) > 0 {
			n.Text += " (endpoint of svc " + n.EndpointOf[0].String() + ")"
		}
	}
}
