package collect

import (
	"strings"

	"k8s.io/apimachinery/pkg/util/version"
)

// Form is how a node's Calico speaks its BPF dump tool.
type Form struct {
	// Prefix is the argv before the subcommand words, e.g. ["calico-node", "-bpf"].
	Prefix []string
	// JSON reports whether the tool accepts -j/--json on its dump commands.
	JSON bool
	// IPv6 reports whether the tool accepts -6 (v3.27+).
	IPv6 bool
	// Version is the Calico version the form was chosen for; nil when unknown.
	Version *version.Version
}

// Known reports whether the form names a command at all.
func (f Form) Known() bool { return len(f.Prefix) > 0 }

// String is the human name of the form, as `version` prints it.
func (f Form) String() string {
	if !f.Known() {
		return "none"
	}
	s := strings.Join(f.Prefix, " ")
	if f.JSON {
		return s + " (json)"
	}
	return s + " (text)"
}

var (
	v3_18   = version.MustParseGeneric("3.18.0")
	v3_27   = version.MustParseGeneric("3.27.0")
	v3_31_5 = version.MustParseGeneric("3.31.5")
	v3_32   = version.MustParseGeneric("3.32.0")
	v3_33   = version.MustParseGeneric("3.33.0")
)

// FormFor returns the dump form of a Calico version. A nil version (unknown image tag) gets the
// legacy text form, which every release from v3.18 to v3.32 accepts; the caller confirms it
// against the tool's answer.
func FormFor(v *version.Version) Form {
	switch {
	case v == nil:
		return Form{Prefix: legacyPrefix}
	case !v.AtLeast(v3_18):
		// v3.13–v3.17 shipped calico-bpf only in the felix image, not in calico/node.
		return Form{}
	case v.AtLeast(v3_33):
		return Form{Prefix: combinedPrefix, JSON: true, IPv6: true, Version: v}
	}
	return Form{
		Prefix:  legacyPrefix,
		JSON:    v.AtLeast(v3_32) || (v.Minor() == 31 && v.AtLeast(v3_31_5)),
		IPv6:    v.AtLeast(v3_27),
		Version: v,
	}
}

// The two ways to reach calico-bpf inside the calico-node container.
var (
	legacyPrefix   = []string{"calico-node", "-bpf"}
	combinedPrefix = []string{"calico", "component", "node", "bpf"}
)

// Combined reports whether the form uses the v3.33+ combined `calico` binary.
func (f Form) Combined() bool { return len(f.Prefix) > 0 && f.Prefix[0] == combinedPrefix[0] }

// withoutJSON is the form after the tool refused --json: same command, text output.
func (f Form) withoutJSON() Form { f.JSON = false; return f }

// otherBinary is the form after the container had no such binary: the other one.
func (f Form) otherBinary() Form {
	if f.Combined() {
		f.Prefix = legacyPrefix
	} else {
		f.Prefix, f.JSON, f.IPv6 = combinedPrefix, true, true
	}
	return f
}
