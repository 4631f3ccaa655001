package issuerpkg

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Two builds of the same tree give the same bytes, so the provider's code
// hash changes only when the code does; each package is one executable
// bootstrap, within the size budget.
func TestBuildIsReproducible(t *testing.T) {
	root, _ := filepath.Abs(filepath.Join("..", ".."))
	for _, arch := range Architectures {
		a, err := Build(context.Background(), root, arch)
		if err != nil {
			t.Fatal(err)
		}
		b, err := Build(context.Background(), root, arch)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s: two builds differ (%s vs %s)", arch, SourceCodeHash(a), SourceCodeHash(b))
		}
		if len(a) > 8<<20 {
			t.Errorf("%s: the package is %d bytes; the budget is 8 MB", arch, len(a))
		}
		t.Logf("%s: %d bytes, sha256 %s", arch, len(a), SourceCodeHash(a))
		zr, err := zip.NewReader(bytes.NewReader(a), int64(len(a)))
		if err != nil {
			t.Fatal(err)
		}
		if len(zr.File) != 1 || zr.File[0].Name != "bootstrap" || zr.File[0].Mode().Perm() != 0o755 || !zr.File[0].Modified.Equal(zipEpoch) {
			t.Fatalf("%s: entries %+v", arch, zr.File[0].FileHeader)
		}
		f, _ := zr.File[0].Open()
		head, _ := io.ReadAll(io.LimitReader(f, 20))
		f.Close()
		if !bytes.HasPrefix(head, []byte("\x7fELF")) || (arch == "arm64" && head[18] != 0xb7) || (arch == "x86_64" && head[18] != 0x3e) {
			t.Errorf("%s: not a Linux executable for that architecture: % x", arch, head)
		}
	}
}

func TestZipIsDeterministic(t *testing.T) {
	a, _ := Zip([]byte("binary"))
	time.Sleep(1100 * time.Millisecond) // a wall-clock timestamp would differ now
	b, _ := Zip([]byte("binary"))
	if !bytes.Equal(a, b) {
		t.Error("zipping the same input twice gave different bytes")
	}
}

// Without `make issuer` the provider still compiles and says what to do;
// with it, the embedded package is a valid one.
func TestPackage(t *testing.T) {
	for _, arch := range Architectures {
		pkg, err := Package(arch)
		if err != nil {
			if !strings.Contains(err.Error(), "make issuer") {
				t.Errorf("%s: %v does not say how to build the package", arch, err)
			}
			continue
		}
		if _, err := zip.NewReader(bytes.NewReader(pkg), int64(len(pkg))); err != nil {
			t.Errorf("%s: the embedded package is not a zip: %v", arch, err)
		}
	}
	if _, err := Package("mips"); err == nil {
		t.Error("an unknown architecture was accepted")
	}
}

// The embedded packages (make test builds them first) are what the source
// builds now, and a package that is not is named stale, with the fix.
func TestCheckEmbedded(t *testing.T) {
	root, _ := filepath.Abs(filepath.Join("..", ".."))
	if err := CheckEmbedded(context.Background(), root, "x86_64"); err != nil {
		t.Error(err)
	}
	old := []byte("the package of an older issuer")
	err := compareBuilt("x86_64", old, func() ([]byte, error) { return []byte("the package the source builds now"), nil })
	if err == nil || !strings.Contains(err.Error(), "run `make issuer`") || !strings.Contains(err.Error(), SourceCodeHash(old)) {
		t.Errorf("a stale package: %v", err)
	}
	if err := compareBuilt("x86_64", old, func() ([]byte, error) { return old, nil }); err != nil {
		t.Errorf("a current package: %v", err)
	}
}
