package edgefunc

import (
	"net/netip"
	"testing"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/cat"
	"github.com/securestream/terraform-provider-securestream/internal/cfruntime"
	"github.com/securestream/terraform-provider-securestream/internal/issuance"
	"github.com/securestream/terraform-provider-securestream/internal/testenv"
)

// catBench is an honest segment request carrying an ss1 token (the
// baseline's, benchToken) and a CAT of the same grant (exp, nbf, iat, cti,
// catu host and path prefix, catnip /24, tag 61), and the two functions:
// benchConfig's, and the same keys in CAT mode. Each function reads its
// own token; the other's header goes to the origin.
func catBench(b testing.TB) (ev *cfruntime.Event, now time.Time, ss1, catCode []byte) {
	cfg := benchConfig(false)
	ss1, err := Render(cfg)
	if err != nil {
		b.Fatal(err)
	}
	catCfg := cfg
	catCfg.Format, catCfg.Channels = issuance.FormatCAT, issuance.Channels{}
	if catCode, err = Render(catCfg); err != nil {
		b.Fatal(err)
	}
	now = time.Unix(1_767_225_600, 0)
	k := cfg.Keys[0]
	catRing, err := cat.NewRing(cat.Key{ID: k.ID, Secret: k.Secret})
	if err != nil {
		b.Fatal(err)
	}
	ct, err := catRing.Mint(k.ID, cat.Claims{Expires: now.Add(time.Hour), NotBefore: now.Add(-time.Minute), IssuedAt: now.Add(-time.Minute),
		ID: []byte("sess-42"), Networks: []netip.Prefix{netip.MustParsePrefix("203.0.113.0/24")},
		URI: []cat.URIMatch{{Component: cat.ComponentHost, Type: cat.MatchExact, Value: benchHost},
			{Component: cat.ComponentPath, Type: cat.MatchPrefix, Value: "/transcoded-out/high/"}}}, cat.MintOptions{CWTTag: true})
	if err != nil {
		b.Fatal(err)
	}
	ev = newEvent("GET", benchSegment, benchIP, [][2]string{{"host", benchHost}, {"user-agent", benchUA},
		{"cloudfront-forwarded-proto", "https"}, {"x-stream-token", benchToken(b, cfg, now)}, {issuance.DefaultCATChannels().Header, ct}}, nil, nil)
	return ev, now, ss1, catCode
}

// BenchmarkCATGoja: time per request in the local runtime (goja) of the
// function in CAT mode, paired (benchPairedGoja) with the ss1 function on
// the same request (x-baseline is the ratio).
func BenchmarkCATGoja(b *testing.B) {
	ev, now, ss1, catCode := catBench(b)
	benchPairedGoja(b, [2]pairedFunc{
		{name: "the ss1 function", code: ss1, rt: cfruntime.JS20, ev: ev, opts: cfruntime.Options{Now: now}},
		{name: "the CAT-mode function", code: catCode, rt: cfruntime.JS20, ev: ev, opts: cfruntime.Options{Now: now}},
	})
}

// BenchmarkCATNode: the same two in node (V8), paired in one loop inside
// node (benchPairedNode).
func BenchmarkCATNode(b *testing.B) {
	testenv.Node(b)
	ev, now, ss1, catCode := catBench(b)
	benchPairedNode(b, "the CAT-mode function", ss1, catCode, ev, now, nil)
}
