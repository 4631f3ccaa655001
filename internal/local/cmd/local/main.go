// Command local runs a local AWS for trying a player without AWS:
// moto_server (KMS, IAM, STS, Lambda, API Gateway), the local CloudFront
// (control plane and edge) and the local API, which runs the issuer that
// Terraform applied to moto behind its API Gateway APIs and function URLs,
// in the foreground, until Ctrl-C.
// It prints the endpoints and a provider block to paste, then each
// issuer's local URL as it appears; it writes them all to -endpoints for
// scripts. moto_server's output goes to -moto-log (-v: here too).
// moto_server starts empty, so the local CloudFront's state of an earlier
// run is moved aside (it says so at start). Ctrl-C, SIGTERM or SIGHUP
// stop everything it started and exit 0; the processes it started die
// with it even when it is killed (Linux). `make local` runs it.
//
// The local CloudFront behaves as AWS does where a client can tell: a
// distribution is InProgress for -deploy-delay after each change (0:
// Deployed at once), and a publish of unchanged code is refused with 412
// (-lenient-publish accepts it).
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
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/local/api"
	"github.com/securestream/terraform-provider-securestream/internal/local/cloudfront"
	"github.com/securestream/terraform-provider-securestream/internal/local/emulators"
	"github.com/securestream/terraform-provider-securestream/internal/local/stack"
)

func main() {
	o, endpoints, err := parseFlags(os.Args[1:])
	switch {
	case errors.Is(err, flag.ErrHelp):
		return
	case errors.Is(err, errUsage):
		os.Exit(2) // the flag package said what is wrong, and the usage
	case err != nil:
		log.Fatal(err)
	}
	// A closed stdout or stderr (make local | tee log, and tee ended
	// first) makes writes fail instead of killing this program before it
	// stops what it started. SIGPIPE also comes from sockets whose peer
	// left, so it is drained, never a reason to stop.
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
	if err := run(o, endpoints); err != nil {
		log.Fatal(err)
	}
}

// errUsage is parseFlags' error when the command line does not parse; the
// flag package has printed why, and the usage, on stderr.
var errUsage = errors.New("usage")

// parseFlags reads the command line (without the program's name) into
// the stack's options and the endpoints file.
func parseFlags(args []string) (stack.Options, string, error) {
	fs := flag.NewFlagSet("local", flag.ContinueOnError)
	motoAddr := fs.String("moto", "127.0.0.1:5000", "address moto_server listens on; empty: do not start moto_server")
	control := fs.String("cloudfront", "127.0.0.1:4580", "address of the local CloudFront's control plane")
	edge := fs.String("edge", "127.0.0.1:4581", "address of the shared edge (distributions by Host: <id>.cloudfront.local or their own d….cloudfront.net); each distribution also gets a port of its own")
	state := fs.String("state", ".local/cloudfront.json", "file that keeps the local CloudFront's state across restarts; empty: memory only")
	deployDelay := fs.Duration("deploy-delay", cloudfront.DefaultDeployDelay, "how long a distribution stays InProgress after its creation and each change (an update, a publish of a function it runs), as CloudFront's do for minutes; 0: Deployed at once")
	lenientPublish := fs.Bool("lenient-publish", false, "accept (200) a publish of a function whose DEVELOPMENT code has not changed since its last publish; default: refused with 412 PreconditionFailed, as AWS does")
	propagation := fs.Duration("propagation-delay", 0, "how long the edge keeps serving the previous LIVE code and distribution configuration after a change, as edge locations learn it")
	spread := fs.Bool("propagation-spread", false, "during -propagation-delay, serve each request as an edge location that learns the change at a random moment (default: the old version until the delay has passed)")
	kvsPropagation := fs.Duration("kvs-propagation-delay", 0, "how long the edge's functions go on reading a key value store's contents from before a write (PutKey, DeleteKey, UpdateKeys), as edge locations learn writes over seconds at AWS (no published figure; about 15 s was seen); 0: every write is read at once")
	viewerIP := fs.String("viewer-ip-header", "", "request header the edge takes viewer.ip from (X-Forwarded-For style); default: the peer's address")
	apiAddr := fs.String("api", "127.0.0.1:4582", "address of the local API, which runs the functions behind the API Gateway APIs and function URLs in moto; empty: none")
	issuerPackage := fs.String("issuer-package", "", "Lambda zip the local API runs (a function's code must be this zip); default: the issuer package built into this command (make issuer)")
	concurrency := fs.Int("concurrency", api.DefaultMaxConcurrency, "the most invocations of a function the local API runs at once (an instance each, started as Lambda scales out), for a function without reserved concurrency; its reserved_concurrency bounds it otherwise")
	freePorts := fs.Bool("free-ports", false, "listen on free loopback ports instead of the default ones, for each of -moto, -cloudfront, -edge and -api not given (as make demo does); -endpoints says which")
	motoLog := fs.String("moto-log", ".local/moto.log", "file that receives moto_server's output (its access log and tracebacks), rewritten at each start; empty: none")
	verbose := fs.Bool("v", false, "show moto_server's output here too, besides -moto-log")
	endpoints := fs.String("endpoints", ".local/endpoints.json", "JSON file where scripts read each endpoint (moto, CloudFront API and edge, local API, each issuer's and each distribution's local URL), rewritten when one changes and removed at exit; empty: none")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return stack.Options{}, "", err
		}
		return stack.Options{}, "", errUsage
	}
	if fs.NArg() > 0 {
		return stack.Options{}, "", fmt.Errorf("unexpected arguments %q: every setting is a flag (-h lists them)", fs.Args())
	}
	if *freePorts {
		given := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
		for name, addr := range map[string]*string{"moto": motoAddr, "cloudfront": control, "edge": edge, "api": apiAddr} {
			if !given[name] {
				*addr = "127.0.0.1:0"
			}
		}
	}
	if *concurrency < 1 {
		return stack.Options{}, "", fmt.Errorf("-concurrency %d: give 1 or more", *concurrency)
	}
	if *kvsPropagation < 0 {
		return stack.Options{}, "", fmt.Errorf("-kvs-propagation-delay %s: give 0 (writes read at once) or more", *kvsPropagation)
	}
	if *deployDelay < 0 {
		return stack.Options{}, "", fmt.Errorf("-deploy-delay %s: give 0 (Deployed at once) or more", *deployDelay)
	}
	apiOpts := api.Options{Package: *issuerPackage, MaxConcurrency: *concurrency, Logf: log.Printf}
	cf := cloudfront.Config{StateFile: *state, DeployDelay: *deployDelay, InstantDeploy: *deployDelay == 0, LenientPublish: *lenientPublish,
		PropagationDelay: *propagation, PropagationSpread: *spread, KVSPropagationDelay: *kvsPropagation, ViewerIPHeader: *viewerIP, Logf: log.Printf}
	if *motoAddr == "" {
		*motoLog = ""
	}
	o := stack.Options{
		MotoAddr: *motoAddr, WithoutMoto: *motoAddr == "", MotoLog: *motoLog,
		ControlAddr: *control, EdgeAddr: *edge,
		CloudFront: cf,
		APIAddr:    *apiAddr, WithoutAPI: *apiAddr == "", API: apiOpts,
	}
	if *verbose || *motoLog == "" {
		o.MotoOutput = os.Stderr
	}
	return o, *endpoints, nil
}

// run runs the stack until SIGINT (Ctrl-C), SIGTERM or SIGHUP (unless
// ignored, as under nohup), then stops it and returns nil: a stop asked
// for is a success (exit 0).
func run(o stack.Options, endpointsFile string) error {
	stopOn := []os.Signal{os.Interrupt, syscall.SIGTERM}
	if !signal.Ignored(syscall.SIGHUP) { // under nohup, a hangup does not stop it
		stopOn = append(stopOn, syscall.SIGHUP)
	}
	ctx, stop := signal.NotifyContext(context.Background(), stopOn...)
	defer stop()
	cf := o.CloudFront

	if cf.StateFile != "" {
		// Yours alone: the state holds the functions' code, ring keys in it.
		if err := os.MkdirAll(filepath.Dir(cf.StateFile), 0o700); err != nil {
			return fmt.Errorf("creating the state directory: %w", err)
		}
	}
	st, err := stack.Start(ctx, o)
	if err != nil {
		switch {
		case errors.Is(err, syscall.EADDRINUSE):
			err = fmt.Errorf("%w (is another `make local` running? pick other addresses with -moto, -cloudfront, -edge and -api, or free ones with -free-ports)", err)
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
  CloudFront edge       %[3]s   (Host: <distribution id>.cloudfront.local or its d….cloudfront.net, or each distribution's own port, logged below)
  local API             %[6]s   (/<api id>/<stage>/<path>, /<api id>/<path> for $default, /fn/<function name>/<path>)
  state file            %[4]s
  moto_server's log     %[7]s
  endpoints (JSON)      %[8]s
  deployments           %[10]s
  publishing            %[11]s

%[9]s

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

Each issuer's local URL is printed below when it appears (issuer <name> → <url>).

`, orNone(motoURL), s.Endpoint, s.EdgeEndpoint, orNone(cf.StateFile), cmp.Or(motoURL, "<moto's or LocalStack's URL>"), orNone(apiURL),
		orNone(o.MotoLog), orNone(endpointsFile), st.StateNote, deployments(cf), publishing(cf))

	// Each issuer as it appears, and the endpoints for scripts.
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		var prev stack.Endpoints
		st.Watch(ctx, 2*time.Second, func(cur stack.Endpoints) {
			for _, line := range stack.Changes(prev, cur) {
				fmt.Println(line)
			}
			prev = cur
			if endpointsFile != "" {
				if err := stack.WriteEndpoints(endpointsFile, cur); err != nil {
					log.Print(err)
				}
			}
		})
	}()
	<-ctx.Done()
	<-watched
	log.Print("stopping")
	if endpointsFile != "" {
		_ = os.Remove(endpointsFile)
	}
	return nil
}

// deployments and publishing say how the local CloudFront follows AWS
// where a client can tell, and the flag that changes it.
func deployments(cf cloudfront.Config) string {
	if cf.InstantDeploy {
		return "Deployed at once after each change (-deploy-delay 0; CloudFront takes minutes)"
	}
	return fmt.Sprintf("InProgress for %s after each change, then Deployed, as at CloudFront (-deploy-delay; 0: at once)", cmp.Or(cf.DeployDelay, cloudfront.DefaultDeployDelay))
}

func publishing(cf cloudfront.Config) string {
	if cf.LenientPublish {
		return "a publish of unchanged code is accepted (-lenient-publish; AWS refuses it, 412)"
	}
	return "a publish of unchanged code is refused, 412 PreconditionFailed, as at AWS (-lenient-publish accepts it)"
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
