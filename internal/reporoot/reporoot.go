// Package reporoot finds the checkout the code runs in: tests and tools
// find the repository's files (templates, .tools, the shared material
// beside it) from there, wherever `go test` was started.
package reporoot

import (
	"fmt"
	"os"
	"path/filepath"
)

// Find returns the nearest directory at or above the working directory
// that holds go.mod.
func Find() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod at or above %s: run from inside the checkout", dir)
		}
		dir = parent
	}
}
