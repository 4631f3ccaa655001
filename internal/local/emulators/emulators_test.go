package emulators_test

import (
	"debug/elf"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
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

// fakeRIEVar makes the test binary a stand-in for aws-lambda-rie
// (TestMain): it counts its starts in the file the variable names and
// exits at once, as the emulator does on a taken port, until the start
// numbered by fakeRIEListenVar, where it listens where it is told.
const (
	fakeRIEVar       = "SECURESTREAM_FAKE_RIE_STARTS"
	fakeRIEListenVar = "SECURESTREAM_FAKE_RIE_LISTEN_AT"
)

func TestMain(m *testing.M) {
	if starts := os.Getenv(fakeRIEVar); starts != "" {
		fakeRIE(starts)
	}
	os.Exit(m.Run())
}

func fakeRIE(starts string) {
	b, _ := os.ReadFile(starts)
	n := len(b) + 1
	if err := os.WriteFile(starts, append(b, '.'), 0o600); err != nil {
		os.Exit(2)
	}
	if strconv.Itoa(n) != os.Getenv(fakeRIEListenVar) {
		fmt.Fprintln(os.Stderr, "listen tcp: bind: address already in use")
		os.Exit(1)
	}
	var addr string
	for i, a := range os.Args {
		if a == "--runtime-interface-emulator-address" && i+1 < len(os.Args) {
			addr = os.Args[i+1]
		}
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		os.Exit(3)
	}
	_ = http.Serve(l, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "{}") }))
	os.Exit(0)
}

// An emulator that exits before it listens (its port taken between the
// pick and its bind) is started again on other ports, twice at most.
func TestRunRIEStartsAgainWhenItExits(t *testing.T) {
	for _, tc := range []struct {
		listenAt   string
		wantStarts int
		wantErr    bool
	}{
		{listenAt: "1", wantStarts: 1},
		{listenAt: "3", wantStarts: 3},
		{listenAt: "4", wantStarts: 3, wantErr: true},
	} {
		starts := filepath.Join(t.TempDir(), "starts")
		r, err := emulators.RunRIE(os.Args[0], []string{fakeRIEVar + "=" + starts, fakeRIEListenVar + "=" + tc.listenAt})
		if err == nil {
			out, cerr := r.Call(t.Context(), []byte(`{}`))
			r.Stop()
			if cerr != nil || string(out) != "{}" {
				t.Errorf("listening at start %s: the emulator answered %q, %v", tc.listenAt, out, cerr)
			}
		}
		if (err != nil) != tc.wantErr {
			t.Errorf("listening at start %s: RunRIE: %v, want an error: %v", tc.listenAt, err, tc.wantErr)
		}
		if b, _ := os.ReadFile(starts); len(b) != tc.wantStarts {
			t.Errorf("listening at start %s: started %d times, want %d", tc.listenAt, len(b), tc.wantStarts)
		}
	}
}
