package sharedref_test

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/securestream/terraform-provider-securestream/internal/reporoot"
	"github.com/securestream/terraform-provider-securestream/internal/sharedref"
	"github.com/securestream/terraform-provider-securestream/internal/testenv"
)

func TestSeedCloudFrontFunction(t *testing.T) {
	testenv.Shared(t)
	code, err := sharedref.SeedCloudFrontFunction(`it's a "secret" \ of 32+ characters`)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"function handler(event) {", `var secret = 'it\'s a "secret" \\ of 32+ characters';`, "var hostname = headers.host.value;",
		"Math.round(Date.now() / 1000)", "return event.request;",
	} {
		if !strings.Contains(code, want) {
			t.Errorf("the extracted function lacks %q", want)
		}
	}
	if strings.Contains(code, "=;") || strings.Contains(code, "( /") {
		t.Error("a lost piece of the listing was not restored")
	}
}

func TestPathReportsWhereItLooked(t *testing.T) {
	t.Setenv("SECURESTREAM_SHARED", t.TempDir())
	if _, err := sharedref.Path("vectors/seed-compat.json"); err == nil || !strings.Contains(err.Error(), "SECURESTREAM_SHARED") {
		t.Fatalf("err = %v", err)
	}
}

// Beside a clone with nothing next to it, the material is absent, which
// the tests skip over; a SECURESTREAM_SHARED that points nowhere or a
// shared directory without the file asked for is an error instead.
func TestAbsent(t *testing.T) {
	top := t.TempDir()
	clone := filepath.Join(top, "project")
	if err := os.MkdirAll(clone, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(clone, "go.mod"), []byte("module example.com/clone\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(clone)
	t.Setenv(sharedref.EnvVar, "")
	err := sharedref.Absent()
	if !errors.Is(err, sharedref.ErrAbsent) || !strings.Contains(err.Error(), filepath.Join(top, "shared")) {
		t.Fatalf("beside a lone clone: %v", err)
	}

	if err := os.Mkdir(filepath.Join(top, "shared"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := sharedref.Absent(); err != nil {
		t.Fatalf("with ../shared there: %v", err)
	}
	if _, err := sharedref.Path("reference/seed-blog-post.txt"); err == nil || errors.Is(err, sharedref.ErrAbsent) {
		t.Fatalf("an incomplete ../shared: %v", err)
	}

	t.Setenv(sharedref.EnvVar, filepath.Join(top, "elsewhere"))
	if err := sharedref.Absent(); err != nil {
		t.Fatalf("SECURESTREAM_SHARED set: %v", err)
	}
	if _, err := sharedref.Path("vectors/seed-compat.json"); err == nil || !strings.Contains(err.Error(), filepath.Join(top, "elsewhere")) {
		t.Fatalf("SECURESTREAM_SHARED pointing nowhere: %v", err)
	}
}

func TestSeedIssuerLambda(t *testing.T) {
	testenv.Shared(t)
	code, err := sharedref.SeedIssuerLambda()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"const AWS = require('aws-sdk');", "EncryptionContext: {LambdaFunctionName: functionName}", "exports.handler = async (event) => {"} {
		if !strings.Contains(code, want) {
			t.Errorf("the extracted issuer lacks %q", want)
		}
	}
}

// The committed copy of the seed-format vectors is the shared original.
func TestSeedVectorsCopy(t *testing.T) {
	if vs, err := sharedref.SeedVectors(); err != nil || len(vs) == 0 {
		t.Fatalf("the committed vectors: %d, %v", len(vs), err)
	}
	testenv.Shared(t)
	orig, err := sharedref.SharedSeedVectors()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(orig, sharedref.SeedVectorsCopy()) {
		t.Fatal("internal/sharedref/seed-compat.json differs from shared/vectors/seed-compat.json: copy the shared file over it")
	}
}

// readsShared matches a call of this package that reads the shared
// directory (SeedVectors and SeedVectorsCopy read the embedded copy).
var readsShared = regexp.MustCompile(`sharedref\.(Dir|Path|SeedCloudFrontFunction|SeedIssuerLambda|SharedSeedVectors)\(`)

// Every test file that reads ../shared also calls testenv.Shared: make
// test-shared, which CI runs beside ../shared after make test on a clone
// alone, finds the packages to run by that call, so a test reading the
// material without it would be compared nowhere.
func TestSharedReadersCallShared(t *testing.T) {
	root, err := reporoot.Find()
	if err != nil {
		t.Fatal(err)
	}
	files := 0
	err = filepath.WalkDir(filepath.Join(root, "internal"), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		files++
		if readsShared.Match(b) && !strings.Contains(string(b), "testenv.Shared(") {
			rel, _ := filepath.Rel(root, p)
			t.Errorf("%s reads the shared material but does not call testenv.Shared: make test-shared would not run it", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 50 {
		t.Fatalf("read only %d test files under %s/internal: the walk is broken", files, root)
	}
}
