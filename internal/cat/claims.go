package cat

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/fxamacker/cbor/v2"
)

// The claim keys, CTA-5007 / IANA CWT registry numbering (reference A2),
// in one place so that a partner on another numbering (Akamai's
// provisional 267-279, AWS's example 401-404) is one edit away.
const (
	keyIss    = 1
	keyAud    = 3
	keyExp    = 4
	keyNbf    = 5
	keyIat    = 6
	keyCti    = 7
	keyCatv   = 310
	keyCatnip = 311
	keyCatu   = 312
	keyCatm   = 313
	keyCatr   = 323
	// keyCrit is the claim listing critical claims. No CTA/IANA number for
	// it is known (UNVERIFIED); 45 is the only one in use, Akamai's. The
	// choice cannot widen access: every claim this package does not know
	// already fails closed, so a crit under another key is refused as
	// unknown, and a claim 45 of another meaning is refused unless its
	// value happens to be a list of keys of claims that are present and
	// enforced here. COSE's header crit (label 2) is refused with every
	// header parameter but alg and kid.
	keyCrit = 45
)

// claimTable is every claim Verify understands, with its decoder. A claim
// not in it is unsupported; catr is understood only when the verifier
// has renewal on.
var claimTable = []struct {
	key    int64
	name   string
	decode func(raw cbor.RawMessage, c *Claims) Reason
}{
	{keyIss, "iss", func(r cbor.RawMessage, c *Claims) Reason { return decodeText(r, &c.Issuer) }},
	{keyAud, "aud", decodeAud},
	{keyExp, "exp", func(r cbor.RawMessage, c *Claims) Reason { return decodeTime(r, &c.Expires) }},
	{keyNbf, "nbf", func(r cbor.RawMessage, c *Claims) Reason { return decodeTime(r, &c.NotBefore) }},
	{keyIat, "iat", func(r cbor.RawMessage, c *Claims) Reason { return decodeTime(r, &c.IssuedAt) }},
	{keyCti, "cti", decodeCti},
	{keyCatv, "catv", decodeCatv},
	{keyCatnip, "catnip", decodeCatnip},
	{keyCatu, "catu", decodeCatu},
	{keyCatm, "catm", decodeCatm},
	{keyCatr, "catr", decodeCatr},
	{keyCrit, "crit", decodeCrit},
}

// Claims is what a token says. Mint encodes it and Verify returns it.
// Times are whole seconds (Mint drops fractions; Verify returns UTC); the
// zero time means the claim is absent. A nil
// slice or pointer means absent; an empty one is refused, since an empty
// restriction reads as "nothing" to one implementation and "anything" to
// another.
type Claims struct {
	// Issuer is iss: who minted the token.
	Issuer string
	// Audience is aud: one entry is minted as a text string, several as
	// an array (both are accepted).
	Audience []string
	// Expires is exp. Mint and Verify require it: a verifier with a
	// maximum lifetime cannot accept a token that never expires.
	Expires time.Time
	// NotBefore is nbf; IssuedAt is iat (informational).
	NotBefore, IssuedAt time.Time
	// ID is cti, 1 to 64 bytes: the issuer's session id, so that revoking
	// a session revokes its CATs. It is minted as a byte string (RFC
	// 8392); a text string is accepted too (some producers write one, and
	// the bytes are what a revocation list is keyed on).
	ID []byte
	// URI is catu: every entry must match the request (entries of one
	// component are all applied, none is an alternative).
	URI []URIMatch
	// Methods is catm: the request method must be one of them (case
	// sensitive, as RFC 9110 methods are).
	Methods []string
	// Networks is catnip: the client address must be in one of them. A
	// single address is a /32 or /128 prefix.
	Networks []netip.Prefix
	// Renewal is catr, understood only by a verifier with Renewal on.
	Renewal *Renewal
	// Critical is crit: claim keys the token's issuer requires a verifier
	// to understand. Each must be a claim this package implements and be
	// present in the token.
	Critical []int64
}

// URIComponent is a catu component label (reference A3). Only those
// below are implemented; any other fails closed.
type URIComponent int64

const (
	ComponentScheme    URIComponent = 0 // the request scheme, lower case ("https")
	ComponentHost      URIComponent = 1 // the Host header without its port, lower case
	ComponentPath      URIComponent = 3 // the path as received, percent-encoded
	ComponentExtension URIComponent = 8 // the last segment from its first '.' on (".m3u8"), "" without one
)

// MatchType is a catu match type. Only exact, prefix and suffix are
// implemented (contains, regex and the hashes fail closed).
type MatchType int64

const (
	MatchExact  MatchType = 0
	MatchPrefix MatchType = 1
	MatchSuffix MatchType = 2
)

// URIMatch is one catu condition: Component must match Value as Type says.
// Scheme and host compare without regard to ASCII case.
type URIMatch struct {
	Component URIComponent
	Type      MatchType
	Value     string
}

// Renewal is catr (labels from reference A3). Verify only decodes it; the
// edge decides whether and how to renew.
type Renewal struct {
	// Type: 0 automatic, 1 cookie, 2 header, 3 redirect. Required.
	Type int64
	// ExpAdd is the seconds a renewed token's exp lies after the renewal.
	// Required, positive.
	ExpAdd int64
	// Deadline is how many seconds before exp renewal starts; 0 absent.
	Deadline int64
	// CookieName and HeaderName name where the renewed token goes.
	CookieName, HeaderName string
	// CookieParams and HeaderParams are extra attributes, as text.
	CookieParams, HeaderParams []string
	// Code is the redirect status code; 0 absent.
	Code int64
}

// Claim limits.
const (
	// maxTime keeps times below 10^12 seconds, where Go's int64 and
	// JavaScript's doubles agree (as in streamkey).
	maxTime = 999_999_999_999
	// maxIDLen bounds cti; a session id is at most 64 characters.
	maxIDLen = 64
)

// CBOR major types, read from the first byte of a raw item. Every value is
// checked for its major type before it is decoded, so that the decoder's
// conveniences (a tag-1 time into an int, a text string into bytes, a
// bignum into an int64) never widen what a claim may be.
const (
	majorUint   = 0
	majorNegInt = 1
	majorBytes  = 2
	majorText   = 3
	majorArray  = 4
	majorMap    = 5
	majorTag    = 6
)

func major(r cbor.RawMessage) int {
	if len(r) == 0 {
		return -1
	}
	return int(r[0] >> 5)
}

// Tags of catnip entries (RFC 9164).
const (
	tagIPv4 = 52
	tagIPv6 = 54
)

func decodeText(r cbor.RawMessage, s *string) Reason {
	if major(r) != majorText || decMode.Unmarshal(r, s) != nil {
		return Malformed
	}
	return OK
}

func decodeUint(r cbor.RawMessage, n *int64) Reason {
	if major(r) != majorUint || decMode.Unmarshal(r, n) != nil {
		return Malformed
	}
	return OK
}

// decodeTime reads a NumericDate. Only integers are accepted: RFC 8392
// allows fractions, but no CAT producer writes them and the edge's
// comparison is in whole seconds.
func decodeTime(r cbor.RawMessage, t *time.Time) Reason {
	var n int64
	if decodeUint(r, &n) != OK || n > maxTime {
		return Malformed
	}
	*t = time.Unix(n, 0).UTC()
	return OK
}

// decodeEach reads a non-empty array and hands each item, raw, to decode,
// stopping at the first that is not OK.
func decodeEach(r cbor.RawMessage, decode func(item cbor.RawMessage) Reason) Reason {
	var items []cbor.RawMessage
	if major(r) != majorArray || decMode.Unmarshal(r, &items) != nil || len(items) == 0 {
		return Malformed
	}
	for _, it := range items {
		if why := decode(it); why != OK {
			return why
		}
	}
	return OK
}

// decodeMap reads a non-empty map with integer keys (duplicates refused by
// decMode), its values left raw, and its keys in ascending order so that
// the first failure, and so the reason, never depends on map order.
func decodeMap(r cbor.RawMessage) (map[int64]cbor.RawMessage, []int64, Reason) {
	var m map[int64]cbor.RawMessage
	if major(r) != majorMap || decMode.Unmarshal(r, &m) != nil || len(m) == 0 || !plainKeys(r, len(m)) {
		return nil, nil, Malformed
	}
	keys := make([]int64, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return m, keys, OK
}

// plainKeys reports whether every key of r, a map of n pairs that decMode
// has read already (so well formed, of definite length, within the
// limits), is an integer with no tag around it. decMode reads a tagged key
// such as 1000(4) as the integer under the tag; the edge function refuses
// it, and a key is a number, not a value a tag could qualify.
func plainKeys(r cbor.RawMessage, n int) bool {
	head := 1 // the map head: the initial byte, then 0, 1, 2, 4 or 8 bytes of count
	if ai := r[0] & 31; ai >= 24 {
		head += 1 << (ai - 24)
	}
	rest := []byte(r[head:])
	var item cbor.RawMessage
	for i := 0; i < 2*n; i++ {
		if i%2 == 0 && major(rest) != majorUint && major(rest) != majorNegInt {
			return false
		}
		var err error
		if rest, err = decMode.UnmarshalFirst(rest, &item); err != nil {
			return false
		}
	}
	return len(rest) == 0
}

func decodeTexts(r cbor.RawMessage, out *[]string) Reason {
	return decodeEach(r, func(it cbor.RawMessage) Reason {
		var s string
		if decodeText(it, &s) != OK {
			return Malformed
		}
		*out = append(*out, s)
		return OK
	})
}

func decodeAud(r cbor.RawMessage, c *Claims) Reason {
	if major(r) == majorText {
		var s string
		if decodeText(r, &s) != OK {
			return Malformed
		}
		c.Audience = []string{s}
		return OK
	}
	return decodeTexts(r, &c.Audience)
}

func decodeCti(r cbor.RawMessage, c *Claims) Reason {
	switch major(r) {
	case majorBytes:
		if decMode.Unmarshal(r, &c.ID) != nil {
			return Malformed
		}
	case majorText:
		var s string
		if decodeText(r, &s) != OK {
			return Malformed
		}
		c.ID = []byte(s)
	default:
		return Malformed
	}
	if len(c.ID) == 0 || len(c.ID) > maxIDLen {
		return Malformed
	}
	return OK
}

// decodeCatv accepts version 1 only: a later version may change what a
// claim means.
func decodeCatv(r cbor.RawMessage, _ *Claims) Reason {
	var v int64
	if decodeUint(r, &v) != OK {
		return Malformed
	}
	if v != 1 {
		return Unsupported
	}
	return OK
}

// decodeCatnip reads catnip: addresses and prefixes (decodeNetwork).
func decodeCatnip(r cbor.RawMessage, c *Claims) Reason {
	return decodeEach(r, func(it cbor.RawMessage) Reason {
		p, why := decodeNetwork(it)
		if why == OK {
			c.Networks = append(c.Networks, p)
		}
		return why
	})
}

// decodeNetwork reads one catnip entry: an RFC 9164 address (tag 52 or 54
// around a 4- or 16-byte string) or prefix (the tag around [length,
// bytes], where the bytes may stop early, RFC 9164, or be complete, as
// node-cat writes them; bits past the length are cleared). An AS number
// (an integer) cannot be checked at the edge: unsupported.
func decodeNetwork(it cbor.RawMessage) (netip.Prefix, Reason) {
	if major(it) == majorUint {
		return netip.Prefix{}, Unsupported
	}
	var tag cbor.RawTag
	if major(it) != majorTag || decMode.Unmarshal(it, &tag) != nil {
		return netip.Prefix{}, Malformed
	}
	size := 0
	switch tag.Number {
	case tagIPv4:
		size = 4
	case tagIPv6:
		size = 16
	default:
		return netip.Prefix{}, Malformed
	}
	bits := size * 8
	var addr []byte
	switch major(tag.Content) {
	case majorBytes:
		if decMode.Unmarshal(tag.Content, &addr) != nil || len(addr) != size {
			return netip.Prefix{}, Malformed
		}
	case majorArray:
		var pair []cbor.RawMessage
		var n int64
		if decMode.Unmarshal(tag.Content, &pair) != nil || len(pair) != 2 ||
			decodeUint(pair[0], &n) != OK || n > int64(bits) ||
			major(pair[1]) != majorBytes || decMode.Unmarshal(pair[1], &addr) != nil || len(addr) > size {
			return netip.Prefix{}, Malformed
		}
		bits = int(n)
	default:
		return netip.Prefix{}, Malformed
	}
	full := make([]byte, size)
	copy(full, addr)
	a, _ := netip.AddrFromSlice(full) // cannot fail: 4 or 16 bytes
	p, err := a.Prefix(bits)
	if err != nil {
		return netip.Prefix{}, Malformed
	}
	return p, OK
}

// decodeCatu reads {component: {match type: text}}.
func decodeCatu(r cbor.RawMessage, c *Claims) Reason {
	m, comps, why := decodeMap(r)
	if why != OK {
		return why
	}
	for _, comp := range comps {
		switch URIComponent(comp) {
		case ComponentScheme, ComponentHost, ComponentPath, ComponentExtension:
		default:
			return Unsupported
		}
		mm, types, why := decodeMap(m[comp])
		if why != OK {
			return why
		}
		for _, typ := range types {
			switch MatchType(typ) {
			case MatchExact, MatchPrefix, MatchSuffix:
			default:
				return Unsupported
			}
			u := URIMatch{Component: URIComponent(comp), Type: MatchType(typ)}
			if decodeText(mm[typ], &u.Value) != OK {
				return Malformed
			}
			c.URI = append(c.URI, u)
		}
	}
	return OK
}

func decodeCatm(r cbor.RawMessage, c *Claims) Reason {
	if why := decodeTexts(r, &c.Methods); why != OK {
		return why
	}
	for _, m := range c.Methods {
		if !validMethod(m) {
			return Malformed
		}
	}
	return OK
}

// The catr labels.
const (
	catrType = iota
	catrExpAdd
	catrDeadline
	catrCookieName
	catrHeaderName
	catrCookieParams
	catrHeaderParams
	catrCode
)

func decodeCatr(r cbor.RawMessage, c *Claims) Reason {
	m, labels, why := decodeMap(r)
	if why != OK {
		return why
	}
	rn := &Renewal{}
	for _, l := range labels {
		v := m[l]
		switch l {
		case catrType:
			why = decodeUint(v, &rn.Type)
		case catrExpAdd:
			why = decodeUint(v, &rn.ExpAdd)
		case catrDeadline:
			why = decodeUint(v, &rn.Deadline)
		case catrCookieName:
			why = decodeText(v, &rn.CookieName)
		case catrHeaderName:
			why = decodeText(v, &rn.HeaderName)
		case catrCookieParams:
			why = decodeTexts(v, &rn.CookieParams)
		case catrHeaderParams:
			why = decodeTexts(v, &rn.HeaderParams)
		case catrCode:
			why = decodeUint(v, &rn.Code)
		default:
			return Unsupported
		}
		if why != OK {
			return why
		}
	}
	if _, ok := m[catrType]; !ok || rn.Type > 3 || rn.ExpAdd <= 0 || rn.ExpAdd > maxTime || rn.Deadline > maxTime {
		return Malformed
	}
	c.Renewal = rn
	return OK
}

func decodeCrit(r cbor.RawMessage, c *Claims) Reason {
	return decodeEach(r, func(it cbor.RawMessage) Reason {
		var k int64
		if (major(it) != majorUint && major(it) != majorNegInt) || decMode.Unmarshal(it, &k) != nil {
			return Malformed
		}
		c.Critical = append(c.Critical, k)
		return OK
	})
}

// decodeClaims decodes and checks the claims map of a genuine token. A
// claim outside claimTable, catr while renewal is off, catv other than 1,
// or a critical claim this package does not implement is unsupported; a
// critical claim that is absent, or any value of the wrong shape, is
// malformed. Claims are visited in key order, so the reason is
// deterministic.
func decodeClaims(payload []byte, renewal bool) (Claims, Reason) {
	var c Claims
	m, keys, why := decodeMap(payload)
	if why != OK {
		if len(payload) == 1 && payload[0] == 0xa0 { // {}: valid, if useless
			return c, OK
		}
		return c, Malformed
	}
	for _, k := range keys {
		i := claimIndex(k)
		if i < 0 || (k == keyCatr && !renewal) {
			return c, Unsupported
		}
		if why := claimTable[i].decode(m[k], &c); why != OK {
			return c, why
		}
	}
	for _, k := range c.Critical {
		if i := claimIndex(k); i < 0 || k == keyCrit || (k == keyCatr && !renewal) {
			return c, Unsupported
		}
		if _, ok := m[k]; !ok {
			return c, Malformed
		}
	}
	return c, OK
}

func claimIndex(k int64) int {
	for i := range claimTable {
		if claimTable[i].key == k {
			return i
		}
	}
	return -1
}

// ClaimKeys returns the key of each claim this package implements, by
// name ("catu": 312), so that code rendered for another runtime (the edge
// function) reads its numbering from this one table.
func ClaimKeys() map[string]int64 {
	m := make(map[string]int64, len(claimTable))
	for _, c := range claimTable {
		m[c.name] = c.key
	}
	return m
}

// validMethod reports whether m is an RFC 9110 method token.
func validMethod(m string) bool {
	if m == "" {
		return false
	}
	for i := 0; i < len(m); i++ {
		c := m[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

// cborMap validates c for minting and returns the claims map: catv 1 and
// the claims c sets, each in the shape decodeClaims reads.
func (c *Claims) cborMap() (map[int64]any, error) {
	m := map[int64]any{keyCatv: 1}
	text := func(name, s string) error {
		if !utf8.ValidString(s) {
			return fmt.Errorf("%s %q is not valid UTF-8", name, s)
		}
		return nil
	}
	if c.Issuer != "" {
		if err := text("iss", c.Issuer); err != nil {
			return nil, err
		}
		m[keyIss] = c.Issuer
	}
	switch {
	case c.Audience == nil:
	case len(c.Audience) == 0:
		return nil, fmt.Errorf("aud is empty; leave it nil for no audience")
	case len(c.Audience) == 1:
		m[keyAud] = c.Audience[0]
	default:
		m[keyAud] = c.Audience
	}
	for _, a := range c.Audience {
		if err := text("aud", a); err != nil {
			return nil, err
		}
	}
	if c.Expires.IsZero() {
		return nil, fmt.Errorf("the token needs an expiry time (exp)")
	}
	for _, t := range []struct {
		name string
		key  int64
		t    time.Time
	}{{"exp", keyExp, c.Expires}, {"nbf", keyNbf, c.NotBefore}, {"iat", keyIat, c.IssuedAt}} {
		if t.t.IsZero() {
			continue
		}
		if s := t.t.Unix(); s < 0 || s > maxTime {
			return nil, fmt.Errorf("%s %s is out of range", t.name, t.t.UTC().Format(time.RFC3339))
		}
		m[t.key] = t.t.Unix()
	}
	if !c.NotBefore.IsZero() && c.NotBefore.Unix() >= c.Expires.Unix() {
		return nil, fmt.Errorf("nbf %s must be before exp %s", c.NotBefore.UTC().Format(time.RFC3339), c.Expires.UTC().Format(time.RFC3339))
	}
	if c.ID != nil {
		if len(c.ID) == 0 || len(c.ID) > maxIDLen {
			return nil, fmt.Errorf("cti must be 1 to %d bytes, got %d", maxIDLen, len(c.ID))
		}
		m[keyCti] = c.ID
	}
	if c.URI != nil {
		if len(c.URI) == 0 {
			return nil, fmt.Errorf("catu is empty; leave it nil for any URI")
		}
		catu := map[int64]map[int64]string{}
		for _, u := range c.URI {
			switch u.Component {
			case ComponentScheme, ComponentHost, ComponentPath, ComponentExtension:
			default:
				return nil, fmt.Errorf("catu component %d is not implemented (scheme 0, host 1, path 3, extension 8)", u.Component)
			}
			switch u.Type {
			case MatchExact, MatchPrefix, MatchSuffix:
			default:
				return nil, fmt.Errorf("catu match type %d is not implemented (exact 0, prefix 1, suffix 2)", u.Type)
			}
			if err := text("catu value", u.Value); err != nil {
				return nil, err
			}
			mm := catu[int64(u.Component)]
			if mm == nil {
				mm = map[int64]string{}
				catu[int64(u.Component)] = mm
			}
			if _, dup := mm[int64(u.Type)]; dup {
				return nil, fmt.Errorf("catu has two match type %d conditions on component %d; a CBOR map holds one", u.Type, u.Component)
			}
			mm[int64(u.Type)] = u.Value
		}
		m[keyCatu] = catu
	}
	if c.Methods != nil {
		if len(c.Methods) == 0 {
			return nil, fmt.Errorf("catm is empty; leave it nil for any method")
		}
		for _, meth := range c.Methods {
			if !validMethod(meth) {
				return nil, fmt.Errorf("catm method %q is not an HTTP method token", meth)
			}
		}
		m[keyCatm] = c.Methods
	}
	if c.Networks != nil {
		if len(c.Networks) == 0 {
			return nil, fmt.Errorf("catnip is empty; leave it nil for any address")
		}
		var nets []any
		for _, p := range c.Networks {
			if !p.IsValid() || p.Addr().Zone() != "" || p.Addr().Is4In6() {
				return nil, fmt.Errorf("catnip entry %v is not an IP prefix (an IPv4 one in its IPv4 form)", p)
			}
			nets = append(nets, catnipEntry(p))
		}
		m[keyCatnip] = nets
	}
	if rn := c.Renewal; rn != nil {
		if rn.Type < 0 || rn.Type > 3 || rn.ExpAdd <= 0 || rn.ExpAdd > maxTime || rn.Deadline < 0 || rn.Deadline > maxTime || rn.Code < 0 {
			return nil, fmt.Errorf("catr needs a type 0 to 3 and a positive expadd, and no negative deadline or code")
		}
		catr := map[int64]any{catrType: rn.Type, catrExpAdd: rn.ExpAdd}
		if rn.Deadline != 0 {
			catr[catrDeadline] = rn.Deadline
		}
		for l, s := range map[int64]string{catrCookieName: rn.CookieName, catrHeaderName: rn.HeaderName} {
			if s != "" {
				if err := text("catr name", s); err != nil {
					return nil, err
				}
				catr[l] = s
			}
		}
		for l, ss := range map[int64][]string{catrCookieParams: rn.CookieParams, catrHeaderParams: rn.HeaderParams} {
			if len(ss) > 0 {
				catr[l] = ss
			}
		}
		if rn.Code != 0 {
			catr[catrCode] = rn.Code
		}
		m[keyCatr] = catr
	}
	if c.Critical != nil {
		if len(c.Critical) == 0 {
			return nil, fmt.Errorf("crit is empty; leave it nil")
		}
		for _, k := range c.Critical {
			if _, ok := m[k]; !ok || k == keyCrit || claimIndex(k) < 0 {
				return nil, fmt.Errorf("crit names claim %d, which is not an implemented claim present in the token", k)
			}
		}
		m[keyCrit] = c.Critical
	}
	return m, nil
}

// catnipEntry is an address (a full-length prefix) or a prefix in RFC
// 9164 form: [length, the address's bytes without trailing zero bytes].
func catnipEntry(p netip.Prefix) cbor.Tag {
	p = p.Masked()
	tag := uint64(tagIPv6)
	if p.Addr().Is4() {
		tag = tagIPv4
	}
	b := p.Addr().AsSlice()
	if p.Bits() == len(b)*8 {
		return cbor.Tag{Number: tag, Content: b}
	}
	for len(b) > 0 && b[len(b)-1] == 0 {
		b = b[:len(b)-1]
	}
	return cbor.Tag{Number: tag, Content: []any{p.Bits(), b}}
}
