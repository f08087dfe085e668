// Command fakenode is the test bed's stand-in for the programs in a
// calico-node container (calico-node, calico, tc, bpftool, mount, cat, ls).
// Install it under those names, e.g. with
//
//	go build -o bin/fakenode ./test/fakes/cmd/fakenode
//	bin/fakenode -install bin/fakes
//
// and see package fakenode for the FAKE_* environment it answers from.
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/calico-ebpf/kubectl-calico-ebpf/test/fakes/fakenode"
)

func main() {
	// "fakenode -install DIR" links the program names; under any program
	// name the arguments belong to the emulated program.
	if filepath.Base(os.Args[0]) == "fakenode" {
		os.Exit(install(os.Args[1:]))
	}
	// No signal handling on purpose: a killed exec must die like the real
	// program would, mid-output.
	os.Exit(fakenode.Main(context.Background(), os.Args, os.Getenv, os.Stdout, os.Stderr))
}

func install(args []string) int {
	if len(args) != 2 || args[0] != "-install" {
		fmt.Fprintln(os.Stderr, "usage: fakenode -install DIR   (links calico-node, calico, tc, bpftool, mount, cat, ls to this binary)")
		return 2
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "fakenode:", err)
		return 1
	}
	if err := fakenode.InstallLinks(self, args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "fakenode:", err)
		return 1
	}
	return 0
}
