// Package felixconfig knows the bpf* fields of Calico's FelixConfiguration: their JSON names,
// types, allowed values, per-version defaults and the release that introduced them
// (reference/calico-bpf-formats.md §4.2). It parses and validates `NAME=VALUE` assignments,
// turns them into a JSON merge patch built from Go values, renders the diff a write would make
// and the rows of `config get`. It performs no I/O: the caller fetches the object and writes
// the patch (pkg/kube), and prints what this package renders (pkg/cmd, pkg/output).
package felixconfig
