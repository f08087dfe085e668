package kube

import (
	"context"
	"fmt"
	"sync"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// World is the cluster's objects that own addresses: what the annotation index is built from.
// One List of each per run, however many nodes and rows there are.
type World struct {
	Nodes          []corev1.Node
	Pods           []corev1.Pod
	Services       []corev1.Service
	EndpointSlices []discoveryv1.EndpointSlice
}

// ListWorld lists every Node, Pod, Service and EndpointSlice. The four Lists run at once: on a
// big cluster each is a round trip of megabytes, and none needs another.
func ListWorld(ctx context.Context, kc kubernetes.Interface) (*World, error) {
	w := &World{}
	var errs [4]error
	var wg sync.WaitGroup
	list := func(i int, f func() error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = f()
		}()
	}
	list(0, func() error {
		l, err := kc.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		if err != nil {
			return fmt.Errorf("list nodes: %w", err)
		}
		w.Nodes = l.Items
		return nil
	})
	list(1, func() error {
		l, err := kc.CoreV1().Pods("").List(ctx, metav1.ListOptions{})
		if err != nil {
			return fmt.Errorf("list pods: %w", err)
		}
		w.Pods = l.Items
		return nil
	})
	list(2, func() error {
		l, err := kc.CoreV1().Services("").List(ctx, metav1.ListOptions{})
		if err != nil {
			return fmt.Errorf("list services: %w", err)
		}
		w.Services = l.Items
		return nil
	})
	list(3, func() error {
		l, err := kc.DiscoveryV1().EndpointSlices("").List(ctx, metav1.ListOptions{})
		if err != nil {
			return fmt.Errorf("list endpointslices: %w", err)
		}
		w.EndpointSlices = l.Items
		return nil
	})
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err // the first in the order above, as when they ran one by one
		}
	}
	return w, nil
}
