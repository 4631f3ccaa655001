package api

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/securestream/terraform-provider-securestream/internal/issuerpkg"
)

// A function whose code is exactly the issuer package for its own
// architecture, another than this machine's, runs the same source's
// package for this machine's (aws-lambda-rie runs only this machine's
// binaries), logged once per function. Other code for another
// architecture (foreign code, this machine's package, Options.Package)
// is still refused.
func TestOtherArchitectureRunsTheSameSource(t *testing.T) {
	host := hostArch()
	other := map[string]string{"x86_64": "arm64", "arm64": "x86_64"}[host]
	dir := t.TempDir()
	pkgs, paths := map[string][]byte{}, map[string]string{}
	for _, arch := range []string{host, other} {
		pkg, err := issuerpkg.Zip([]byte("#!/bin/sh\n# built for " + arch + "\n"))
		if err != nil {
			t.Fatal(err)
		}
		pkgs[arch], paths[arch] = pkg, filepath.Join(dir, issuerpkg.FileName(arch))
		if err := os.WriteFile(paths[arch], pkg, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var logs []string
	rs := &runtimes{opts: Options{Packages: paths, Logf: func(format string, args ...any) {
		if strings.Contains(format, "running the same issuer source") {
			logs = append(logs, format)
		}
	}}}
	for range 2 {
		got, err := rs.pkg("issuer", other, issuerpkg.SourceCodeHash(pkgs[other]))
		if err != nil || string(got) != string(pkgs[host]) {
			t.Fatalf("a function of %s whose code is the %s package: %v; want this machine's (%s) package run", other, other, err, host)
		}
	}
	if len(logs) != 1 {
		t.Errorf("%d log lines for one function; want 1", len(logs))
	}
	if got, err := rs.pkg("issuer", host, issuerpkg.SourceCodeHash(pkgs[host])); err != nil || string(got) != string(pkgs[host]) {
		t.Errorf("a function of this machine's architecture: %v", err)
	}
	// this machine's package declared as the other architecture's code: not the package for its architecture.
	if _, err := rs.pkg("issuer", other, issuerpkg.SourceCodeHash(pkgs[host])); err == nil || !strings.Contains(err.Error(), paths[other]) {
		t.Errorf("a function of %s whose code is the %s package: %v; want it refused", other, host, err)
	}
	if _, err := rs.pkg("issuer", other, "c29tZXRoaW5nIGVsc2U="); err == nil || !strings.Contains(err.Error(), "CodeSha256 c29tZXRoaW5nIGVsc2U=") {
		t.Errorf("foreign code for %s: %v; want it refused", other, err)
	}
	// Options.Package (a zip given for any architecture) is not known to
	// have a counterpart for this machine: refused as before.
	rs = &runtimes{opts: Options{Package: paths[other], Packages: paths, Logf: t.Logf}}
	if _, err := rs.pkg("issuer", other, issuerpkg.SourceCodeHash(pkgs[other])); err == nil || !strings.Contains(err.Error(), "set architecture = ") {
		t.Errorf("Options.Package for %s: %v; want it refused", other, err)
	}
	// Without this machine's package, the error says so.
	rs = &runtimes{opts: Options{Packages: map[string]string{other: paths[other], host: filepath.Join(dir, "missing.zip")}, Logf: t.Logf}}
	if _, err := rs.pkg("issuer", other, issuerpkg.SourceCodeHash(pkgs[other])); err == nil || !strings.Contains(err.Error(), "missing.zip") {
		t.Errorf("without this machine's package: %v", err)
	}
}
