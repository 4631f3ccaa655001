// Package releasecheck checks the files of a release build against the
// Terraform Registry's rules for a provider release, so that a broken
// .goreleaser.yml is found by `make release-check` rather than by the
// Registry refusing a published version:
//
//   - one zip per platform, terraform-provider-securestream_<version>_<os>_<arch>.zip,
//     holding the executable terraform-provider-securestream_v<version>
//     (.exe on Windows);
//   - terraform-provider-securestream_<version>_manifest.json, saying
//     which plugin protocol the provider speaks (6.0);
//   - terraform-provider-securestream_<version>_SHA256SUMS, the SHA-256 of
//     every zip and of the manifest;
//   - terraform-provider-securestream_<version>_SHA256SUMS.sig, a binary
//     (not ASCII-armored) detached OpenPGP signature of the sums. Whether
//     it verifies is gpg's to say, with the key that made it.
package releasecheck

import (
	"archive/zip"
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// Name is the provider's name on the Registry, which every file is named
// after.
const Name = "terraform-provider-securestream"

// ProtocolVersions is what the manifest must list: the provider serves
// plugin protocol 6 (main.go), which Terraform 1.0 and later speak.
var ProtocolVersions = []string{"6.0"}

// semver is a version as the Registry takes it: no leading v.
var semver = regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$`)

// Files names the release files of a version.
type Files struct{ Version string }

// Zip is the archive of a platform ("linux_amd64").
func (f Files) Zip(platform string) string {
	return fmt.Sprintf("%s_%s_%s.zip", Name, f.Version, platform)
}

// Binary is the executable inside the archive of a platform.
func (f Files) Binary(platform string) string {
	b := fmt.Sprintf("%s_v%s", Name, f.Version)
	if strings.HasPrefix(platform, "windows_") {
		b += ".exe"
	}
	return b
}

// Manifest is the Registry manifest.
func (f Files) Manifest() string { return fmt.Sprintf("%s_%s_manifest.json", Name, f.Version) }

// Sums is the SHA256SUMS file.
func (f Files) Sums() string { return fmt.Sprintf("%s_%s_SHA256SUMS", Name, f.Version) }

// Signature is the detached signature of the sums.
func (f Files) Signature() string { return f.Sums() + ".sig" }

// Check checks the release files of version in dir, which must hold the
// archive of each of platforms and no other. It returns every problem
// found, joined.
func Check(dir, version string, platforms []string) error {
	if !semver.MatchString(version) {
		return fmt.Errorf("version %q is not a semantic version without a leading v, as the Registry needs", version)
	}
	if len(platforms) == 0 {
		return errors.New("no platform to check")
	}
	f := Files{Version: version}
	var errs []error
	for _, p := range platforms {
		errs = append(errs, checkZip(filepath.Join(dir, f.Zip(p)), f.Binary(p), !strings.HasPrefix(p, "windows_")))
	}
	zips, err := filepath.Glob(filepath.Join(dir, Name+"_*.zip"))
	if err != nil {
		return err
	}
	for _, z := range zips {
		if !slices.ContainsFunc(platforms, func(p string) bool { return filepath.Base(z) == f.Zip(p) }) {
			errs = append(errs, fmt.Errorf("%s: an archive for no platform asked for, or misnamed (want %s)", filepath.Base(z), f.Zip("<os>_<arch>")))
		}
	}
	errs = append(errs, checkManifest(filepath.Join(dir, f.Manifest())))
	want := []string{f.Manifest()}
	for _, p := range platforms {
		want = append(want, f.Zip(p))
	}
	errs = append(errs, checkSums(dir, f.Sums(), want), checkSignature(filepath.Join(dir, f.Signature())))
	return errors.Join(errs...)
}

func checkZip(path, binary string, executable bool) error {
	r, err := zip.OpenReader(path)
	if err != nil {
		return fmt.Errorf("the archive: %w", err)
	}
	defer r.Close()
	var names []string
	for _, e := range r.File {
		names = append(names, e.Name)
		if e.Name != binary {
			continue
		}
		if e.UncompressedSize64 == 0 {
			return fmt.Errorf("%s: %s is empty", filepath.Base(path), binary)
		}
		if executable && e.Mode()&0o111 == 0 {
			return fmt.Errorf("%s: %s is not executable (mode %v)", filepath.Base(path), binary, e.Mode())
		}
		return nil
	}
	return fmt.Errorf("%s holds no %s at its top (it holds %s)", filepath.Base(path), binary, strings.Join(names, ", "))
}

func checkManifest(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("the manifest: %w", err)
	}
	var m struct {
		Version  int `json:"version"`
		Metadata struct {
			ProtocolVersions []string `json:"protocol_versions"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	if m.Version != 1 || !slices.Equal(m.Metadata.ProtocolVersions, ProtocolVersions) {
		return fmt.Errorf("%s: version %d, protocol_versions %q; the Registry needs version 1 and %q",
			filepath.Base(path), m.Version, m.Metadata.ProtocolVersions, ProtocolVersions)
	}
	return nil
}

// checkSums checks that the sums file lists exactly want, each with the
// SHA-256 of the file beside it.
func checkSums(dir, name string, want []string) error {
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		return fmt.Errorf("the sums: %w", err)
	}
	var errs []error
	listed := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		sum, file, ok := strings.Cut(sc.Text(), "  ")
		if !ok || len(sum) != sha256.Size*2 {
			errs = append(errs, fmt.Errorf("%s: %q is not a line of sha256sum", name, sc.Text()))
			continue
		}
		listed[file] = true
		if !slices.Contains(want, file) {
			errs = append(errs, fmt.Errorf("%s lists %s, which is not a release file", name, file))
			continue
		}
		content, err := fs.ReadFile(os.DirFS(dir), file) // a name with a path in it is refused, not followed
		if err != nil {
			errs = append(errs, fmt.Errorf("%s lists %s: %w", name, file, err))
			continue
		}
		if got := sha256.Sum256(content); hex.EncodeToString(got[:]) != sum {
			errs = append(errs, fmt.Errorf("%s: the sum of %s is %s, the file's is %x", name, file, sum, got))
		}
	}
	for _, w := range want {
		if !listed[w] {
			errs = append(errs, fmt.Errorf("%s does not list %s", name, w))
		}
	}
	return errors.Join(errs...)
}

// checkSignature checks the signature's form: a binary OpenPGP packet,
// whose first byte has its high bit set, as gpg --detach-sign writes it
// (ASCII armor would begin "-----BEGIN").
func checkSignature(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("the signature: %w", err)
	}
	if len(b) == 0 || b[0]&0x80 == 0 {
		return fmt.Errorf("%s is not a binary OpenPGP signature (the Registry takes no ASCII armor)", filepath.Base(path))
	}
	return nil
}
