// Command pack builds the issuer's Lambda packages into
// internal/issuerpkg/dist, where the provider embeds them (make issuer).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/securestream/terraform-provider-securestream/internal/issuerpkg"
)

func main() {
	out := flag.String("out", "internal/issuerpkg/dist", "directory for the packages")
	flag.Parse()
	for _, arch := range issuerpkg.Architectures {
		pkg, err := issuerpkg.Build(context.Background(), ".", arch)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		path := filepath.Join(*out, issuerpkg.FileName(arch))
		if err := os.WriteFile(path, pkg, 0o644); err != nil { //nolint:gosec // G306: a build artifact, readable like the rest of the tree
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Printf("%s  %d bytes  sha256 %s\n", path, len(pkg), issuerpkg.SourceCodeHash(pkg))
	}
}
