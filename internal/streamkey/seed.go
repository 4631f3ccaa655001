package streamkey

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The seed format is the one from the original blog post: the issuer
// returns
//
//	stream_key    = base64(HMAC-SHA256(secret, JSON.stringify({client_ip, path, hostname, expires, user_agent})))
//	stream_policy = base64(JSON.stringify({url: path, expires}))
//
// The MAC covers a re-serialised JSON text, so Go has to produce exactly
// what JavaScript's JSON.stringify produced: key order as written, no
// escaping of '<', '>', '&' or U+2028, "\u00xx" with lower-case hex. New
// deployments should use the ss1 format; this exists so keys minted by a
// running original issuer keep working during a migration.

// SeedGrant is the input of the original issuer.
type SeedGrant struct {
	// PlaybackURL is the manifest URL the player asked for.
	PlaybackURL string
	// ClientIP is signed verbatim (the original took X-Forwarded-For).
	ClientIP string
	// UserAgent is signed verbatim.
	UserAgent string
	// Expires is issued-at plus TTL (the original used 86400 s).
	Expires time.Time
}

// SeedKey is a minted seed-format key.
type SeedKey struct {
	StreamKey    string
	StreamPolicy string
	// Hostname and Path are what was signed; Path is the playback URL's path
	// with its last segment replaced by '*'.
	Hostname, Path string
	Expires        int64
}

// seedPath is the original issuer's path rule: pathname with the first
// occurrence of its last segment replaced by '*' (JavaScript's
// String.prototype.replace with a string pattern). For normal URLs this
// turns ".../index.m3u8" into ".../*"; its quirks are kept on purpose.
func seedPath(pathname string) string {
	last := pathname[strings.LastIndexByte(pathname, '/')+1:]
	return strings.Replace(pathname, last, "*", 1)
}

// MintSeed mints a seed-format key exactly as the original issuer did.
func MintSeed(secret []byte, g SeedGrant) (SeedKey, error) {
	host, pathname, err := URLHostPath(g.PlaybackURL)
	if err != nil {
		return SeedKey{}, fmt.Errorf("streamkey: seed key: %w", err)
	}
	exp := g.Expires.Unix()
	if g.Expires.IsZero() || exp <= 0 || exp > maxTime {
		return SeedKey{}, errors.New("streamkey: seed key: expiry is missing or out of range")
	}
	k := SeedKey{Hostname: host, Path: seedPath(pathname), Expires: exp}
	mac := hmac.New(sha256.New, secret)
	mac.Write(seedMessage(nil, g.ClientIP, k.Path, host, exp, g.UserAgent))
	k.StreamKey = base64.StdEncoding.EncodeToString(mac.Sum(nil))
	k.StreamPolicy = base64.StdEncoding.EncodeToString(seedPolicy(k.Path, exp))
	return k, nil
}

// MintSeed mints a seed-format key with the ring's seed key.
func (r *Ring) MintSeed(g SeedGrant) (SeedKey, error) {
	k := r.seedKey()
	if k == nil {
		return SeedKey{}, errors.New("streamkey: the ring has no seed key (mark the original deployment's secret with Seed)")
	}
	return MintSeed(k.Secret, g)
}

// seedMessage appends the text the seed format signs.
func seedMessage(dst []byte, clientIP, path, hostname string, expires int64, userAgent string) []byte {
	dst = append(dst, `{"client_ip":`...)
	dst = appendJSString(dst, clientIP)
	dst = append(dst, `,"path":`...)
	dst = appendJSString(dst, path)
	dst = append(dst, `,"hostname":`...)
	dst = appendJSString(dst, hostname)
	dst = append(dst, `,"expires":`...)
	dst = strconv.AppendInt(dst, expires, 10)
	dst = append(dst, `,"user_agent":`...)
	dst = appendJSString(dst, userAgent)
	return append(dst, '}')
}

func seedPolicy(path string, exp int64) []byte {
	b := append([]byte(`{"url":`), nil...)
	b = appendJSString(b, path)
	b = append(b, `,"expires":`...)
	b = strconv.AppendInt(b, exp, 10)
	return append(b, '}')
}

// appendJSString appends s quoted as JavaScript's JSON.stringify quotes a
// string. Bytes that are not UTF-8 become U+FFFD, as they would in a
// JavaScript string decoded from them.
func appendJSString(dst []byte, s string) []byte {
	const hexd = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, n := utf8.DecodeRuneInString(s[i:])
			dst = utf8.AppendRune(dst, r) // RuneError for invalid bytes
			i += n
			continue
		}
		switch c {
		case '"':
			dst = append(dst, '\\', '"')
		case '\\':
			dst = append(dst, '\\', '\\')
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\f':
			dst = append(dst, '\\', 'f')
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			if c < 0x20 {
				dst = append(dst, '\\', 'u', '0', '0', hexd[c>>4], hexd[c&15])
			} else {
				dst = append(dst, c)
			}
		}
		i++
	}
	return append(dst, '"')
}

// Seed-format size limits: the key is always 44 characters; a policy
// larger than this was not minted by the original issuer.
const (
	seedKeyLen       = 44
	maxSeedPolicyLen = 2048
)

// VerifySeed checks a seed-format key and policy against the request with
// the ring's seed key. Unlike the original function it checks the request
// path against the signed pattern (the original checked the pattern
// against itself, so it passed every path), refuses what it cannot parse
// instead of throwing, and enforces the maximum lifetime. Because the
// seed format binds client IP, user agent and host only through its MAC, a
// mismatch of any of them is reported as bad_mac.
func (v *Verifier) VerifySeed(streamKey, streamPolicy string, req Request) Result {
	res := Result{Reason: Malformed}
	if !validSeedKey(streamKey) {
		return res
	}
	path, exp, ok := parseSeedPolicy(streamPolicy)
	if !ok {
		return res
	}
	k := v.Ring.seedKey()
	if k == nil {
		res.Reason = UnknownKey
		return res
	}
	res.KeyID = k.ID

	ip := req.ClientIP
	if a, err := parseClientIP(ip); err == nil {
		ip = a.String()
	}
	m := k.get()
	defer k.put(m)
	m.buf = seedMessage(m.buf[:0], ip, path, normalizeHost(req.Host), exp, req.UserAgent)
	var want [seedKeyLen]byte
	m.write(m.buf)
	base64.StdEncoding.Encode(want[:], m.finish())
	if !hmac.Equal(want[:], bytesOf(streamKey)) {
		res.Reason = BadMAC
		return res
	}
	res.Expires = exp

	t := req.Now
	if t.IsZero() {
		t = time.Now()
	}
	now := t.Unix()
	_, bound, err := TimeLimits(v.MaxLifetime, v.Leeway)
	switch {
	case now > exp: // the original's rule: valid through the expiry second
		res.Reason = Expired
	case err != nil || exp-now > bound:
		res.Reason = Lifetime
	default:
		pat, err := CanonicalPattern(path)
		if err != nil || !SafePath(req.Path) || !MatchPath(pat, req.Path) {
			res.Reason = Path
		} else {
			res.Reason = OK
		}
	}
	return res
}

func validSeedKey(k string) bool {
	if len(k) != seedKeyLen || k[seedKeyLen-1] != '=' {
		return false
	}
	for i := 0; i < seedKeyLen-1; i++ {
		if !isStdB64(k[i]) {
			return false
		}
	}
	return true
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

func isStdB64(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '+' || c == '/'
}

// parseSeedPolicy decodes a stream policy: standard base64 (padding
// optional) of a JSON object whose "url" is a printable-ASCII string and
// whose "expires" is a positive integer. Other members are ignored, and a
// repeated member takes its last value, as in JavaScript.
func parseSeedPolicy(p string) (url string, exp int64, ok bool) {
	if len(p) == 0 || len(p) > maxSeedPolicyLen {
		return "", 0, false
	}
	body := strings.TrimRight(p, "=")
	if len(p)-len(body) > 2 || len(body)%4 == 1 {
		return "", 0, false
	}
	for i := 0; i < len(body); i++ {
		if !isStdB64(body[i]) {
			return "", 0, false
		}
	}
	raw, err := base64.RawStdEncoding.DecodeString(body)
	if err != nil {
		return "", 0, false
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) != nil || obj == nil {
		return "", 0, false
	}
	if json.Unmarshal(obj["url"], &url) != nil || url == "" || len(url) > maxPatternLen || !printableASCII(url) {
		return "", 0, false
	}
	var f float64
	e := obj["expires"]
	if len(e) == 0 || (e[0] != '-' && (e[0] < '0' || e[0] > '9')) || json.Unmarshal(e, &f) != nil {
		return "", 0, false
	}
	if f != math.Trunc(f) || f < 1 || f > maxTime {
		return "", 0, false
	}
	return url, int64(f), true
}
