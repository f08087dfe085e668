package calicobpf

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/calico-ebpf/kubectl-calico-ebpf/test/fakes/calver"
)

// help renders cobra's default help template: Long (or Short), then usage.
func (p parser) help(cmd *command, path []string) string {
	text := cmd.long
	if text == "" {
		text = cmd.short
	}
	return strings.TrimRight(text, " \t\n") + "\n\n" + p.usage(cmd, path)
}

// usage renders cobra's default usage template for cmd (cobra v1.x).
func (p parser) usage(cmd *command, path []string) string {
	cmdPath := strings.Join(append([]string{"calico-bpf"}, path...), " ")
	children := cmd.childrenIn(p.v)
	local, inherited := p.localFlags(cmd), globalFlags(p.v)
	if cmd == p.root {
		local, inherited = append(local, inherited...), nil
	}

	var b strings.Builder
	b.WriteString("Usage:")
	if cmd.kind != kindGroup {
		use := cmdPath
		if args := useFor(cmd, path, p.v); args != "" {
			use += " " + args
		}
		b.WriteString("\n  " + use + " [flags]")
	}
	if len(children) > 0 {
		b.WriteString("\n  " + cmdPath + " [command]")
		b.WriteString("\n\nAvailable Commands:")
		pad := 11 // cobra's minimum name padding
		for _, ch := range children {
			pad = max(pad, len(ch.name))
		}
		for _, ch := range children {
			fmt.Fprintf(&b, "\n  %-*s %s", pad, ch.name, ch.short)
		}
	}
	b.WriteString("\n\nFlags:\n" + strings.TrimRight(flagUsages(local), " \t\n"))
	if len(inherited) > 0 {
		b.WriteString("\n\nGlobal Flags:\n" + strings.TrimRight(flagUsages(inherited), " \t\n"))
	}
	if len(children) > 0 {
		b.WriteString("\n\nUse \"" + cmdPath + " [command] --help\" for more information about a command.")
	}
	b.WriteString("\n")
	return b.String()
}

// helpTopic is cobra's "help [command…]": the topic's help, or a complaint
// followed by the root usage (still exit 0).
func (p parser) helpTopic(topic []string) string {
	cmd, path, rest := p.find(topic)
	if cmd == p.root && len(commandWords(rest, p.flagsOf(cmd, path))) > 0 {
		quoted := make([]string, len(topic))
		for i, t := range topic {
			quoted[i] = fmt.Sprintf("%q", t)
		}
		return "Unknown help topic [" + strings.Join(quoted, " ") + "]\n" + p.usage(p.root, nil)
	}
	return p.help(cmd, path)
}

// suggestions mirrors cobra's "Did you mean this?" block: commands within
// Levenshtein distance 2 of the typed word, or that it is a prefix of.
func (p parser) suggestions(typed string) string {
	var hits []string
	for _, ch := range p.root.childrenIn(p.v) {
		if ch.kind == kindHelp {
			continue
		}
		lt, ln := strings.ToLower(typed), strings.ToLower(ch.name)
		if levenshtein(lt, ln) <= 2 || strings.HasPrefix(ln, lt) {
			hits = append(hits, ch.name)
		}
	}
	if len(hits) == 0 {
		return ""
	}
	return "\n\nDid you mean this?\n\t" + strings.Join(hits, "\n\t") + "\n"
}

func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// BuildInfo returns a stable fake git commit and build date for a release,
// so repeated runs print identical version text.
func BuildInfo(v calver.Version) (commit, date string) {
	sum := sha1.Sum([]byte("calico " + v.String()))
	return hex.EncodeToString(sum[:]), "2026-01-01T00:00:00+0000"
}

// VersionText is what "calico-bpf version" prints. Releases before v3.31
// built calico-node without Felix's buildinfo ldflags, so the fields are
// empty there (reference §2.9).
func VersionText(v calver.Version) string {
	version, commit, date := "", "", ""
	if v.AtLeast(v3_31) {
		version = v.String()
		commit, date = BuildInfo(v)
	}
	return "Version:            " + version + "\n" +
		"Full git commit ID: " + commit + "\n" +
		"Build date:         " + date + "\n"
}
