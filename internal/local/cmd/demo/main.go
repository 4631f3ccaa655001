// Command demo shows the product doing its job on this machine, without
// AWS (make demo): the local stack and an origin with real HLS and DASH streams,
// a distribution made through the AWS SDK, examples/local applied with
// the provider under Terraform, then a key from the issuer as a player
// asks for it, the stream fetched through the edge on every channel, the
// requests the edge must refuse, and a session revoked through the
// issuer's admin route, refused at the edge once the revocation list has
// reached it while another session plays on; then the same with Common
// Access Tokens (CTA-5007) from a second issuer, on a second distribution
// whose edge function checks CATs. It prints a table of what was
// expected and what came back, then destroys and stops everything, also
// when a step fails or on Ctrl-C. It exits 1 when a row differs.
//
// See internal/demo, which does the work.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/demo"
)

func main() {
	provider := flag.String("provider", "", "the provider binary Terraform runs (make build's terraform-provider-securestream); empty: build one")
	keep := flag.Bool("keep", false, "keep everything running after the checks, until Ctrl-C, and print how to play the stream")
	verbose := flag.Bool("v", false, "show the output of Terraform, moto_server and the issuer as they run")
	flag.Parse()
	os.Exit(run(*provider, *keep, *verbose))
}

func run(provider string, keep, verbose bool) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop() // a second Ctrl-C ends the demo at once
		fmt.Fprintln(os.Stderr, "\ninterrupted: cleaning up (terraform destroy, then the stack); Ctrl-C again quits at once and may leave moto_server running")
	}()

	began := time.Now()
	progress := func(format string, args ...any) {
		fmt.Printf("==> [%5.1fs] %s\n", time.Since(began).Seconds(), fmt.Sprintf(format, args...))
	}
	opts := demo.Options{Provider: provider, Progress: progress}
	if verbose {
		opts.Output = os.Stderr
	}
	env, err := demo.Start(ctx, opts)
	if err != nil {
		fmt.Fprintf(os.Stderr, "demo: %v\n", err)
		return 1
	}
	// Destroy and stop whatever happens next, even after Ctrl-C.
	cleanup := func() int {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 3*time.Minute)
		defer cancel()
		if err := env.Close(cctx); err != nil {
			fmt.Fprintf(os.Stderr, "demo: cleaning up: %v\n", err)
			return 1
		}
		progress("done: everything the demo started is destroyed and stopped")
		return 0
	}

	rows, err := env.Check(ctx)
	if err != nil {
		fmt.Fprintf(os.Stderr, "demo: %v\n", err)
		cleanup()
		return 1
	}
	fmt.Println()
	ok := demo.WriteTable(os.Stdout, rows)
	fmt.Println()
	if ok {
		fmt.Printf("every one of the %d requests was answered as expected\n\n", len(rows))
	} else {
		fmt.Printf("some requests were not answered as expected (marked <- differs)\n\n")
	}
	if keep {
		if err := howToPlay(ctx, os.Stdout, env); err != nil {
			fmt.Fprintf(os.Stderr, "demo: %v\n", err)
		} else {
			<-ctx.Done()
		}
	} else {
		fmt.Print("To play the stream, run `make demo DEMO_FLAGS=-keep`: it keeps everything running after the checks,\n" +
			"until Ctrl-C, and prints the commands that play it in a browser and in ffplay.\n\n")
	}
	if cleanup() != 0 || !ok {
		return 1
	}
	return 0
}

// howToPlay serves the player page and asks the issuer for a key for
// ffplay, and prints how to play the stream with either.
func howToPlay(ctx context.Context, w io.Writer, env *demo.Env) error {
	page, err := env.ServePlayer()
	if err != nil {
		return err
	}
	k, err := env.RequestKey(ctx, demo.KeyRequest{})
	if err != nil {
		return err
	}
	dash, err := env.RequestKey(ctx, demo.KeyRequest{Path: env.MPDPath})
	if err != nil {
		return err
	}
	ct, err := env.RequestKey(ctx, demo.KeyRequest{CAT: true})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, `Everything keeps running until Ctrl-C. Keys are bound to the player's User-Agent and address (127.0.0.1's /24).

Play it in a browser: a page that asks the issuer for a key (for the browser's own User-Agent) and plays the
path-prefix URL through the edge, with hls.js (make player-tools) or Safari's native HLS:

  xdg-open %s      (or open it in any browser on this machine)

Play it with ffplay (Debian's ffmpeg package), with the User-Agent this key is bound to (it expires at %s):

  ffplay -user_agent '%s' '%s'

and its DASH version (the MPD, with its own key):

  ffplay -user_agent '%s' '%s'

The edge: %s (distribution %s); the issuer: POST %s with
"Authorization: Bearer <JWT>" and {"playback_url": "%s"}.

Revoke a session (the session_id of its keys; this ffplay key's is %s): POST %srevocations/<session_id>
with "Authorization: Bearer <JWT>" of a token whose scope includes %s; DELETE lifts it. The edge refuses
the session (403, x-stream-key-error: revoked) once the revocation list reaches it, within %s here.

Common Access Tokens (CTA-5007): the CAT issuer (POST %s, as above) mints CATs, which the second
distribution's edge (%s) checks; ffplay sends this one (it expires at %s) in its header on every request:

  ffplay -headers '%s: %s' '%s'
`, page, k.ExpiresAt().Format(time.TimeOnly), k.UserAgent, k.PrefixURL, dash.UserAgent, dash.PrefixURL, env.EdgeURL, env.DistributionID, env.IssuerURL,
		demo.PlaybackURL(env.MasterPath), k.SessionID, env.IssuerURL, demo.AdminScope, env.KVSPropagationDelay,
		env.CATIssuerURL, env.CATEdgeURL, ct.ExpiresAt().Format(time.TimeOnly), ct.Header.Name, ct.Token, env.CATEdgeURL+env.MasterPath)
	return nil
}
