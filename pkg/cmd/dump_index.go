package cmd

import (
	"context"

	"k8s.io/client-go/kubernetes"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/annotate"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/kube"
)

// liveIndex lists the objects that name addresses while the nodes are being read: a big
// cluster's Lists take as long as a small dump, and no exec needs them, only the first row.
type liveIndex struct {
	done chan struct{}
	idx  *annotate.Index
	err  error
}

// startIndex lists in the background; a failed List calls fail (to stop the reading, whose
// rows could not be named).
func startIndex(ctx context.Context, kc kubernetes.Interface, fail func()) *liveIndex {
	l := &liveIndex{done: make(chan struct{})}
	go func() {
		defer close(l.done)
		w, err := kube.ListWorld(ctx, kc)
		if err != nil {
			l.err = err
			fail()
			return
		}
		l.idx = annotate.NewIndex(w.Nodes, w.Pods, w.Services, w.EndpointSlices)
	}()
	return l
}

// get waits for the index.
func (l *liveIndex) get() (*annotate.Index, error) {
	<-l.done
	return l.idx, l.err
}
