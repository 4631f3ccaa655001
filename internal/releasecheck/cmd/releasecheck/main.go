// Command releasecheck checks the files goreleaser left in a dist
// directory against the Terraform Registry's rules (package releasecheck),
// taking the version from goreleaser's metadata.json there.
//
//	go run ./internal/releasecheck/cmd/releasecheck -dist DIR -platforms linux_amd64 -manifest terraform-registry-manifest.json
//
// A snapshot build leaves out the manifest, which goreleaser uploads only
// when it publishes (release.extra_files); -manifest copies it into DIR
// under its release name first, so that it is checked with the rest.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/securestream/terraform-provider-securestream/internal/releasecheck"
)

func main() {
	dist := flag.String("dist", "dist", "goreleaser's dist directory")
	platforms := flag.String("platforms", "linux_amd64", "comma-separated <os>_<arch> the build was for")
	manifest := flag.String("manifest", "", "the manifest the release uploads, to copy into the dist directory (a snapshot has none)")
	flag.Parse()
	if err := run(*dist, strings.Split(*platforms, ","), *manifest); err != nil {
		fmt.Fprintln(os.Stderr, "releasecheck:", err)
		os.Exit(1)
	}
}

func run(dist string, platforms []string, manifest string) error {
	b, err := os.ReadFile(filepath.Join(dist, "metadata.json"))
	if err != nil {
		return fmt.Errorf("goreleaser's metadata, for the version: %w", err)
	}
	var meta struct {
		ProjectName string `json:"project_name"`
		Version     string `json:"version"`
	}
	if err := json.Unmarshal(b, &meta); err != nil {
		return fmt.Errorf("%s/metadata.json: %w", dist, err)
	}
	if meta.ProjectName != releasecheck.Name {
		return fmt.Errorf("project_name is %q; the Registry needs %q", meta.ProjectName, releasecheck.Name)
	}
	f := releasecheck.Files{Version: meta.Version}
	if manifest != "" {
		b, err := os.ReadFile(manifest)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dist, f.Manifest()), b, 0o644); err != nil { //nolint:gosec // G306: a release file, public
			return err
		}
	}
	if err := releasecheck.Check(dist, meta.Version, platforms); err != nil {
		return err
	}
	var zips []string
	for _, p := range platforms {
		zips = append(zips, fmt.Sprintf("%s (holding %s)", f.Zip(p), f.Binary(p)))
	}
	fmt.Printf("release files of %s follow the Registry's rules: %s, %s, %s, %s\n", meta.Version,
		strings.Join(zips, ", "), f.Manifest(), f.Sums(), f.Signature())
	return nil
}
