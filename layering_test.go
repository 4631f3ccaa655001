package main

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/securestream/terraform-provider-securestream"

// deps lists the packages pkgs link, with go list -deps.
func deps(t *testing.T, pkgs ...string) []string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is not on PATH (%v): install Go from https://go.dev/dl/ and put its bin directory on PATH", err)
	}
	out, err := exec.Command(goTool, append([]string{"list", "-deps", "-f", "{{.ImportPath}}"}, pkgs...)...).Output()
	if err != nil {
		msg := ""
		if ee, ok := err.(*exec.ExitError); ok {
			msg = string(ee.Stderr)
		}
		t.Fatalf("go list -deps %s: %v\n%s", strings.Join(pkgs, " "), err, msg)
	}
	return strings.Fields(string(out))
}

// notShipped says why a package of this module must not be linked into
// what ships, or "" when it may be.
func notShipped(pkg string) string {
	rel, ok := strings.CutPrefix(pkg, module+"/")
	if !ok {
		return ""
	}
	for _, p := range []struct{ prefix, why string }{
		{"internal/local", "a local stand-in"},
		{"internal/testenv", "a test tier"},
		{"internal/sharedref", "a test tier"},
		{"internal/demo", "the demo"},
		{"internal/soak", "the soak test"},
	} {
		if rel == p.prefix || strings.HasPrefix(rel, p.prefix+"/") {
			return p.why
		}
	}
	if strings.HasSuffix(rel, "test") {
		return "a test-helper package"
	}
	return ""
}

// The layering .golangci.yml's depguard rules encode, checked on what the
// binaries link (so also transitively, and where golangci-lint is not run):
// the provider binary and the Lambda link no local stand-in, test tier,
// demo or soak; the provider links neither the Lambda's handler nor its
// token verifier; the Lambda and the local commands do not link testing.
func TestShippedDependencies(t *testing.T) {
	for _, c := range []struct {
		name   string
		pkgs   []string
		denied map[string]string
	}{
		{"the provider binary", []string{"."}, map[string]string{
			module + "/internal/issuer":           "the issuer's Lambda handler (the provider needs internal/issuer/config only)",
			module + "/internal/issuer/bootstrap": "the Lambda's main package",
			module + "/internal/jwtverify":        "the Lambda's token verifier (JWKS parsing is internal/jwks)",
		}},
		{"the Lambda", []string{"./internal/issuer/bootstrap"}, map[string]string{"testing": "the testing package"}},
		{"the local commands", []string{"./internal/local/cmd/..."}, map[string]string{"testing": "the testing package (Start(t) constructors belong in internal/local/localtest)"}},
	} {
		linked := deps(t, c.pkgs...)
		if len(linked) == 0 {
			t.Fatalf("go list -deps %v listed nothing", c.pkgs)
		}
		for _, pkg := range linked {
			if why, ok := c.denied[pkg]; ok {
				t.Errorf("%s links %s: %s", c.name, pkg, why)
			}
			if c.name != "the local commands" {
				if why := notShipped(pkg); why != "" {
					t.Errorf("%s links %s, %s", c.name, pkg, why)
				}
			}
		}
	}
}

// notShipped knows a test-helper package and the packages that ship.
func TestNotShipped(t *testing.T) {
	for pkg, want := range map[string]bool{
		module + "/internal/local/localtest": true,
		module + "/internal/local/api":       true,
		module + "/internal/testenv":         true,
		module + "/internal/jwttest":         true,
		module + "/internal/soak":            true,
		module + "/internal/provider":        false,
		module + "/internal/localized":       false,
		module + "/internal/issuer/config":   false,
		"testing":                            false,
	} {
		if got := notShipped(pkg) != ""; got != want {
			t.Errorf("notShipped(%s) = %q", pkg, notShipped(pkg))
		}
	}
}
