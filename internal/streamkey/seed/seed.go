package seed

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

	"github.com/securestream/terraform-provider-securestream/internal/streamkey"
)

// Grant is the input of the original issuer.
type Grant struct {
	// PlaybackURL is the manifest URL the player asked for.
	PlaybackURL string
	// ClientIP is signed verbatim (the original took X-Forwarded-For).
	ClientIP string
	// UserAgent is signed verbatim.
	UserAgent string
	// Expires is issued-at plus TTL (the original used 86400 s).
	Expires time.Time
}

// Key is a minted seed-format key.
type Key struct {
	StreamKey    string
	StreamPolicy string
	// Hostname and Path are what was signed; Path is the playback URL's path
	// with its last segment replaced by '*'.
	Hostname, Path string
	Expires        int64
}

// Limits of the format.
const (
	// keyLen is the length of every stream key: a padded standard base64
	// HMAC-SHA256.
	keyLen = 44
	// maxPolicyLen bounds a stream policy; a longer one was not minted by
	// the original issuer.
	maxPolicyLen = 2048
	// maxURLLen bounds the policy's url, as streamkey bounds a path
	// pattern.
	maxURLLen = 1024
	// maxExpires keeps expiry times below 10^12 seconds, as streamkey
	// does, far inside the range JavaScript's doubles hold exactly.
	maxExpires = 999_999_999_999
)

var errNoSeedKey = errors.New("seed: the ring has no seed key (mark the original deployment's secret with Seed)")

// Mint mints a seed-format key exactly as the original issuer did, signed
// with the ring's seed key.
func Mint(ring *streamkey.Ring, g Grant) (Key, error) {
	k, msg, err := prepare(g)
	_, mac, ok := ring.SeedMAC(msg)
	switch {
	case !ok:
		return Key{}, errNoSeedKey
	case err != nil:
		return Key{}, err
	}
	k.StreamKey = base64.StdEncoding.EncodeToString(mac[:])
	return k, nil
}

// MintWithSecret mints a seed-format key exactly as the original issuer
// did with secret, the original deployment's secret.
func MintWithSecret(secret []byte, g Grant) (Key, error) {
	k, msg, err := prepare(g)
	if err != nil {
		return Key{}, err
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write(msg)
	k.StreamKey = base64.StdEncoding.EncodeToString(mac.Sum(nil))
	return k, nil
}

// prepare returns the key for g but its StreamKey, and the message to sign.
func prepare(g Grant) (Key, []byte, error) {
	host, pathname, err := URLHostPath(g.PlaybackURL)
	if err != nil {
		return Key{}, nil, fmt.Errorf("seed: %w", err)
	}
	exp := g.Expires.Unix()
	if g.Expires.IsZero() || exp <= 0 || exp > maxExpires {
		return Key{}, nil, errors.New("seed: expiry is missing or out of range")
	}
	k := Key{Hostname: host, Path: signedPath(pathname), Expires: exp}
	k.StreamPolicy = base64.StdEncoding.EncodeToString(appendPolicy(nil, k.Path, exp))
	return k, appendMessage(nil, g.ClientIP, k.Path, host, exp, g.UserAgent), nil
}

// signedPath is the original issuer's path rule: pathname with the first
// occurrence of its last segment replaced by '*' (JavaScript's
// String.prototype.replace with a string pattern). For normal URLs this
// turns ".../index.m3u8" into ".../*"; its quirks are kept on purpose.
func signedPath(pathname string) string {
	last := pathname[strings.LastIndexByte(pathname, '/')+1:]
	return strings.Replace(pathname, last, "*", 1)
}

// appendMessage appends the text the seed format signs.
func appendMessage(dst []byte, clientIP, path, hostname string, expires int64, userAgent string) []byte {
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

// appendPolicy appends the JSON text of a stream policy.
func appendPolicy(dst []byte, path string, exp int64) []byte {
	dst = append(dst, `{"url":`...)
	dst = appendJSString(dst, path)
	dst = append(dst, `,"expires":`...)
	dst = strconv.AppendInt(dst, exp, 10)
	return append(dst, '}')
}

// shortEscapes are the control characters JSON.stringify writes as a
// backslash and a letter; it writes the others as \u00XX.
var shortEscapes = [0x20]byte{'\b': 'b', '\f': 'f', '\n': 'n', '\r': 'r', '\t': 't'}

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
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c < 0x20 && shortEscapes[c] != 0:
			dst = append(dst, '\\', shortEscapes[c])
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hexd[c>>4], hexd[c&15])
		default:
			dst = append(dst, c)
		}
		i++
	}
	return append(dst, '"')
}

// Verify checks a seed-format key and policy against the request with the
// seed key of v's ring, under v's time policy. Unlike the original
// function it checks the request path against the signed pattern (the
// original checked the pattern against itself, so it passed every path),
// refuses what it cannot parse instead of throwing, and enforces the
// maximum lifetime. Because the seed format binds client IP, user agent
// and host only through its MAC, a mismatch of any of them is reported as
// bad_mac. It checks the key and policy's shape (malformed), the seed key
// (unknown_kid), the MAC (bad_mac), then expired, lifetime and path.
func Verify(v *streamkey.Verifier, streamKey, streamPolicy string, req streamkey.Request) streamkey.Result {
	res := streamkey.Result{Reason: streamkey.Malformed}
	if !validKey(streamKey) {
		return res
	}
	path, exp, ok := parsePolicy(streamPolicy)
	if !ok {
		return res
	}

	ip := req.ClientIP
	if c, err := streamkey.CanonicalIP(ip); err == nil {
		ip = c
	}
	// The message is built on the stack; SeedMAC copies it.
	var buf [512]byte
	kid, mac, ok := v.Ring.SeedMAC(appendMessage(buf[:0], ip, path, streamkey.NormalizeHost(req.Host), exp, req.UserAgent))
	if !ok {
		res.Reason = streamkey.UnknownKey
		return res
	}
	res.KeyID = kid
	var want, got [keyLen]byte
	base64.StdEncoding.Encode(want[:], mac[:])
	copy(got[:], streamKey) // validKey checked its length
	if !hmac.Equal(want[:], got[:]) {
		res.Reason = streamkey.BadMAC
		return res
	}
	res.Expires = exp

	now := streamkey.CheckTime(req.Now)
	_, bound, err := streamkey.TimeLimits(v.MaxLifetime, v.Leeway)
	switch {
	case now > exp: // the original's rule: valid through the expiry second
		res.Reason = streamkey.Expired
	case err != nil || exp-now > bound:
		res.Reason = streamkey.Lifetime
	default:
		pat, err := streamkey.CanonicalPattern(path)
		if err != nil || !streamkey.SafePath(req.Path) || !streamkey.MatchPath(pat, req.Path) {
			res.Reason = streamkey.Path
		} else {
			res.Reason = streamkey.OK
		}
	}
	return res
}

func validKey(k string) bool {
	if len(k) != keyLen || k[keyLen-1] != '=' {
		return false
	}
	for i := 0; i < keyLen-1; i++ {
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

// parsePolicy decodes a stream policy: standard base64 (padding optional)
// of a JSON object whose "url" is a printable-ASCII string and whose
// "expires" is a positive integer. Other members are ignored, and a
// repeated member takes its last value, as in JavaScript.
func parsePolicy(p string) (url string, exp int64, ok bool) {
	if len(p) == 0 || len(p) > maxPolicyLen {
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
	if json.Unmarshal(obj["url"], &url) != nil || url == "" || len(url) > maxURLLen || !printableASCII(url) {
		return "", 0, false
	}
	var f float64
	e := obj["expires"]
	if len(e) == 0 || (e[0] != '-' && (e[0] < '0' || e[0] > '9')) || json.Unmarshal(e, &f) != nil {
		return "", 0, false
	}
	if f != math.Trunc(f) || f < 1 || f > maxExpires {
		return "", 0, false
	}
	return url, int64(f), true
}
