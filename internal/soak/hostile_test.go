package soak

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/pause"
)

// TestHostile sends the hostile corpus to the issuer's API and the edge
// while honest players play beside it: every hostile request must get a
// 4xx (a 5xx is a bug of whatever answered it), and the players must go
// on being served, never refused, before, during and after it.
func TestHostile(t *testing.T) {
	env, cfg := sharedEnv(t)
	if len(hostileCases) < 40 {
		t.Fatalf("the corpus has %d cases, want at least 40", len(hostileCases))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	c, err := newCorpus(ctx, env)
	if err != nil {
		t.Fatal(err)
	}
	fleet := StartFleet(ctx, env, cfg, cfg.HostilePlayers, "before the corpus", &tokenLog{})
	defer fleet.Stop()
	if !pause.For(ctx, 2*time.Second) {
		t.Fatal(ctx.Err())
	}
	// The expired key must be past its expiry when it is used.
	pause.For(ctx, time.Until(c.Expired.ExpiresAt()))

	phases := []*Counters{fleet.SetPhase("beside the corpus")}
	var table strings.Builder
	tw := tabwriter.NewWriter(&table, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CASE\tTO\tANSWER\t")
	seen := map[string]bool{}
	for _, hc := range hostileCases {
		if seen[hc.Name] {
			t.Errorf("two cases are named %s", hc.Name)
		}
		seen[hc.Name] = true
		addr, to := c.EdgeAddr, "edge"
		if hc.Issuer {
			addr, to = c.IssuerAddr, "issuer"
		}
		a := send(ctx, addr, hc.Req(c))
		fmt.Fprintf(tw, "%s\t%s\t%s\t\n", hc.Name, to, a)
		switch {
		case a.Err != nil:
			t.Errorf("%s: %v", hc.Name, a.Err)
		case a.Status >= 500:
			t.Errorf("%s: %s answered %s: a server error, a bug of the %s", hc.Name, to, a, to)
		case a.Status < 400:
			t.Errorf("%s: %s answered %s, want a 4xx", hc.Name, to, a)
		case hc.Want != "" && !strings.HasPrefix(a.String(), hc.Want):
			t.Errorf("%s: %s answered %s, want %s", hc.Name, to, a, hc.Want)
		}
	}
	_ = tw.Flush()
	t.Logf("%d hostile requests:\n%s", len(hostileCases), table.String())

	// The players after the corpus: still served.
	phases = append(phases, fleet.SetPhase("after the corpus"))
	if !pause.For(ctx, 2*time.Second) {
		t.Fatal(ctx.Err())
	}
	phases = append(phases, fleet.Stop())
	for _, p := range phases {
		t.Log(p.Summary())
		if p.Served.Load() == 0 {
			t.Errorf("%s: no honest request was served", p.Name)
		}
		if n := p.Refused.Load() + p.EdgeErrors.Load() + p.IssuerErrors.Load(); n > 0 {
			t.Errorf("%s: %d honest requests refused, %d edge errors, %d issuer errors:\n%s",
				p.Name, p.Refused.Load(), p.EdgeErrors.Load(), p.IssuerErrors.Load(), p.Samples())
		}
	}
}
