// Command kubectl-calico_ebpf is the kubectl plugin `kubectl calico-ebpf`.
//
// main only builds the streams and a signal-aware context, runs the root command and turns its
// error into an exit code; everything else lives under pkg/.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/cmd"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	streams := genericiooptions.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}
	stopProfile := startProfile(os.Getenv(profileEnv), os.Getenv(memProfileEnv))
	code := cmd.Execute(ctx, streams, os.Args[1:])
	stopProfile()
	stop()
	os.Exit(code)
}
