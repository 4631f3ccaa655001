package reporoot

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFind(t *testing.T) {
	root, err := Find()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil || !strings.HasPrefix(string(b), "module github.com/securestream/terraform-provider-securestream") {
		t.Fatalf("%s/go.mod is not this module's: %v", root, err)
	}
	t.Chdir(t.TempDir())
	if _, err := Find(); err == nil || !strings.Contains(err.Error(), "no go.mod") {
		t.Errorf("outside a checkout: %v", err)
	}
}
