package demo

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/local/emulators"
	"github.com/securestream/terraform-provider-securestream/internal/testenv"
)

// The whole demo, as make demo runs it: the provider is built here (go
// build; with no `make issuer` package in this test binary, the issuer
// package is built too and deployed from its path), examples/local is
// applied, and every row of the table must be as expected, the
// revocation rows among them, and the Common Access Token rows: a CAT from
// the CAT issuer plays through the CAT distribution's edge, which refuses
// what it must (checkCATRows). Then two players stream while one's session
// is revoked (testRevocationEndToEnd).
func TestDemo(t *testing.T) {
	testenv.Acceptance(t)
	testenv.Cross(t)
	if _, err := findTerraform(); err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("moto_server"); err != nil {
		t.Fatal("moto_server is not installed: " + testenv.MotoInstall)
	}
	if _, err := emulators.LookRIE(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	e, err := Start(ctx, Options{Progress: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := e.Close(context.WithoutCancel(ctx)); err != nil {
			t.Error(err)
		}
	}()
	rows, err := e.Check(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var table strings.Builder
	ok := WriteTable(&table, rows)
	t.Logf("\n%s", table.String())
	if !ok {
		t.Error("rows differ (marked <- differs above)")
	}
	// Every channel played the HLS master, a variant and its 3 segments,
	// and the DASH MPD, the init segment and 3 segments of a video
	// representation and of the audio; every refusal was made.
	played := map[string]int{}
	refused := map[string]bool{}
	for _, r := range rows {
		if r.Key == "valid" && r.Expected == "200" {
			played[r.Format+" "+r.Channel]++
		}
		if strings.HasPrefix(r.Expected, "403 ") {
			refused[r.Format+" "+r.Channel+" "+strings.TrimPrefix(r.Expected, "403 ")] = true
		}
	}
	for _, ch := range channels {
		if n := played["HLS "+ch]; n != 5 {
			t.Errorf("HLS on the %s channel: %d requests, want 5 (master, variant, 3 segments)", ch, n)
		}
		if n := played["DASH "+ch]; n != 9 {
			t.Errorf("DASH on the %s channel: %d requests, want 9 (MPD, video init and 3 segments, audio init and 3 segments)", ch, n)
		}
	}
	for _, why := range []string{"HLS none missing", "HLS header path", "HLS header bad_mac", "HLS header expired", "HLS header ip",
		"HLS query missing", "DASH none missing", "DASH header bad_mac", "DASH query missing"} {
		if !refused[why] {
			t.Errorf("no request was refused for %s (format, channel, reason)", why)
		}
	}
	// A session revoked through the issuer's admin route is refused at the
	// edge, after the revocation list's propagation delay, and no other.
	checkRevocationRows(t, rows)
	// The CAT issuer mints CATs, and the CAT edge plays them and refuses
	// what it must, an ss1 key among them.
	checkCATRows(t, rows)
	t.Run("CATForms", func(t *testing.T) { testCATForms(t, e) })
	t.Run("RevocationEndToEnd", func(t *testing.T) { testRevocationEndToEnd(t, e) })

	// The API the browser test uses: a key for the browser's User-Agent,
	// on the edge.
	k, err := e.RequestKey(ctx, KeyRequest{UserAgent: "Mozilla/5.0 (test)"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(k.PrefixURL, e.EdgeURL+"/t/"+k.Token+e.MasterPath) || k.UserAgent != "Mozilla/5.0 (test)" || k.CookiePair() != "stream_token="+k.Token {
		t.Errorf("the key's forms: %+v", k)
	}
	if err := e.Close(ctx); err != nil {
		t.Fatal(err)
	}
	// Close stopped the edge and destroyed what was applied.
	if row := e.fetch(ctx, e.EdgeURL+e.MasterPath, "none", nil, "none", nil, "403 missing"); !strings.Contains(row.Got, "connect") {
		t.Errorf("after Close, the edge answered: %s", row.Got)
	}
}
