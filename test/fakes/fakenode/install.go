package fakenode

import (
	"fmt"
	"os"
	"path/filepath"
)

// InstallLinks makes dir a fakes bin directory: a symlink named after each
// program in ProgramNames pointing at binary. Existing entries of those
// names are replaced. Put dir first on the pods' PATH.
func InstallLinks(binary, dir string) error {
	target, err := filepath.Abs(binary)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, name := range ProgramNames() {
		link := filepath.Join(dir, name)
		if err := os.Remove(link); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("install %s: %w", name, err)
		}
		if err := os.Symlink(target, link); err != nil {
			return fmt.Errorf("install %s: %w", name, err)
		}
	}
	return nil
}
