package releasecheck

import (
	"archive/zip"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const version = "1.2.3"

// release writes the files of a good release of linux_amd64 into a new
// directory, after edit has changed them (name → content; a nil content
// leaves the file out), and returns the directory.
func release(t *testing.T, edit func(files map[string][]byte)) string {
	t.Helper()
	f := Files{Version: version}
	files := map[string][]byte{
		f.Zip("linux_amd64"): zipOf(t, f.Binary("linux_amd64"), 0o755),
		f.Manifest():         []byte(`{"version": 1, "metadata": {"protocol_versions": ["6.0"]}}`),
	}
	if edit != nil {
		edit(files)
	}
	if _, ok := files[f.Sums()]; !ok {
		var sums strings.Builder
		for _, n := range []string{f.Zip("linux_amd64"), f.Manifest()} {
			fmt.Fprintf(&sums, "%x  %s\n", sha256.Sum256(files[n]), n)
		}
		files[f.Sums()] = []byte(sums.String())
	}
	if _, ok := files[f.Signature()]; !ok {
		files[f.Signature()] = []byte{0x89, 0x01, 0x33} // an old-format signature packet header
	}
	dir := t.TempDir()
	for n, b := range files {
		if b == nil {
			continue
		}
		if err := os.WriteFile(filepath.Join(dir, n), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func zipOf(t *testing.T, name string, mode os.FileMode) []byte {
	t.Helper()
	var b strings.Builder
	w := zip.NewWriter(&b)
	h := &zip.FileHeader{Name: name, Method: zip.Deflate}
	h.SetMode(mode)
	fw, err := w.CreateHeader(h)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fw.Write([]byte("\x7fELF a provider")); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return []byte(b.String())
}

func TestCheckAcceptsARegistryRelease(t *testing.T) {
	if err := Check(release(t, nil), version, []string{"linux_amd64"}); err != nil {
		t.Fatal(err)
	}
}

func TestCheckFindsEachBreach(t *testing.T) {
	f := Files{Version: version}
	for _, tc := range []struct {
		name, want string
		edit       func(map[string][]byte)
	}{
		{"binary without _v", "holds no " + f.Binary("linux_amd64"), func(m map[string][]byte) {
			m[f.Zip("linux_amd64")] = zipOf(t, Name+"_"+version, 0o755)
		}},
		{"binary not executable", "is not executable", func(m map[string][]byte) {
			m[f.Zip("linux_amd64")] = zipOf(t, f.Binary("linux_amd64"), 0o644)
		}},
		{"archive misnamed", "misnamed", func(m map[string][]byte) {
			m[Name+"_"+version+"_linux_x86_64.zip"] = m[f.Zip("linux_amd64")]
		}},
		{"archive missing", "the archive", func(m map[string][]byte) { m[f.Zip("linux_amd64")] = nil }},
		{"protocol 5", `protocol_versions ["5.0"]`, func(m map[string][]byte) {
			m[f.Manifest()] = []byte(`{"version": 1, "metadata": {"protocol_versions": ["5.0"]}}`)
		}},
		{"manifest missing", "the manifest", func(m map[string][]byte) { m[f.Manifest()] = nil }},
		{"sums without the manifest", "does not list " + f.Manifest(), func(m map[string][]byte) {
			m[f.Sums()] = fmt.Appendf(nil, "%x  %s\n", sha256.Sum256(m[f.Zip("linux_amd64")]), f.Zip("linux_amd64"))
		}},
		{"a wrong sum", "the sum of " + f.Manifest(), func(m map[string][]byte) {
			m[f.Sums()] = fmt.Appendf(nil, "%x  %s\n%x  %s\n", sha256.Sum256(m[f.Zip("linux_amd64")]), f.Zip("linux_amd64"),
				sha256.Sum256([]byte("other")), f.Manifest())
		}},
		{"a path in the sums", "../elsewhere", func(m map[string][]byte) {
			m[f.Sums()] = fmt.Appendf(nil, "%x  %s\n%x  %s\n%x  ../elsewhere\n", sha256.Sum256(m[f.Zip("linux_amd64")]), f.Zip("linux_amd64"),
				sha256.Sum256(m[f.Manifest()]), f.Manifest(), sha256.Sum256(nil))
		}},
		{"armored signature", "not a binary OpenPGP signature", func(m map[string][]byte) {
			m[f.Signature()] = []byte("-----BEGIN PGP SIGNATURE-----\n")
		}},
		{"no signature", "the signature", func(m map[string][]byte) { m[f.Signature()] = nil }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Check(release(t, tc.edit), version, []string{"linux_amd64"})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one saying %q", err, tc.want)
			}
		})
	}
}

func TestCheckWantsASemanticVersion(t *testing.T) {
	if err := Check(t.TempDir(), "v1.2.3", []string{"linux_amd64"}); err == nil || !strings.Contains(err.Error(), "leading v") {
		t.Fatalf("err = %v", err)
	}
}

func TestWindowsBinaryIsAnExe(t *testing.T) {
	if got := (Files{Version: version}).Binary("windows_amd64"); got != Name+"_v1.2.3.exe" {
		t.Fatal(got)
	}
}
