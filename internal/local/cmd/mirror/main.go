// Command mirror builds the provider into a Terraform filesystem mirror
// (-dir) under a development version (0.0.0+dev.<commit>), writes the CLI
// configuration that installs it from there beside hashicorp/aws (-config)
// and prints it, with how to use it. `make mirror` runs it; see
// internal/local/mirror.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"path/filepath"

	"github.com/securestream/terraform-provider-securestream/internal/local/mirror"
	"github.com/securestream/terraform-provider-securestream/internal/reporoot"
)

func main() {
	dir := flag.String("dir", ".local/mirror", "the filesystem mirror the provider is laid into")
	config := flag.String("config", ".local/terraformrc", "where the CLI configuration is written (for TF_CLI_CONFIG_FILE)")
	awsMirror := flag.String("aws-mirror", "", "filesystem mirror holding hashicorp/aws; default: $"+mirror.AWSMirrorVar+", else "+mirror.DefaultAWSMirror+" when it holds hashicorp/aws 5.x, else none (hashicorp/aws from the Registry)")
	version := flag.String("version", "", "the build's version; default: 0.0.0+dev.<short commit>[.dirty]")
	flag.Parse()
	log.SetFlags(0)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	root, err := reporoot.Find()
	if err != nil {
		log.Fatal(err)
	}
	aws := *awsMirror
	if aws == "" {
		var why error
		if aws, why = mirror.FindAWS(); why != nil {
			fmt.Fprintf(os.Stderr, "hashicorp/aws will come from the Registry: %v\n\n", why)
		}
	}
	abs := func(p string) string {
		if p == "" {
			return ""
		}
		a, err := filepath.Abs(p)
		if err != nil {
			log.Fatal(err)
		}
		return a
	}
	mdir, cfg, aws := abs(*dir), abs(*config), abs(aws)
	v := *version
	if v == "" {
		v = mirror.DevVersion(ctx, root)
	}
	bin, err := mirror.Build(ctx, root, mdir, v)
	if err != nil {
		log.Fatal(err)
	}
	text := mirror.CLIConfig(mdir, aws)
	if err := os.MkdirAll(filepath.Dir(cfg), 0o755); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil { //nolint:gosec // a CLI configuration, no secret: Terraform reads it
		log.Fatal(err)
	}
	fmt.Printf("built securestream/securestream %s into %s\n\n%s\nwritten to %s. Use it in a configuration that needs both providers (examples/complete):\n\n"+
		"  export TF_CLI_CONFIG_FILE=%s\n  terraform init -upgrade   # after each make mirror: each build has a version of its own\n",
		v, bin, text, cfg, cfg)
}
