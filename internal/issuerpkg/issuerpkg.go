// Package issuerpkg builds the issuer's Lambda deployment packages
// (bootstrap for provided.al2023, zipped) reproducibly, and gives the
// provider the packages embedded in it at build time.
package issuerpkg

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// Architectures the issuer is built for, as Lambda names them.
var Architectures = []string{"arm64", "x86_64"}

// goarch maps a Lambda architecture to GOARCH.
func goarch(arch string) (string, error) {
	switch arch {
	case "arm64":
		return "arm64", nil
	case "x86_64":
		return "amd64", nil
	}
	return "", fmt.Errorf("issuerpkg: Lambda architecture %q is not arm64 or x86_64", arch)
}

// FileName is the package's file name for arch.
func FileName(arch string) string { return "issuer-linux-" + arch + ".zip" }

//go:embed dist
var dist embed.FS

// Package returns the embedded package for arch, or an error that says how
// to build it into the provider.
func Package(arch string) ([]byte, error) {
	if _, err := goarch(arch); err != nil {
		return nil, err
	}
	b, err := fs.ReadFile(dist, "dist/"+FileName(arch))
	if err != nil {
		return nil, fmt.Errorf("the issuer package for %s is not built into this provider binary: build it with `make issuer`, then rebuild the provider (`make build`)", arch)
	}
	return b, nil
}

// CheckEmbedded reports, as an error, that the package built into this
// binary for arch is not what the issuer's source at moduleDir builds now
// (the build is reproducible): internal/issuerpkg/dist is whatever the
// last `make issuer` wrote, so a test binary compiled after the issuer
// changed without it would deploy the old issuer. A binary with no
// package embedded passes (its callers build their own or say how).
func CheckEmbedded(ctx context.Context, moduleDir, arch string) error {
	embedded, err := Package(arch)
	if err != nil {
		return nil //nolint:nilerr // none embedded: nothing stale
	}
	return compareBuilt(arch, embedded, func() ([]byte, error) { return Build(ctx, moduleDir, arch) })
}

func compareBuilt(arch string, embedded []byte, build func() ([]byte, error)) error {
	built, err := build()
	if err != nil {
		return fmt.Errorf("checking the embedded issuer package against the source: %w", err)
	}
	if !bytes.Equal(built, embedded) {
		return fmt.Errorf("the issuer package for %s built into this binary (internal/issuerpkg/dist, sha256 %s, from the last `make issuer`) "+
			"is not what the issuer's source builds now (sha256 %s): run `make issuer`, as make test and make build do, then run again",
			arch, SourceCodeHash(embedded), SourceCodeHash(built))
	}
	return nil
}

// SourceCodeHash is the base64 SHA-256 of a package, as Lambda reports it.
func SourceCodeHash(pkg []byte) string {
	sum := sha256.Sum256(pkg)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// zipEpoch is the fixed modification time of every package entry, so that
// two builds of one commit give identical bytes.
var zipEpoch = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// Build compiles the issuer for arch (CGO off, -trimpath, stripped, empty
// build id) from the module at moduleDir and returns the zipped package.
func Build(ctx context.Context, moduleDir, arch string) ([]byte, error) {
	ga, err := goarch(arch)
	if err != nil {
		return nil, err
	}
	bin, err := BuildBinary(ctx, moduleDir, ga)
	if err != nil {
		return nil, err
	}
	return Zip(bin)
}

// BuildBinary compiles the issuer's bootstrap for linux/goarch.
func BuildBinary(ctx context.Context, moduleDir, goarch string) ([]byte, error) {
	ga := goarch
	tmp, err := os.MkdirTemp("", "issuer-build-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	out := filepath.Join(tmp, "bootstrap")
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-tags", "lambda.norpc", "-buildvcs=false",
		"-ldflags", "-s -w -buildid=", "-o", out, "./internal/issuer/bootstrap")
	cmd.Dir = moduleDir
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+ga, "CGO_ENABLED=0", "GOFLAGS=-mod=readonly")
	if b, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("issuerpkg: go build for linux/%s: %v\n%s", ga, err, b)
	}
	return os.ReadFile(out)
}

// Zip packs a bootstrap binary as Lambda wants it: one executable entry
// named bootstrap, with fixed metadata.
func Zip(bootstrap []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	h := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate, Modified: zipEpoch}
	h.SetMode(0o755)
	w, err := zw.CreateHeader(h)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(bootstrap); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
