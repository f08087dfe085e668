package calico

import (
	"strings"

	"k8s.io/apimachinery/pkg/util/version"
)

// Flavour is how Calico was installed: by the Tigera operator or from manifests.
type Flavour string

const (
	FlavourOperator Flavour = "operator"
	FlavourManifest Flavour = "manifest"
	FlavourUnknown  Flavour = "unknown"
)

// NamespaceFor returns where calico-node runs for a flavour.
func NamespaceFor(f Flavour) string {
	if f == FlavourManifest {
		return ManifestNamespace
	}
	return OperatorNamespace
}

// ImageTag returns the tag of a container image reference, or "" when it has none.
// It copes with registry ports (host:5000/calico/node) and digests (…:v3.29.1@sha256:…).
func ImageTag(image string) string {
	if at := strings.IndexByte(image, '@'); at >= 0 {
		image = image[:at]
	}
	slash := strings.LastIndexByte(image, '/')
	colon := strings.LastIndexByte(image, ':')
	if colon <= slash {
		return ""
	}
	return image[colon+1:]
}

// ParseVersion reads a Calico version from an image tag or version string such as "v3.29.7",
// "3.32.1" or "v3.33.0-0.dev". It returns nil when the text is not a version (e.g. "latest").
func ParseVersion(s string) *version.Version {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	v, err := version.ParseGeneric(s)
	if err != nil {
		return nil
	}
	return v
}
