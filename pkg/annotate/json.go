package annotate

import (
	"strconv"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
)

// Hand-written JSON for the conntrack annotation, which a live dump writes once per entry:
// the bytes encoding/json (without HTML escaping) writes, as TestAnnotationAppendJSON checks.

// AppendJSON appends the annotation as encoding/json encodes it.
func (a ConntrackAnnotation) AppendJSON(dst []byte) []byte {
	dst = append(dst, '{')
	for _, n := range [...]struct {
		key  string
		name *Name
	}{{"src_name", a.Src}, {"dst_name", a.Dst}, {"orig_dst_name", a.OrigDst}, {"backend_name", a.Backend}} {
		if n.name != nil {
			dst = n.name.AppendJSON(key(dst, n.key))
		}
	}
	if a.TunnelNode != "" {
		dst = model.AppendJSONString(key(dst, "tunnel_node"), a.TunnelNode)
	}
	if a.Service != nil {
		dst = a.Service.appendJSON(key(dst, "service"))
	}
	if len(a.Notes) > 0 {
		dst = key(dst, "notes")
		for i, n := range a.Notes {
			dst = elem(dst, i)
			dst = n.appendJSON(dst)
		}
		dst = append(dst, ']')
	}
	return append(dst, '}')
}

// AppendJSON appends the name as encoding/json encodes it.
func (n *Name) AppendJSON(dst []byte) []byte {
	dst = append(dst, '{')
	dst = model.AppendJSONString(key(dst, "text"), n.Text)
	if len(n.Owners) > 0 {
		dst = key(dst, "owners")
		for i, o := range n.Owners {
			dst = elem(dst, i)
			dst = o.appendJSON(dst)
		}
		dst = append(dst, ']')
	}
	dst = appendRefs(dst, "services", n.Services)
	dst = appendRefs(dst, "endpoint_of", n.EndpointOf)
	if n.External {
		dst = append(key(dst, "external"), "true"...)
	}
	return append(dst, '}')
}

func appendRefs(dst []byte, k string, refs []ServicePortRef) []byte {
	if len(refs) == 0 {
		return dst
	}
	dst = key(dst, k)
	for i := range refs {
		dst = elem(dst, i)
		dst = refs[i].appendJSON(dst)
	}
	return append(dst, ']')
}

func (o Owner) appendJSON(dst []byte) []byte {
	dst = append(dst, '{')
	dst = model.AppendJSONString(key(dst, "kind"), string(o.Kind))
	if o.Namespace != "" {
		dst = model.AppendJSONString(key(dst, "namespace"), o.Namespace)
	}
	dst = model.AppendJSONString(key(dst, "name"), o.Name)
	if o.Node != "" {
		dst = model.AppendJSONString(key(dst, "node"), o.Node)
	}
	if len(o.Roles) > 0 {
		dst = key(dst, "roles")
		for i, r := range o.Roles {
			dst = model.AppendJSONString(elem(dst, i), r)
		}
		dst = append(dst, ']')
	}
	return append(dst, '}')
}

func (r *ServicePortRef) appendJSON(dst []byte) []byte {
	dst = append(dst, '{')
	dst = model.AppendJSONString(key(dst, "namespace"), r.Namespace)
	dst = model.AppendJSONString(key(dst, "name"), r.Name)
	if r.PortName != "" {
		dst = model.AppendJSONString(key(dst, "port_name"), r.PortName)
	}
	dst = strconv.AppendInt(key(dst, "port"), int64(r.Port), 10)
	dst = model.AppendJSONString(key(dst, "protocol"), r.Protocol)
	if r.NodePort != 0 {
		dst = strconv.AppendInt(key(dst, "node_port"), int64(r.NodePort), 10)
	}
	if r.TargetPort != "" {
		dst = model.AppendJSONString(key(dst, "target_port"), r.TargetPort)
	}
	if r.Via != "" {
		dst = model.AppendJSONString(key(dst, "via"), string(r.Via))
	}
	if r.Node != "" {
		dst = model.AppendJSONString(key(dst, "node"), r.Node)
	}
	return append(dst, '}')
}

func (n Note) appendJSON(dst []byte) []byte {
	dst = append(dst, '{')
	dst = model.AppendJSONString(key(dst, "severity"), string(n.Severity))
	dst = model.AppendJSONString(key(dst, "code"), string(n.Code))
	dst = model.AppendJSONString(key(dst, "message"), n.Message)
	return append(dst, '}')
}

// elem opens array element i: '[' before the first, ',' before the others.
func elem(dst []byte, i int) []byte {
	if i == 0 {
		return append(dst, '[')
	}
	return append(dst, ',')
}

// key appends `"k":`, after a comma unless it is the object's first field.
func key(dst []byte, k string) []byte { return model.AppendJSONKey(dst, k) }
