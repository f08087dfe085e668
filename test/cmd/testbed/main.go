// Command testbed starts and stops the simulated cluster (see package testbed):
//
//	testbed up [--name N] [--nodes 3] [--versions v3.22.5,v3.29.7,v3.32.1] [--flavour operator|manifest]
//	testbed down [--name N]
//	testbed controller --name N --flavour F   (started by up, runs until stopped)
//
// `up` is idempotent: a running cluster is reused. Its last line of output is
// `export KUBECONFIG=<path>`.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/calico"
	"github.com/calico-ebpf/kubectl-calico-ebpf/test/testbed"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: testbed up|down|controller [flags]")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1], os.Args[2:])
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "testbed:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, verb string, args []string) error {
	fs := flag.NewFlagSet(verb, flag.ExitOnError)
	name := fs.String("name", "calico-ebpf", "kwok cluster name")
	nodes := fs.Int("nodes", 3, "number of nodes")
	versions := fs.String("versions", "v3.32.1", "comma-separated Calico versions, assigned round the nodes")
	flavour := fs.String("flavour", string(calico.FlavourOperator), "operator or manifest")
	operatorVersion := fs.String("operator-version", "", "tigera-operator image tag (default: the test bed's, v1.42.3); the stand-in offers what that version offers")
	_ = fs.Parse(args)

	c, err := testbed.New(testbed.Config{
		Name: *name, Nodes: *nodes, Versions: strings.Split(*versions, ","),
		Flavour: calico.Flavour(*flavour), OperatorVersion: *operatorVersion, Progress: os.Stderr,
	})
	if err != nil {
		return err
	}
	switch verb {
	case "up":
		if err := c.Prepare(ctx); err != nil {
			return err
		}
		if c.Running(ctx) {
			fmt.Fprintf(os.Stderr, "testbed: cluster %q is already running\n", c.Name)
		} else {
			_ = c.Down(ctx) // clear what a failed or stopped earlier run left behind
			if err := c.Up(ctx, testbed.StartControllerProcess); err != nil {
				return err
			}
		}
		fmt.Printf("export KUBECONFIG=%s\n", c.Kubeconfig)
		return nil
	case "down":
		return c.Down(ctx)
	case "controller":
		if err := c.Connect(); err != nil {
			return err
		}
		c.Controller(os.Stderr).Run(ctx, 500*time.Millisecond)
		return nil
	}
	return fmt.Errorf("unknown verb %q: use up, down or controller", verb)
}
