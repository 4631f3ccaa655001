// Package demo runs the product's main job on one machine, without AWS:
// it starts the local stack (moto_server, the local CloudFront with its
// edge, the local API that runs the issuer) and a local origin with real
// HLS and DASH streams, creates a distribution in front of the origin
// through the AWS SDK as a user would, applies examples/local with the
// provider under Terraform (a dev_overrides CLI configuration), then asks
// the issuer for keys as a player does and fetches both streams through
// the edge on every delivery channel, and is refused where it must be;
// then it revokes one session through the issuer's admin route and shows
// the edge refusing that session, and no other, once the revocation list
// has reached it. The same runs in the Common Access Token format
// (CTA-5007) on a second distribution, whose edge function checks CATs
// that a second issuer mints (checkCAT; the configuration is cat.tf) (Check).
//
// make demo (internal/local/cmd/demo) prints what Check finds; the
// browser test plays the stream Start sets up. Close destroys what
// Terraform applied and stops everything Start started.
package demo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/issuerpkg"
	"github.com/securestream/terraform-provider-securestream/internal/local/api"
	"github.com/securestream/terraform-provider-securestream/internal/local/cloudfront"
	"github.com/securestream/terraform-provider-securestream/internal/local/emulators"
	"github.com/securestream/terraform-provider-securestream/internal/local/origin"
	"github.com/securestream/terraform-provider-securestream/internal/local/stack"
	"github.com/securestream/terraform-provider-securestream/internal/reporoot"
)

// Options configure Start.
type Options struct {
	// Provider is the provider binary Terraform runs (make build's
	// terraform-provider-securestream); empty: Start builds one with go
	// build into a temporary directory.
	Provider string
	// Example is the Terraform configuration to apply; default:
	// examples/local of the checkout.
	Example string
	// CloudFront configures the local CloudFront. Its ViewerIPHeader is
	// X-Forwarded-For unless set, so that a request can come from another
	// client address (Check's "another client address"), and its
	// KVSPropagationDelay is KVSPropagationDelay unless set, so that a
	// revocation reaches the edge after a while, as at AWS.
	CloudFront cloudfront.Config
	// Progress is told each step as it starts; nil: nothing.
	Progress func(format string, args ...any)
	// Output receives the output of Terraform, moto_server and the
	// issuer's runtime as they run; nil: it is kept, and its end is
	// part of a failure's error.
	Output io.Writer
}

// The player the demo plays: its User-Agent (keys are bound to it) and
// the host of its playback URLs (keys are bound to it too; the edge's
// port is not part of it).
const (
	UserAgent    = "securestream-demo-player/1.0"
	PlaybackHost = "127.0.0.1"
)

// KVSPropagationDelay is how long the demo's edge goes on reading the
// revocation list as it was before a write: short, so that the demo waits
// little, but not zero, so that the revocation rows show the edge
// learning a revocation a while after the issuer wrote it (at AWS:
// seconds, with no published bound).
const KVSPropagationDelay = 2 * time.Second

// Env is the running demo.
type Env struct {
	// EdgeURL is the distribution's edge (http://127.0.0.1:port): the
	// stream is EdgeURL + MasterPath.
	EdgeURL string
	// MasterPath is the demo title's master playlist; OtherMasterPath is
	// another title's, which a key for the demo title does not open.
	// MPDPath is the demo title's DASH MPD.
	MasterPath, OtherMasterPath, MPDPath string
	// IssuerURL is where a player POSTs for a key, with JWT as its bearer
	// token: the issuer's HTTP API on the local API.
	IssuerURL string
	// JWT is the demo player's identity token, signed as its identity
	// provider would (HS256 with the key Terraform gave the issuer).
	JWT string
	// AdminJWT is an operator's token from the same identity provider,
	// with AdminScope in its scope: the issuer's admin routes take it
	// (Revoke), and refuse JWT.
	AdminJWT string
	// KVSPropagationDelay is the local CloudFront's: how long after a
	// revocation the edge may still serve the session.
	KVSPropagationDelay time.Duration
	// DistributionID is the distribution the edge function is attached
	// to; OriginURL the origin behind it.
	DistributionID, OriginURL string
	// CATEdgeURL is the edge of the second distribution (CATDistributionID),
	// in front of the same origin, whose edge function checks Common Access
	// Tokens (CTA-5007), which the issuer at CATIssuerURL mints (cat.tf).
	// KeyRequest.CAT asks that issuer; a Key of format cat is played there.
	CATEdgeURL, CATDistributionID, CATIssuerURL string
	// Stack is the local stack: moto (MotoURL), the local CloudFront
	// (CloudFront.Endpoint) and the local API (API.URL).
	Stack *stack.Stack

	opts     Options
	tmp      string
	origin   *origin.Server
	player   *http.Server // ServePlayer's page, if served
	tf       *terraform
	applied  bool // terraform apply ran, so destroy must
	client   *http.Client
	output   *tail
	progress func(format string, args ...any)

	closeOnce sync.Once
	closeErr  error
}

// Start sets up the demo: origin, stack, distribution, Terraform apply.
// It fails, naming the install command, when terraform, moto_server or
// aws-lambda-rie is missing. On error, whatever it started is stopped
// (and destroyed) before it returns.
func Start(ctx context.Context, opts Options) (_ *Env, err error) {
	e := &Env{opts: opts, MasterPath: origin.DemoMaster, OtherMasterPath: origin.OtherMaster, MPDPath: origin.DemoMPD,
		client: &http.Client{Timeout: 30 * time.Second}, output: newTail(opts.Output), progress: opts.Progress}
	if e.progress == nil {
		e.progress = func(string, ...any) {}
	}
	defer func() {
		if err != nil {
			// Clean up even when ctx was cancelled (Ctrl-C): destroy must run.
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 3*time.Minute)
			defer cancel()
			if cerr := e.Close(cctx); cerr != nil {
				err = fmt.Errorf("%w\n(and cleaning up: %v)", err, cerr)
			}
			if out := e.output.String(); out != "" && opts.Output == nil {
				err = fmt.Errorf("%w\n\nthe end of the output of Terraform, moto_server and the issuer:\n%s", err, out)
			}
		}
	}()

	tfBin, err := findTerraform()
	if err != nil {
		return nil, err
	}
	rie, err := emulators.LookRIE()
	if err != nil {
		return nil, err
	}
	root, err := reporoot.Find()
	if err != nil {
		return nil, err
	}
	if e.tmp, err = os.MkdirTemp("", "securestream-demo-"); err != nil {
		return nil, fmt.Errorf("creating a temporary directory: %w", err)
	}

	provider := opts.Provider
	if provider == "" {
		e.progress("building the provider (go build)")
		if provider, err = buildProvider(ctx, root, filepath.Join(e.tmp, "provider")); err != nil {
			return nil, err
		}
	}
	arch := map[string]string{"amd64": "x86_64", "arm64": "arm64"}[runtime.GOARCH]
	if arch == "" {
		return nil, fmt.Errorf("the local API runs the issuer on this machine, and Lambda has no %s architecture (amd64 or arm64 only)", runtime.GOARCH)
	}
	pkgPath, err := e.issuerPackage(ctx, root, arch)
	if err != nil {
		return nil, err
	}

	e.progress("starting the origin (a 6 s HLS stream in two renditions, two titles; the demo title as DASH too)")
	if e.origin, err = origin.Start("127.0.0.1:0", origin.Options{}); err != nil {
		return nil, err
	}
	e.OriginURL = e.origin.URL

	e.progress("starting moto_server, the local CloudFront (control plane and edge) and the local API")
	cf := opts.CloudFront
	if cf.ViewerIPHeader == "" {
		cf.ViewerIPHeader = "X-Forwarded-For"
	}
	logf := func(format string, args ...any) { fmt.Fprintf(e.output, format+"\n", args...) }
	if cf.Logf == nil {
		cf.Logf = logf
	}
	if cf.KVSPropagationDelay == 0 {
		cf.KVSPropagationDelay = KVSPropagationDelay
	}
	e.KVSPropagationDelay = cf.KVSPropagationDelay
	if e.Stack, err = stack.Start(ctx, stack.Options{MotoOutput: e.output, CloudFront: cf,
		API: api.Options{Package: pkgPath, RIE: rie, Logf: logf}}); err != nil {
		return nil, err
	}

	e.progress("creating the distribution in front of the origin (AWS SDK, CreateDistribution), and a second one for Common Access Tokens")
	if e.DistributionID, e.EdgeURL, err = createDistribution(ctx, e.Stack.CloudFront, e.origin, "securestream demo: the local origin's streams"); err != nil {
		return nil, err
	}
	if e.CATDistributionID, e.CATEdgeURL, err = createDistribution(ctx, e.Stack.CloudFront, e.origin, "securestream demo: the same streams, for Common Access Tokens (CTA-5007)"); err != nil {
		return nil, err
	}

	example := opts.Example
	if example == "" {
		example = filepath.Join(root, "examples", "local")
	}
	e.progress("terraform apply %s (key ring, issuer, edge function and its association, revocation list; the same for Common Access Tokens), with the provider through dev_overrides", relTo(root, example))
	jwtKey := make([]byte, 32)
	if _, err := rand.Read(jwtKey); err != nil {
		return nil, err
	}
	hsKey := hex.EncodeToString(jwtKey)
	if e.tf, err = newTerraform(tfBin, provider, example, e.tmp, e.output); err != nil {
		return nil, err
	}
	e.tf.vars = map[string]string{
		"aws_endpoint":        e.Stack.MotoURL,
		"cloudfront_endpoint": e.Stack.CloudFront.Endpoint,
		"local_api_url":       e.Stack.API.URL,
		"distribution_id":     e.DistributionID,
		"cat_distribution_id": e.CATDistributionID,
		"playback_host":       PlaybackHost,
		"architecture":        arch,
		"jwt_hs256_key":       hsKey,
		"jwt_issuer":          jwtIssuer,
		"jwt_audience":        jwtAudience,
		"admin_scope":         AdminScope,
	}
	if pkgPath != "" {
		e.tf.vars["issuer_package_path"] = pkgPath
	}
	e.applied = true // from here on, a failure still destroys what was applied
	if err := e.tf.run(ctx, "apply", "-auto-approve", "-input=false"); err != nil {
		return nil, err
	}
	outputs, err := e.tf.outputs(ctx)
	if err != nil {
		return nil, err
	}
	if e.IssuerURL = outputs["issuer_url"]; e.IssuerURL == "" {
		return nil, fmt.Errorf("%s has no issuer_url output", example)
	}
	if e.CATIssuerURL = outputs["cat_issuer_url"]; e.CATIssuerURL == "" {
		return nil, fmt.Errorf("%s has no cat_issuer_url output (%s)", example, catConfigName)
	}
	e.JWT = signJWT(hsKey, time.Now())
	e.AdminJWT = signAdminJWT(hsKey, time.Now())
	return e, nil
}

// issuerPackage is the issuer package the local API runs: the one built
// into this binary (make issuer) when there is one, which the provider
// then deploys from itself too (""), or else one built now, which the
// provider deploys from its path (its package_path).
func (e *Env) issuerPackage(ctx context.Context, root, arch string) (string, error) {
	if _, err := issuerpkg.Package(arch); err == nil {
		return "", nil
	}
	e.progress("building the issuer's Lambda package for %s (no make issuer package is built in)", arch)
	pkg, err := issuerpkg.Build(ctx, root, arch)
	if err != nil {
		return "", fmt.Errorf("building the issuer package: %w", err)
	}
	p := filepath.Join(e.tmp, issuerpkg.FileName(arch))
	if err := os.WriteFile(p, pkg, 0o600); err != nil {
		return "", err
	}
	return p, nil
}

// Close destroys what Terraform applied and stops the stack and the
// origin, and removes the temporary directory. It runs once; later calls
// return the first one's error. Give it a context that is not cancelled
// (context.WithoutCancel) when the demo was interrupted.
func (e *Env) Close(ctx context.Context) error {
	e.closeOnce.Do(func() {
		var errs []error
		if e.applied {
			e.progress("terraform destroy")
			if err := e.tf.run(ctx, "destroy", "-auto-approve", "-input=false"); err != nil {
				errs = append(errs, err)
			}
		}
		if e.player != nil {
			errs = append(errs, e.player.Close())
		}
		if e.Stack != nil {
			e.progress("stopping the local API, the local CloudFront and moto_server")
			errs = append(errs, e.Stack.Close())
		}
		if e.origin != nil {
			errs = append(errs, e.origin.Close())
		}
		if e.tmp != "" {
			errs = append(errs, os.RemoveAll(e.tmp))
		}
		e.closeErr = errors.Join(errs...)
	})
	return e.closeErr
}

// relTo writes p relative to root when it is inside it.
func relTo(root, p string) string {
	if r, err := filepath.Rel(root, p); err == nil && !strings.HasPrefix(r, "..") {
		return r + "/"
	}
	return p
}
