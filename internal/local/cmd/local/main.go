// Command local runs a local AWS for trying a player without AWS:
// moto_server (KMS, IAM, STS, Lambda, API Gateway), the local CloudFront
// (control plane and edge) and the local API, which runs the issuer that
// Terraform applied to moto behind its API Gateway APIs and function URLs,
// in the foreground, until Ctrl-C.
// It prints the endpoints and a provider block to paste. `make local`
// runs it.
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/securestream/terraform-provider-securestream/internal/local/api"
	"github.com/securestream/terraform-provider-securestream/internal/local/cloudfront"
	"github.com/securestream/terraform-provider-securestream/internal/local/emulators"
	"github.com/securestream/terraform-provider-securestream/internal/local/stack"
)

func main() {
	motoAddr := flag.String("moto", "127.0.0.1:5000", "address moto_server listens on; empty: do not start moto_server")
	control := flag.String("cloudfront", "127.0.0.1:4580", "address of the local CloudFront's control plane")
	edge := flag.String("edge", "127.0.0.1:4581", "address of the shared edge (distributions by Host: <id>.cloudfront.local); each distribution also gets a port of its own")
	state := flag.String("state", ".local/cloudfront.json", "file that keeps the local CloudFront's state across restarts; empty: memory only")
	deployDelay := flag.Duration("deploy-delay", 0, "how long a changed distribution stays InProgress")
	propagation := flag.Duration("propagation-delay", 0, "how long the edge keeps serving the previous LIVE code and distribution configuration after a change, as edge locations learn it")
	spread := flag.Bool("propagation-spread", false, "during -propagation-delay, serve each request as an edge location that learns the change at a random moment (default: the old version until the delay has passed)")
	viewerIP := flag.String("viewer-ip-header", "", "request header the edge takes viewer.ip from (X-Forwarded-For style); default: the peer's address")
	apiAddr := flag.String("api", "127.0.0.1:4582", "address of the local API, which runs the functions behind the API Gateway APIs and function URLs in moto; empty: none")
	issuerPackage := flag.String("issuer-package", "", "Lambda zip the local API runs (a function's code must be this zip); default: the issuer package built into this command (make issuer)")
	flag.Parse()
	apiOpts := api.Options{Package: *issuerPackage, Logf: log.Printf}
	cf := cloudfront.Config{StateFile: *state, DeployDelay: *deployDelay, PropagationDelay: *propagation, PropagationSpread: *spread,
		ViewerIPHeader: *viewerIP, Logf: log.Printf}
	if err := run(*motoAddr, *control, *edge, cf, *apiAddr, apiOpts); err != nil {
		log.Fatal(err)
	}
}

func run(motoAddr, control, edge string, cf cloudfront.Config, apiAddr string, apiOpts api.Options) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if cf.StateFile != "" {
		// Yours alone: the state holds the functions' code, ring keys in it.
		if err := os.MkdirAll(filepath.Dir(cf.StateFile), 0o700); err != nil {
			return fmt.Errorf("creating the state directory: %w", err)
		}
	}
	st, err := stack.Start(ctx, stack.Options{
		MotoAddr: motoAddr, WithoutMoto: motoAddr == "", MotoOutput: os.Stderr,
		ControlAddr: control, EdgeAddr: edge,
		CloudFront: cf,
		APIAddr:    apiAddr, WithoutAPI: apiAddr == "", API: apiOpts,
	})
	if err != nil {
		switch {
		case errors.Is(err, syscall.EADDRINUSE):
			err = fmt.Errorf("%w (is another `make local` running? pick other addresses with -moto, -cloudfront, -edge and -api)", err)
		case errors.Is(err, stack.ErrNoMoto):
			err = fmt.Errorf("%w; or run with -moto '' to start the local CloudFront alone", err)
		}
		return err
	}
	defer st.Close()
	apiURL := ""
	if st.API != nil {
		apiURL = st.API.URL
		if _, err := emulators.LookRIE(); err != nil {
			log.Printf("the local API cannot run functions yet: %v", err)
		}
	}
	motoURL, s := st.MotoURL, st.CloudFront

	fmt.Printf(`
local AWS is running (Ctrl-C stops it), on loopback, without authentication: every user of this
machine can call it (README.md: What make local exposes); web pages cannot (Host and CORS checks)

  moto_server           %[1]s
  CloudFront API        %[2]s
  CloudFront edge       %[3]s   (Host: <distribution id>.cloudfront.local, or each distribution's own port, logged below)
  local API             %[6]s   (/<api id>/<stage>/<path>, /<api id>/<path> for $default, /fn/<function name>/<path>)
  state                 %[4]s

Paste into your Terraform configuration:

  provider "securestream" {
    region                      = "us-east-1"
    access_key                  = "test"
    secret_key                  = "test"
    endpoint                    = %[5]q
    skip_credentials_validation = true
    endpoints {
      cloudfront = %[2]q
    }
  }

`, orNone(motoURL), s.Endpoint, s.EdgeEndpoint, orNone(cf.StateFile), cmp.Or(motoURL, "<moto's or LocalStack's URL>"), orNone(apiURL))
	<-ctx.Done()
	log.Print("stopping")
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
