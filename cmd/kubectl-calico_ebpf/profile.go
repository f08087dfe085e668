package main

import (
	"fmt"
	"os"
	"runtime/pprof"
)

// profileEnv names a file to write a CPU profile of the run to, and memProfileEnv one for the
// heap profile at its end (allocations included: go tool pprof -sample_index=alloc_space):
// developers' aids for the benchmarks (go tool pprof bin/kubectl-calico_ebpf FILE), off
// unless set.
const (
	profileEnv    = "KUBECTL_CALICO_EBPF_CPUPROFILE"
	memProfileEnv = "KUBECTL_CALICO_EBPF_MEMPROFILE"
)

func startProfile(path, memPath string) (stop func()) {
	stopCPU := func() {}
	if path != "" {
		f, err := os.Create(path)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "warning: no CPU profile: %v\n", err)
		} else {
			stopCPU = func() {
				pprof.StopCPUProfile()
				_ = f.Close()
			}
		}
	}
	return func() {
		stopCPU()
		if memPath == "" {
			return
		}
		f, err := os.Create(memPath)
		if err == nil {
			err = pprof.Lookup("allocs").WriteTo(f, 0)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "warning: no memory profile: %v\n", err)
		}
	}
}
