package emulators_test

import (
	"debug/elf"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/securestream/terraform-provider-securestream/internal/local/emulators"
	"github.com/securestream/terraform-provider-securestream/internal/local/localtest"
	"github.com/securestream/terraform-provider-securestream/internal/testenv"
)

// dynamic reports whether the ELF executable at path asks for a dynamic
// loader (PT_INTERP) or for shared libraries (DT_NEEDED): either makes
// the loader honour LD_PRELOAD and LD_LIBRARY_PATH.
func dynamic(t *testing.T, path string) bool {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return true
		}
	}
	libs, _ := f.ImportedLibraries()
	return len(libs) > 0
}

// The emulator the tests and the local API find is linked statically:
// nothing in a function's (or anyone's) environment can make the loader
// run code inside it.
func TestFoundRIEIsStatic(t *testing.T) {
	testenv.Cross(t)
	if p := localtest.FindRIE(t); dynamic(t, p) {
		t.Fatalf("%s is dynamically linked; the emulator the local API runs must be static: %s", p, emulators.RIEInstall)
	}
}

// A dynamically linked emulator where make tools puts it (an older build,
// or one made without CGO_ENABLED=0) is not run: the error says it is
// dynamic and how to build it static.
func TestLookRIERefusesDynamic(t *testing.T) {
	sh := "/bin/sh"
	if !dynamic(t, sh) {
		t.Fatalf("%s is static here; the test needs a dynamically linked executable to stand for the emulator", sh)
	}
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "go.mod"), []byte("module x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(sh)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, filepath.FromSlash(emulators.RIEDir))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "aws-lambda-rie"), b, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(root)
	t.Setenv("GOBIN", "")
	t.Setenv("PATH", t.TempDir()) // no go env GOPATH, nothing on PATH
	p, err := emulators.LookRIE()
	if err == nil || !strings.Contains(err.Error(), "dynamically linked") || !strings.Contains(err.Error(), "make tools") {
		t.Fatalf("LookRIE: %q, %v; want the dynamic emulator refused, with make tools", p, err)
	}
	if err := emulators.CheckStatic(filepath.Join(root, "go.mod")); err == nil || !strings.Contains(err.Error(), "make tools") {
		t.Errorf("CheckStatic of a file that is not ELF: %v", err)
	}
}

// make tools builds the emulator static where LookRIE looks first, at the
// version the tests expect.
func TestMakeToolsBuildsWhereLookRIELooks(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), "GNUmakefile"))
	if err != nil {
		t.Fatal(err)
	}
	mk := string(b)
	for _, want := range []string{
		"RIE_VERSION := " + emulators.RIEVersion + "\n",
		"RIE := " + strings.Replace(emulators.RIEDir, emulators.RIEVersion, "$(RIE_VERSION)", 1) + "/aws-lambda-rie\n",
		"\tCGO_ENABLED=0 GOBIN=$(CURDIR)/$(dir $(RIE)) go install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@$(RIE_VERSION)\n",
	} {
		if !strings.Contains(mk, want) {
			t.Errorf("GNUmakefile has no line %q: make tools and LookRIE disagree", strings.TrimSpace(want))
		}
	}
}

func TestMotoWithoutCORS(t *testing.T) {
	testenv.Cross(t)
	localtest.NoCORS(t, localtest.StartMoto(t).Endpoint)
}
