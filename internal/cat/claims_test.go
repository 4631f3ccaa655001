package cat

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/securestream/terraform-provider-securestream/internal/streamkey"
)

// claimCase is one claims map, signed genuinely, checked against a
// request by a verifier the case may adjust.
type claimCase struct {
	name   string
	claims map[int64]any // added to {exp: t0+1h}; a nil value deletes
	verify func(*Verifier)
	req    func(*Request)
	want   Reason
}

func runClaimCases(t *testing.T, cases []claimCase) {
	t.Helper()
	r := testRing(t)
	exp := t0.Add(time.Hour).Unix()
	for _, c := range cases {
		m := map[int64]any{keyExp: exp}
		for k, v := range c.claims {
			if v == nil {
				delete(m, k)
			} else {
				m[k] = v
			}
		}
		v := &Verifier{Ring: r}
		if c.verify != nil {
			c.verify(v)
		}
		req := baseRequest()
		if c.req != nil {
			c.req(&req)
		}
		if got := v.Verify(signClaims(t, m), req); got.Reason != c.want {
			t.Errorf("%s: %s, want %s", c.name, got.Reason, c.want)
		}
	}
}

func withIssuer(s string) func(*Verifier)   { return func(v *Verifier) { v.Issuer = s } }
func withAudience(s string) func(*Verifier) { return func(v *Verifier) { v.Audience = s } }
func withRenewal(v *Verifier)               { v.Renewal = true }
func at(now time.Time) func(*Request)       { return func(r *Request) { r.Now = now } }

func TestClaimsTime(t *testing.T) {
	exp := t0.Add(time.Hour)
	runClaimCases(t, []claimCase{
		{name: "exp ahead", want: OK},
		{name: "no exp", claims: map[int64]any{keyExp: nil}, want: Lifetime},
		{name: "at exp", req: at(exp), want: Expired},
		{name: "a second before exp", req: at(exp.Add(-time.Second)), want: OK},
		{name: "past exp", req: at(exp.Add(time.Hour)), want: Expired},
		{name: "exp beyond max lifetime", claims: map[int64]any{keyExp: t0.Add(25 * time.Hour).Unix()}, want: Lifetime},
		{name: "exp at max lifetime plus leeway", claims: map[int64]any{keyExp: t0.Add(24*time.Hour + 30*time.Second).Unix()}, want: OK},
		{name: "custom max lifetime", verify: func(v *Verifier) { v.MaxLifetime = 30 * time.Minute }, want: Lifetime},
		{name: "invalid policy", verify: func(v *Verifier) { v.MaxLifetime = 1500 * time.Millisecond }, want: Lifetime},
		{name: "exp negative", claims: map[int64]any{keyExp: -1}, want: Malformed},
		{name: "exp float", claims: map[int64]any{keyExp: 1767229200.5}, want: Malformed},
		{name: "exp text", claims: map[int64]any{keyExp: "1767229200"}, want: Malformed},
		{name: "exp tag 1", claims: map[int64]any{keyExp: cbor.Tag{Number: 1, Content: exp.Unix()}}, want: Malformed},
		{name: "exp huge", claims: map[int64]any{keyExp: uint64(maxTime + 1)}, want: Malformed},
		{name: "nbf past", claims: map[int64]any{keyNbf: t0.Add(-time.Hour).Unix()}, want: OK},
		{name: "nbf within leeway", claims: map[int64]any{keyNbf: t0.Add(30 * time.Second).Unix()}, want: OK},
		{name: "nbf beyond leeway", claims: map[int64]any{keyNbf: t0.Add(31 * time.Second).Unix()}, want: NotYetValid},
		{name: "nbf, no leeway", claims: map[int64]any{keyNbf: t0.Add(time.Second).Unix()}, verify: func(v *Verifier) { v.Leeway = streamkey.NoLeeway }, want: NotYetValid},
		{name: "nbf text", claims: map[int64]any{keyNbf: "x"}, want: Malformed},
		{name: "iat", claims: map[int64]any{keyIat: t0.Unix()}, want: OK},
		{name: "iat in the future (informational)", claims: map[int64]any{keyIat: exp.Unix()}, want: OK},
		{name: "iat negative", claims: map[int64]any{keyIat: -5}, want: Malformed},
	})
}

func TestClaimsIssuerAudience(t *testing.T) {
	runClaimCases(t, []claimCase{
		{name: "iss, none expected", claims: map[int64]any{keyIss: "a"}, want: OK},
		{name: "iss expected", claims: map[int64]any{keyIss: "a"}, verify: withIssuer("a"), want: OK},
		{name: "iss other", claims: map[int64]any{keyIss: "b"}, verify: withIssuer("a"), want: Issuer},
		{name: "iss absent, expected", verify: withIssuer("a"), want: Issuer},
		{name: "iss int", claims: map[int64]any{keyIss: 1}, want: Malformed},
		{name: "iss bytes", claims: map[int64]any{keyIss: []byte("a")}, want: Malformed},
		{name: "iss bad utf8", claims: map[int64]any{keyIss: cbor.RawMessage{0x61, 0xff}}, want: Malformed},
		{name: "aud text", claims: map[int64]any{keyAud: "me"}, verify: withAudience("me"), want: OK},
		{name: "aud array", claims: map[int64]any{keyAud: []string{"x", "me"}}, verify: withAudience("me"), want: OK},
		{name: "aud other", claims: map[int64]any{keyAud: []string{"x", "y"}}, verify: withAudience("me"), want: Audience},
		{name: "aud, none expected", claims: map[int64]any{keyAud: "me"}, want: Audience},
		{name: "aud empty text, none expected", claims: map[int64]any{keyAud: ""}, want: Audience},
		{name: "aud [\"\"], none expected", claims: map[int64]any{keyAud: []string{""}}, want: Audience},
		{name: "aud absent, expected", verify: withAudience("me"), want: Audience},
		{name: "aud empty array", claims: map[int64]any{keyAud: []string{}}, verify: withAudience("me"), want: Malformed},
		{name: "aud array of int", claims: map[int64]any{keyAud: []any{"me", 1}}, verify: withAudience("me"), want: Malformed},
		{name: "aud map", claims: map[int64]any{keyAud: map[string]string{"me": "me"}}, verify: withAudience("me"), want: Malformed},
	})
}

func TestClaimsIDVersion(t *testing.T) {
	runClaimCases(t, []claimCase{
		{name: "cti bytes", claims: map[int64]any{keyCti: []byte{0, 1, 2}}, want: OK},
		{name: "cti text", claims: map[int64]any{keyCti: "sess-1"}, want: OK},
		{name: "cti 64 bytes", claims: map[int64]any{keyCti: make([]byte, 64)}, want: OK},
		{name: "cti 65 bytes", claims: map[int64]any{keyCti: make([]byte, 65)}, want: Malformed},
		{name: "cti empty", claims: map[int64]any{keyCti: []byte{}}, want: Malformed},
		{name: "cti int", claims: map[int64]any{keyCti: 7}, want: Malformed},
		{name: "catv 1", claims: map[int64]any{keyCatv: 1}, want: OK},
		{name: "catv absent", claims: map[int64]any{keyCatv: nil}, want: OK},
		{name: "catv 2", claims: map[int64]any{keyCatv: 2}, want: Unsupported},
		{name: "catv 0", claims: map[int64]any{keyCatv: 0}, want: Unsupported},
		{name: "catv text", claims: map[int64]any{keyCatv: "1"}, want: Malformed},
	})
	r := testRing(t)
	tok := signClaims(t, map[int64]any{keyExp: t0.Add(time.Hour).Unix(), keyCti: "sess-1"})
	if got := (&Verifier{Ring: r}).Verify(tok, baseRequest()).Claims.ID; string(got) != "sess-1" {
		t.Errorf("a text cti reads as %q", got)
	}
}

func TestClaimsCatnip(t *testing.T) {
	v4 := func(b ...byte) cbor.Tag { return cbor.Tag{Number: tagIPv4, Content: b} }
	v4p := func(n int, b ...byte) cbor.Tag {
		return cbor.Tag{Number: tagIPv4, Content: []any{n, append([]byte{}, b...)}}
	}
	v6p := func(n int, b ...byte) cbor.Tag {
		return cbor.Tag{Number: tagIPv6, Content: []any{n, append([]byte{}, b...)}}
	}
	ip := func(s string) func(*Request) { return func(r *Request) { r.ClientIP = s } }
	nip := func(e ...any) map[int64]any { return map[int64]any{keyCatnip: e} }
	runClaimCases(t, []claimCase{
		{name: "address", claims: nip(v4(203, 0, 113, 7)), want: OK},
		{name: "other address", claims: nip(v4(203, 0, 113, 8)), want: IP},
		{name: "second entry", claims: nip(v4(198, 51, 100, 1), v4(203, 0, 113, 7)), want: OK},
		{name: "prefix, RFC 9164 bytes", claims: nip(v4p(24, 203, 0, 113)), want: OK},
		{name: "prefix, full bytes", claims: nip(v4p(24, 203, 0, 113, 0)), want: OK},
		{name: "prefix, host bits set", claims: nip(v4p(24, 203, 0, 113, 99)), want: OK},
		{name: "prefix, other net", claims: nip(v4p(24, 203, 0, 114)), want: IP},
		{name: "prefix /0", claims: nip(v4p(0)), want: OK},
		{name: "mapped client", claims: nip(v4p(24, 203, 0, 113)), req: ip("::ffff:203.0.113.9"), want: OK},
		{name: "v6 prefix", claims: nip(v6p(64, 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2)), req: ip("2001:db8:1:2::77"), want: OK},
		{name: "v6 prefix, v4 client", claims: nip(v6p(64, 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2)), want: IP},
		{name: "client not an address", claims: nip(v4p(0)), req: ip("localhost"), want: IP},
		{name: "client with zone", claims: nip(v6p(0)), req: ip("fe80::1%eth0"), want: IP},
		{name: "ASN", claims: nip(uint64(64496)), want: Unsupported},
		{name: "ASN after a match", claims: nip(v4(203, 0, 113, 7), 64496), want: Unsupported},
		{name: "text address", claims: nip("203.0.113.7"), want: Malformed},
		{name: "untagged bytes", claims: nip([]byte{203, 0, 113, 7}), want: Malformed},
		{name: "tag 53", claims: nip(cbor.Tag{Number: 53, Content: []byte{203, 0, 113, 7}}), want: Malformed},
		{name: "v4 of 5 bytes", claims: nip(v4(203, 0, 113, 7, 1)), want: Malformed},
		{name: "v6 tag, 4 bytes", claims: nip(cbor.Tag{Number: tagIPv6, Content: []byte{203, 0, 113, 7}}), want: Malformed},
		{name: "prefix /33", claims: nip(v4p(33, 203)), want: Malformed},
		{name: "prefix bytes too long", claims: nip(v4p(8, 1, 2, 3, 4, 5)), want: Malformed},
		{name: "prefix reversed", claims: nip(cbor.Tag{Number: tagIPv4, Content: []any{[]byte{203}, 8}}), want: Malformed},
		{name: "empty", claims: map[int64]any{keyCatnip: []any{}}, want: Malformed},
		{name: "not an array", claims: map[int64]any{keyCatnip: v4(203, 0, 113, 7)}, want: Malformed},
	})
}

func TestClaimsCatu(t *testing.T) {
	u := func(comp, typ int64, v any) map[int64]any {
		return map[int64]any{keyCatu: map[int64]map[int64]any{comp: {typ: v}}}
	}
	path := func(p string) func(*Request) { return func(r *Request) { r.Path = p } }
	host := func(h string) func(*Request) { return func(r *Request) { r.Host = h } }
	runClaimCases(t, []claimCase{
		{name: "scheme", claims: u(0, 0, "https"), want: OK},
		{name: "scheme, any case", claims: u(0, 0, "HTTPS"), want: OK},
		{name: "scheme other", claims: u(0, 0, "http"), want: Scheme},
		{name: "host", claims: u(1, 0, "media.example.com"), want: OK},
		{name: "host with port and case", claims: u(1, 0, "media.example.com"), req: host("Media.Example.COM:443"), want: OK},
		{name: "host with final dot", claims: u(1, 0, "media.example.com"), req: host("media.example.com."), want: OK},
		{name: "host other", claims: u(1, 0, "media.example.com"), req: host("evil.example.net"), want: Host},
		{name: "host suffix", claims: u(1, 2, ".example.com"), want: OK},
		{name: "host suffix, other", claims: u(1, 2, ".example.com"), req: host("example.com.evil.net"), want: Host},
		{name: "host prefix", claims: u(1, 1, "media."), want: OK},
		{name: "ipv6 host", claims: u(1, 0, "[2001:db8::1]"), req: host("[2001:DB8::1]:8443"), want: OK},
		{name: "path exact", claims: u(3, 0, "/vod/movie-42/seg-001.ts"), want: OK},
		{name: "path exact, other", claims: u(3, 0, "/vod/movie-42/seg-002.ts"), want: Path},
		{name: "path prefix", claims: u(3, 1, "/vod/movie-42/"), want: OK},
		{name: "path prefix, other", claims: u(3, 1, "/vod/movie-43/"), want: Path},
		{name: "path prefix, dot segment", claims: u(3, 1, "/vod/movie-42/"), req: path("/vod/movie-42/../secret/x.ts"), want: Path},
		{name: "path prefix, encoded slash", claims: u(3, 1, "/vod/movie-42/"), req: path("/vod/movie-42/..%2fsecret"), want: Path},
		{name: "path case matters", claims: u(3, 1, "/VOD/"), want: Path},
		{name: "path suffix", claims: u(3, 2, ".ts"), want: OK},
		{name: "extension", claims: u(8, 0, ".ts"), want: OK},
		{name: "extension, other", claims: u(8, 0, ".m3u8"), want: Path},
		{name: "extension, none", claims: u(8, 0, ""), req: path("/vod/movie-42/seg"), want: OK},
		{name: "extension, from the first dot", claims: u(8, 0, ".tar.gz"), req: path("/vod/a.b/x.tar.gz"), want: OK},
		{name: "extension, unsafe path", claims: u(8, 0, ".ts"), req: path("/vod//x.ts"), want: Path},
		{name: "prefix and suffix on one component", claims: map[int64]any{keyCatu: map[int64]map[int64]string{3: {1: "/vod/", 2: ".m3u8"}}}, want: Path},
		{name: "prefix and suffix, both match", claims: map[int64]any{keyCatu: map[int64]map[int64]string{3: {1: "/vod/", 2: ".ts"}}}, want: OK},
		{name: "scheme checked before path", claims: map[int64]any{keyCatu: map[int64]map[int64]string{0: {0: "http"}, 3: {0: "/x"}}}, want: Scheme},
		{name: "port component", claims: u(2, 0, "443"), want: Unsupported},
		{name: "query component", claims: u(4, 0, ""), want: Unsupported},
		{name: "filename component", claims: u(6, 0, "seg-001.ts"), want: Unsupported},
		{name: "component 9", claims: u(9, 0, "x"), want: Unsupported},
		{name: "contains", claims: u(3, 3, "movie"), want: Unsupported},
		{name: "regex", claims: u(3, 4, []string{".*"}), want: Unsupported},
		{name: "sha256", claims: u(3, -1, []byte{1}), want: Unsupported},
		{name: "value int", claims: u(3, 0, 1), want: Malformed},
		{name: "value bytes", claims: u(3, 0, []byte("/x")), want: Malformed},
		{name: "empty catu", claims: map[int64]any{keyCatu: map[int64]any{}}, want: Malformed},
		{name: "empty match map", claims: map[int64]any{keyCatu: map[int64]any{3: map[int64]any{}}}, want: Malformed},
		{name: "text component key", claims: map[int64]any{keyCatu: map[string]any{"path": map[int64]string{0: "/x"}}}, want: Malformed},
		{name: "catu array", claims: map[int64]any{keyCatu: []any{3, 0, "/x"}}, want: Malformed},
	})
}

func TestClaimsCatm(t *testing.T) {
	method := func(m string) func(*Request) { return func(r *Request) { r.Method = m } }
	runClaimCases(t, []claimCase{
		{name: "GET", claims: map[int64]any{keyCatm: []string{"GET", "HEAD"}}, want: OK},
		{name: "HEAD", claims: map[int64]any{keyCatm: []string{"GET", "HEAD"}}, req: method("HEAD"), want: OK},
		{name: "POST", claims: map[int64]any{keyCatm: []string{"GET", "HEAD"}}, req: method("POST"), want: Method},
		{name: "case sensitive", claims: map[int64]any{keyCatm: []string{"get"}}, want: Method},
		{name: "no method", claims: map[int64]any{keyCatm: []string{"GET"}}, req: method(""), want: Method},
		{name: "empty", claims: map[int64]any{keyCatm: []string{}}, want: Malformed},
		{name: "text", claims: map[int64]any{keyCatm: "GET"}, want: Malformed},
		{name: "int", claims: map[int64]any{keyCatm: []any{1}}, want: Malformed},
		{name: "not a token", claims: map[int64]any{keyCatm: []string{"GET HEAD"}}, want: Malformed},
	})
}

func TestClaimsCatr(t *testing.T) {
	catr := func(m map[int64]any) map[int64]any { return map[int64]any{keyCatr: m} }
	runClaimCases(t, []claimCase{
		{name: "renewal off", claims: catr(map[int64]any{0: 2, 1: 60}), want: Unsupported},
		{name: "header", claims: catr(map[int64]any{0: 2, 1: 60, 2: 30, 4: "CTA-Common-Access-Token", 6: []string{"a"}}), verify: withRenewal, want: OK},
		{name: "cookie", claims: catr(map[int64]any{0: 1, 1: 60, 3: "CAT", 5: []string{"Secure"}}), verify: withRenewal, want: OK},
		{name: "redirect", claims: catr(map[int64]any{0: 3, 1: 60, 7: 302}), verify: withRenewal, want: OK},
		{name: "no type", claims: catr(map[int64]any{1: 60}), verify: withRenewal, want: Malformed},
		{name: "type 4", claims: catr(map[int64]any{0: 4, 1: 60}), verify: withRenewal, want: Malformed},
		{name: "no expadd", claims: catr(map[int64]any{0: 2}), verify: withRenewal, want: Malformed},
		{name: "expadd text", claims: catr(map[int64]any{0: 2, 1: "60"}), verify: withRenewal, want: Malformed},
		{name: "header name int", claims: catr(map[int64]any{0: 2, 1: 60, 4: 1}), verify: withRenewal, want: Malformed},
		{name: "label 8", claims: catr(map[int64]any{0: 2, 1: 60, 8: 1}), verify: withRenewal, want: Unsupported},
		{name: "not a map", claims: map[int64]any{keyCatr: []int{2, 60}}, verify: withRenewal, want: Malformed},
	})
	r := testRing(t)
	tok := signClaims(t, map[int64]any{keyExp: t0.Add(time.Hour).Unix(), keyCatr: map[int64]any{0: 2, 1: 60, 2: 30, 4: "H", 6: []string{"a"}}})
	got := (&Verifier{Ring: r, Renewal: true}).Verify(tok, baseRequest()).Claims.Renewal
	if want := (&Renewal{Type: 2, ExpAdd: 60, Deadline: 30, HeaderName: "H", HeaderParams: []string{"a"}}); !reflect.DeepEqual(got, want) {
		t.Errorf("catr reads as %+v", got)
	}
}

func TestClaimsCritAndUnknown(t *testing.T) {
	catu := map[int64]map[int64]string{3: {1: "/vod/"}}
	runClaimCases(t, []claimCase{
		{name: "crit, understood and present", claims: map[int64]any{keyCrit: []int64{keyCatu, keyExp}, keyCatu: catu}, want: OK},
		{name: "crit, not understood", claims: map[int64]any{keyCrit: []int64{999}}, want: Unsupported},
		{name: "crit, sub", claims: map[int64]any{keyCrit: []int64{2}}, want: Unsupported},
		{name: "crit, negative key", claims: map[int64]any{keyCrit: []int64{-3}}, want: Unsupported},
		{name: "crit, itself", claims: map[int64]any{keyCrit: []int64{keyCrit}}, want: Unsupported},
		{name: "crit, catr with renewal off", claims: map[int64]any{keyCrit: []int64{keyCatr}}, want: Unsupported},
		{name: "crit, catr with renewal on", claims: map[int64]any{keyCrit: []int64{keyCatr}, keyCatr: map[int64]any{0: 2, 1: 60}}, verify: withRenewal, want: OK},
		{name: "crit, understood but absent", claims: map[int64]any{keyCrit: []int64{keyNbf}}, want: Malformed},
		{name: "crit empty", claims: map[int64]any{keyCrit: []int64{}}, want: Malformed},
		{name: "crit text", claims: map[int64]any{keyCrit: []string{"catu"}}, want: Malformed},
		{name: "crit not an array", claims: map[int64]any{keyCrit: keyCatu}, want: Malformed},
		{name: "sub", claims: map[int64]any{2: "erikw"}, want: Unsupported},
		{name: "catreplay 0", claims: map[int64]any{308: 0}, want: Unsupported},
		{name: "cath", claims: map[int64]any{315: map[string]any{}}, want: Unsupported},
		{name: "AWS's catu 401", claims: map[int64]any{401: map[int64]any{}}, want: Unsupported},
		{name: "private claim -1", claims: map[int64]any{-1: 1}, want: Unsupported},
		{name: "first failure by key: iss malformed before 999", claims: map[int64]any{keyIss: 1, 999: 1}, want: Malformed},
		{name: "first failure by key: 2 before catv 7", claims: map[int64]any{2: "x", keyCatv: "7"}, want: Unsupported},
	})
	r := testRing(t)
	for name, payload := range map[string][]byte{
		"text keys":         mustCBOR(t, map[string]any{"exp": t0.Add(time.Hour).Unix()}),
		"array":             mustCBOR(t, []any{4, t0.Add(time.Hour).Unix()}),
		"duplicate exp":     {0xa2, 0x04, 0x1a, 0x69, 0x55, 0xc7, 0x10, 0x04, 0x1a, 0x69, 0x55, 0xc7, 0x10},
		"duplicate exp, 2":  {0xa2, 0x04, 0x1a, 0x69, 0x55, 0xc7, 0x10, 0x18, 0x04, 0x00},
		"indefinite map":    {0xbf, 0x04, 0x1a, 0x69, 0x55, 0xc7, 0x10, 0xff},
		"indefinite text":   {0xa2, 0x04, 0x1a, 0x69, 0x55, 0xc7, 0x10, 0x01, 0x7f, 0x61, 'a', 0xff},
		"trailing byte":     {0xa1, 0x04, 0x1a, 0x69, 0x55, 0xc7, 0x10, 0x00},
		"truncated":         {0xa1, 0x04, 0x1a, 0x69, 0x55, 0xc7},
		"big key":           {0xa2, 0x04, 0x1a, 0x69, 0x55, 0xc7, 0x10, 0x1b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00},
		"deeply nested aud": append(append([]byte{0xa2, 0x04, 0x1a, 0x69, 0x55, 0xc7, 0x10, 0x03}, []byte(strings.Repeat("\x81", 40))...), 0x00),
	} {
		if got := (&Verifier{Ring: r}).Verify(signPayload(t, "k1", payload), baseRequest()).Reason; got != Malformed {
			t.Errorf("%s: %s, want malformed", name, got)
		}
	}
	if got := (&Verifier{Ring: r}).Verify(signPayload(t, "k1", []byte{0xa0}), baseRequest()).Reason; got != Lifetime {
		t.Errorf("empty claims: %s, want lifetime (no exp)", got)
	}
	keys := ClaimKeys()
	if len(keys) != 12 || keys["catu"] != 312 || keys["catr"] != 323 || keys["crit"] != 45 || keys["cti"] != 7 {
		t.Errorf("ClaimKeys = %v", keys)
	}
}

// TestClaimsTaggedKey: a key under a tag is malformed in every map the
// claims are read from, as at the edge, though the decoder would read it
// as the integer under the tag; the same map with the key untagged is
// read.
func TestClaimsTaggedKey(t *testing.T) {
	r := testRing(t)
	exp := uint64(t0.Add(time.Hour).Unix())
	// key is k as written: plain, or under tag 1000.
	for _, c := range []struct {
		name    string
		claims  func(key func(k int64) any) map[any]any
		renewal bool
		plain   Reason
	}{
		{"exp, top level", func(key func(int64) any) map[any]any { return map[any]any{key(keyExp): exp} }, false, OK},
		{"cti beside exp", func(key func(int64) any) map[any]any {
			return map[any]any{uint64(keyExp): exp, key(keyCti): []byte("s1")}
		}, false, OK},
		{"negative key", func(key func(int64) any) map[any]any { return map[any]any{uint64(keyExp): exp, key(-1): 1} }, false, Unsupported},
		{"catu component", func(key func(int64) any) map[any]any {
			return map[any]any{uint64(keyExp): exp, uint64(keyCatu): map[any]any{key(3): map[any]any{uint64(1): "/vod/"}}}
		}, false, OK},
		{"catu match type", func(key func(int64) any) map[any]any {
			return map[any]any{uint64(keyExp): exp, uint64(keyCatu): map[any]any{uint64(3): map[any]any{key(1): "/vod/"}}}
		}, false, OK},
		{"catr label", func(key func(int64) any) map[any]any {
			return map[any]any{uint64(keyExp): exp, uint64(keyCatr): map[any]any{key(catrType): uint64(2), uint64(catrExpAdd): uint64(60)}}
		}, true, OK},
	} {
		v := &Verifier{Ring: r, Renewal: c.renewal}
		plain := func(k int64) any {
			if k < 0 {
				return k
			}
			return uint64(k)
		}
		tagged := func(k int64) any { return cbor.Tag{Number: 1000, Content: plain(k)} }
		if got := v.Verify(signPayload(t, "k1", mustCBOR(t, c.claims(plain))), baseRequest()).Reason; got != c.plain {
			t.Errorf("%s, plain key: %s, want %s", c.name, got, c.plain)
		}
		if got := v.Verify(signPayload(t, "k1", mustCBOR(t, c.claims(tagged))), baseRequest()).Reason; got != Malformed {
			t.Errorf("%s, tagged key: %s, want malformed", c.name, got)
		}
	}
	// The walk over the keys reads a map head of any length, as the
	// decoder does (it takes a count in more bytes than needed).
	for _, head := range [][]byte{{0xb8, 1}, {0xb9, 0, 1}, {0xba, 0, 0, 0, 1}, {0xbb, 0, 0, 0, 0, 0, 0, 0, 1}} {
		payload := append(head, mustCBOR(t, uint64(keyExp))...)
		payload = append(payload, mustCBOR(t, exp)...)
		if got := (&Verifier{Ring: r}).Verify(signPayload(t, "k1", payload), baseRequest()).Reason; got != OK {
			t.Errorf("map head % x: %s, want ok", head, got)
		}
		payload[len(head)] = 0x24 // the key -5
		if got := (&Verifier{Ring: r}).Verify(signPayload(t, "k1", payload), baseRequest()).Reason; got != Unsupported {
			t.Errorf("map head % x, key -5: %s, want unsupported", head, got)
		}
	}
}
