// Package supplychain checks, as tests, what the project fetches from
// package registries: that nothing from npm runs at install time and
// that every npm install is one a lockfile pins.
package supplychain

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/securestream/terraform-provider-securestream/internal/testenv"
)

// npmRuns matches an npm command that installs, or runs, packages' code.
var npmRuns = regexp.MustCompile(`\bnpm\s+(ci|install|i|add|update|up|rebuild|exec|x|run|run-script|test|start|restart|link|dedupe|audit\s+fix)\b`)

// Every npm command in the make targets and CI scripts passes
// --ignore-scripts: an install (and npm ci) otherwise runs every
// dependency's install scripts, which is code from the registry running
// as the developer or CI. npx (which fetches and runs) is not used.
func TestNPMIgnoresScripts(t *testing.T) {
	r := testenv.RepoRoot(t)
	files := []string{filepath.Join(r, "GNUmakefile")}
	err := filepath.WalkDir(filepath.Join(r, ".ci"), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "node_modules" {
			return filepath.SkipDir
		}
		if !d.IsDir() && !strings.HasSuffix(path, ".json") {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			rel, _ := filepath.Rel(r, f)
			if regexp.MustCompile(`\bnpx\b`).MatchString(line) {
				t.Errorf("%s:%d runs npx, which fetches and runs a package no lockfile pins: %s", rel, i+1, strings.TrimSpace(line))
			}
			if !npmRuns.MatchString(line) {
				continue
			}
			seen++
			if !strings.Contains(line, "--ignore-scripts") {
				t.Errorf("%s:%d runs npm without --ignore-scripts: %s", rel, i+1, strings.TrimSpace(line))
			}
			if regexp.MustCompile(`\bnpm\s+(install|i|add|update|up)\b`).MatchString(line) && !strings.Contains(line, "--package-lock-only") {
				t.Errorf("%s:%d installs with npm install, which resolves versions anew: use npm ci with a committed package-lock.json: %s", rel, i+1, strings.TrimSpace(line))
			}
		}
	}
	if seen == 0 {
		t.Fatal("no npm command found in GNUmakefile or .ci/: the test looks in the wrong place")
	}
}

// Every package.json of the project has a package-lock.json beside it
// that pins what it asks for, with an integrity hash for every package,
// so that npm ci installs exactly that.
func TestNPMLockfiles(t *testing.T) {
	r := testenv.RepoRoot(t)
	var manifests []string
	err := filepath.WalkDir(r, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case "node_modules", ".git", ".tools", ".artifacts", ".local":
				return filepath.SkipDir
			}
			return nil
		}
		if d.Name() == "package.json" {
			manifests = append(manifests, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(manifests) < 2 {
		t.Fatalf("found %d package.json files; want the player's and the benchmarks' at least", len(manifests))
	}
	for _, m := range manifests {
		rel, _ := filepath.Rel(r, m)
		var pkg struct {
			Dependencies    map[string]string `json:"dependencies"`
			DevDependencies map[string]string `json:"devDependencies"`
		}
		testenv.ReadJSON(t, m, &pkg)
		lockPath := filepath.Join(filepath.Dir(m), "package-lock.json")
		if _, err := os.Stat(lockPath); err != nil {
			t.Errorf("%s has no package-lock.json beside it: run npm install --package-lock-only --ignore-scripts in its directory, and commit it", rel)
			continue
		}
		var lock struct {
			LockfileVersion int `json:"lockfileVersion"`
			Packages        map[string]struct {
				Version         string            `json:"version"`
				Integrity       string            `json:"integrity"`
				Link            bool              `json:"link"`
				Dependencies    map[string]string `json:"dependencies"`
				DevDependencies map[string]string `json:"devDependencies"`
			} `json:"packages"`
		}
		testenv.ReadJSON(t, lockPath, &lock)
		if lock.LockfileVersion < 2 {
			t.Errorf("%s: lockfileVersion %d; want 2 or later (npm 7+)", lockPath, lock.LockfileVersion)
		}
		top := lock.Packages[""]
		for name, want := range pkg.Dependencies {
			if !regexp.MustCompile(`^\d+\.\d+\.\d+$`).MatchString(want) {
				t.Errorf("%s asks for %s %q; pin an exact version", rel, name, want)
			}
			if top.Dependencies[name] != want || lock.Packages["node_modules/"+name].Version != want {
				t.Errorf("%s pins %s %s, its lockfile has %q (locks %q): run npm install --package-lock-only --ignore-scripts", rel, name, want,
					top.Dependencies[name], lock.Packages["node_modules/"+name].Version)
			}
		}
		for path, p := range lock.Packages {
			if path != "" && !p.Link && !strings.HasPrefix(p.Integrity, "sha512-") {
				t.Errorf("%s: %s has no sha512 integrity hash", lockPath, path)
			}
		}
	}
}
