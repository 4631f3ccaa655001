package cat

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/securestream/terraform-provider-securestream/internal/testenv"
)

// NodeInstall installs the independent implementation the interop test
// runs: cose-js and cbor from npm, as testdata/node/package-lock.json pins
// them, with no package's install scripts.
const NodeInstall = "make cat-tools   (npm ci --prefix internal/cat/testdata/node --ignore-scripts --no-audit --no-fund)"

// typed is a CBOR value in the interop script's typed JSON: exactly one of
// the fields is set.
type typed struct {
	Int  *string    `json:"int,omitempty"`
	Str  *string    `json:"str,omitempty"`
	Bstr *string    `json:"bstr,omitempty"`
	Arr  []typed    `json:"arr,omitempty"`
	Map  [][2]typed `json:"map,omitempty"`
	Tag  *uint64    `json:"tag,omitempty"`
	Val  *typed     `json:"val,omitempty"`
}

// anyDec decodes claims generically, for handing them to node.
var anyDec, _ = cbor.DecOptions{DefaultMapType: reflectMapAny, IntDec: cbor.IntDecConvertNone}.DecMode()

// toTyped converts a generically decoded CBOR value. Map entries are given
// in descending key order, the reverse of deterministic encoding, so that
// the tokens node makes are not byte-for-byte what Mint would write.
func toTyped(t *testing.T, v any) typed {
	t.Helper()
	s := func(x string) *string { return &x }
	switch x := v.(type) {
	case uint64:
		return typed{Int: s(strconv.FormatUint(x, 10))}
	case int64:
		return typed{Int: s(strconv.FormatInt(x, 10))}
	case string:
		return typed{Str: s(x)}
	case []byte:
		return typed{Bstr: s(hex.EncodeToString(x))}
	case []any:
		out := typed{Arr: []typed{}}
		for _, e := range x {
			out.Arr = append(out.Arr, toTyped(t, e))
		}
		return out
	case map[any]any:
		out := typed{Map: [][2]typed{}}
		for k, e := range x {
			out.Map = append(out.Map, [2]typed{toTyped(t, k), toTyped(t, e)})
		}
		slices.SortFunc(out.Map, func(a, b [2]typed) int { return -cmpInt(a[0], b[0]) })
		return out
	case cbor.Tag:
		n := x.Number
		val := toTyped(t, x.Content)
		return typed{Tag: &n, Val: &val}
	}
	t.Fatalf("claims hold a %T", v)
	return typed{}
}

func cmpInt(a, b typed) int {
	x, _ := new(big.Int).SetString(*a.Int, 10)
	y, _ := new(big.Int).SetString(*b.Int, 10)
	return x.Cmp(y)
}

// fromTyped converts node's answer back into a Go value for the
// deterministic encoder.
func fromTyped(t *testing.T, v typed) any {
	t.Helper()
	switch {
	case v.Int != nil:
		n, err := strconv.ParseInt(*v.Int, 10, 64)
		if err != nil {
			t.Fatalf("node gave integer %s: %v", *v.Int, err)
		}
		return n
	case v.Str != nil:
		return *v.Str
	case v.Bstr != nil:
		b, err := hex.DecodeString(*v.Bstr)
		if err != nil {
			t.Fatal(err)
		}
		return b
	case v.Arr != nil:
		out := []any{}
		for _, e := range v.Arr {
			out = append(out, fromTyped(t, e))
		}
		return out
	case v.Map != nil:
		out := map[any]any{}
		for _, kv := range v.Map {
			out[fromTyped(t, kv[0])] = fromTyped(t, kv[1])
		}
		return out
	case v.Tag != nil && v.Val != nil:
		return cbor.Tag{Number: *v.Tag, Content: fromTyped(t, *v.Val)}
	}
	t.Fatalf("node gave an empty value")
	return nil
}

type nodeVerify struct {
	Token string `json:"token"`
	Key   string `json:"key"`
}

type nodeMint struct {
	Claims typed  `json:"claims"`
	Kid    string `json:"kid"`
	Key    string `json:"key"`
	Alg    int    `json:"alg"`
	CWT    bool   `json:"cwt"`
}

type nodeVerdict struct {
	OK     bool   `json:"ok"`
	Error  string `json:"error"`
	Alg    int    `json:"alg"`
	Kid    string `json:"kid"`
	CWT    bool   `json:"cwt"`
	Claims *typed `json:"claims"`
}

// runNode runs testdata/node/interop.js, which fails the test, naming the
// install command, when its npm packages are not installed.
func runNode(t *testing.T, verify []nodeVerify, mint []nodeMint) ([]nodeVerdict, []string) {
	t.Helper()
	testenv.Cross(t)
	dir, err := filepath.Abs(filepath.Join("testdata", "node"))
	if err != nil {
		t.Fatal(err)
	}
	var pins struct{ Dependencies map[string]string }
	testenv.ReadJSON(t, filepath.Join(dir, "package.json"), &pins)
	for _, pkg := range []string{"cose-js", "cbor"} {
		var got struct{ Version string }
		b, err := os.ReadFile(filepath.Join(dir, "node_modules", pkg, "package.json"))
		if err == nil {
			err = json.Unmarshal(b, &got)
		}
		if err != nil || got.Version != pins.Dependencies[pkg] {
			t.Fatalf("the interop test needs %s %s from npm in %s (found %q): %s", pkg, pins.Dependencies[pkg], dir, got.Version, NodeInstall)
		}
	}
	in, err := json.Marshal(map[string]any{"verify": verify, "mint": mint})
	if err != nil {
		t.Fatal(err)
	}
	out := testenv.RunNode(t, in, filepath.Join(dir, "interop.js"))
	var answer struct {
		Verify []nodeVerdict `json:"verify"`
		Mint   []string      `json:"mint"`
	}
	if err := json.Unmarshal(out, &answer); err != nil {
		t.Fatalf("node answered %s: %v", out, err)
	}
	if len(answer.Verify) != len(verify) || len(answer.Mint) != len(mint) {
		t.Fatalf("node answered %d verdicts and %d tokens for %d and %d", len(answer.Verify), len(answer.Mint), len(verify), len(mint))
	}
	return answer.Verify, answer.Mint
}

// interopClaims are the claim sets exchanged with node: every claim and
// encoding this package writes.
func interopClaims() map[string]Claims {
	out := map[string]Claims{}
	add := func(name string, mod func(*Claims)) {
		c := baseClaims()
		mod(&c)
		out[name] = c
	}
	add("base", func(*Claims) {})
	add("exp only", func(c *Claims) { *c = Claims{Expires: c.Expires} })
	add("two aud, renewal, crit", func(c *Claims) {
		c.Audience = []string{"other.example.com", "media.example.com"}
		c.Renewal = &Renewal{Type: 2, ExpAdd: 600, Deadline: 60, HeaderName: "CTA-Common-Access-Token", HeaderParams: []string{"x=1"}}
		c.Critical = []int64{keyCatu, keyCatr}
	})
	add("networks", func(c *Claims) {
		c.Networks = []netip.Prefix{netip.MustParsePrefix("2001:db8:1:2::/64"), netip.MustParsePrefix("203.0.112.0/23"), netip.MustParsePrefix("203.0.113.7/32")}
	})
	add("all uri", func(c *Claims) {
		c.URI = []URIMatch{{ComponentScheme, MatchExact, "https"}, {ComponentHost, MatchSuffix, ".example.com"},
			{ComponentPath, MatchPrefix, "/vod/"}, {ComponentPath, MatchSuffix, ".ts"}, {ComponentExtension, MatchExact, ".ts"}}
	})
	add("unicode iss", func(c *Claims) { c.Issuer = "https://émetteur.example.com/✓" })
	return out
}

// TestNodeInterop: tokens minted here verify in cose-js (npm), which reads
// the same claims, alg 5, kid and tags back and refuses altered ones; and
// tokens cose-js makes, with their claims encoded by npm's cbor in another
// key order, verify here, with the same claims, or are refused for the
// reasons they should be. cose-js also verifies the Akamai vectors, so it
// is a sound oracle.
func TestNodeInterop(t *testing.T) {
	r := testRing(t)
	v := baseVerifier(r)
	v.Renewal = true
	key1 := hex.EncodeToString(testSecret("k1", 32))
	key2 := hex.EncodeToString(testSecret("k2", 48))

	type ours struct {
		name    string
		tok     string
		payload []byte
		cwt     bool
	}
	var minted []ours
	var verify []nodeVerify
	var mints []nodeMint
	var mintNames []string
	var mintWant []Claims
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range interopClaims() {
			if !yield(n) {
				return
			}
		}
	})
	for _, name := range names {
		c := interopClaims()[name]
		for _, cwt := range []bool{false, true} {
			tok := mint(t, r, "k2", c, MintOptions{CWTTag: cwt})
			env, why := parseEnvelope(tok)
			if why != OK {
				t.Fatal(why)
			}
			minted = append(minted, ours{fmt.Sprintf("%s (cwt %v)", name, cwt), tok, env.payload, cwt})
			verify = append(verify, nodeVerify{tok, key2})

			var generic any
			if err := anyDec.Unmarshal(env.payload, &generic); err != nil {
				t.Fatal(err)
			}
			mints = append(mints, nodeMint{Claims: toTyped(t, generic), Kid: "k1", Key: key1, Alg: 5, CWT: cwt})
			mintNames = append(mintNames, fmt.Sprintf("%s (cwt %v)", name, cwt))
			mintWant = append(mintWant, c)
		}
	}
	// Refusals node must make: an altered tag, the wrong key.
	altered := flipLastTagByte(t, minted[0].tok)
	verify = append(verify, nodeVerify{altered, key2}, nodeVerify{minted[1].tok, key1},
		nodeVerify{akamaiExpired, hex.EncodeToString(rfc8392Key)}, nodeVerify{akamaiNoExp, hex.EncodeToString(rfc8392Key)})
	// Tokens node makes that must be refused here: HMAC 256/64 (alg 4),
	// an expired one, a claim this package does not implement.
	expired := map[any]any{int64(keyExp): t0.Add(-time.Second).Unix()}
	withSub := map[any]any{int64(keyExp): t0.Add(time.Hour).Unix(), int64(2): "subject"}
	refusals := []struct {
		m    nodeMint
		want Reason
	}{
		{nodeMint{Claims: toTyped(t, map[any]any{int64(keyExp): t0.Add(time.Hour).Unix()}), Kid: "k1", Key: key1, Alg: 4, CWT: true}, WrongAlg},
		{nodeMint{Claims: toTyped(t, expired), Kid: "k1", Key: key1, Alg: 5}, Expired},
		{nodeMint{Claims: toTyped(t, withSub), Kid: "k1", Key: key1, Alg: 5}, Unsupported},
		{nodeMint{Claims: toTyped(t, map[any]any{int64(keyExp): t0.Add(time.Hour).Unix()}), Kid: "k1", Key: key2, Alg: 5}, BadMAC},
	}
	for _, x := range refusals {
		mints = append(mints, x.m)
	}

	verdicts, tokens := runNode(t, verify, mints)

	for i, m := range minted {
		got := verdicts[i]
		if !got.OK || got.Alg != 5 || got.Kid != "k2" || got.CWT != m.cwt || got.Claims == nil {
			t.Errorf("node on %s: %+v", m.name, got)
			continue
		}
		// What node read, encoded deterministically, is what was signed.
		back, err := encMode.Marshal(fromTyped(t, *got.Claims))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(back, m.payload) {
			t.Errorf("node on %s read claims that encode as\n%x\nnot\n%x", m.name, back, m.payload)
		}
	}
	rest := verdicts[len(minted):]
	if rest[0].OK || rest[0].Error != "Tag mismatch" {
		t.Errorf("node on an altered tag: %+v", rest[0])
	}
	if rest[1].OK || rest[1].Error != "Tag mismatch" {
		t.Errorf("node with the wrong key: %+v", rest[1])
	}
	if !rest[2].OK || !rest[3].OK || rest[2].Kid != "akamai_key_hs256" {
		t.Errorf("node on the Akamai vectors: %+v, %+v", rest[2], rest[3])
	}

	for i, tok := range tokens[:len(mintNames)] {
		raw, _ := b64.DecodeString(tok)
		ours, _ := b64.DecodeString(mint(t, r, "k1", mintWant[i], MintOptions{CWTTag: mints[i].CWT}))
		if len(mintWant[i].URI)+len(mintWant[i].Audience) > 0 && bytes.Equal(raw, ours) {
			t.Errorf("node's token for %s is byte-for-byte ours: the test shows nothing", mintNames[i])
		}
		vc := &Verifier{Ring: r, Renewal: true, Issuer: mintWant[i].Issuer}
		if mintWant[i].Audience != nil {
			vc.Audience = "media.example.com"
		}
		res := vc.Verify(tok, baseRequest())
		if res.Reason != OK || res.KeyID != "k1" {
			t.Errorf("node's %s: %s (kid %q)", mintNames[i], res.Reason, res.KeyID)
			continue
		}
		if !reflectDeepEqual(res.Claims, mintWant[i]) {
			t.Errorf("node's %s: claims\n%+v\nwant\n%+v", mintNames[i], res.Claims, mintWant[i])
		}
	}
	for i, x := range refusals {
		tok := tokens[len(mintNames)+i]
		if got := v.Verify(tok, baseRequest()).Reason; got != x.want {
			t.Errorf("node's refusal case %d: %s, want %s", i, got, x.want)
		}
	}
}
