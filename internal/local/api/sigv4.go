package api

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// sigv4Algorithm is the only signing algorithm API Gateway and function
// URLs take.
const sigv4Algorithm = "AWS4-HMAC-SHA256"

// sigv4MaxSkew is how far X-Amz-Date may be from now, as AWS allows.
const sigv4MaxSkew = 15 * time.Minute

// sigv4Code is why a request's signature was refused; API Gateway words
// each differently.
type sigv4Code int

const (
	sigMissing    sigv4Code = iota // no Authorization header nor presigned query
	sigMalformed                   // an Authorization (or presigned query) it cannot read
	sigScope                       // a credential scope of another service or region
	sigUnknownKey                  // an access key id it does not know
	sigExpired                     // X-Amz-Date too far from now, or a presigned URL past its expiry
	sigMismatch                    // the signature is not the one its secret makes
)

// errSignature is a request whose SigV4 signature does not verify:
// message is AWS's answer (never the signature), reason the log's.
type errSignature struct {
	code    sigv4Code
	message string
	reason  string
}

func (e *errSignature) Error() string { return e.reason }

func badSignature(code sigv4Code, message, format string, args ...any) error {
	return &errSignature{code: code, message: message, reason: fmt.Sprintf(format, args...)}
}

// AWS's words for each refusal.
const (
	msgMissingToken = "Missing Authentication Token"
	msgInvalidToken = "The security token included in the request is invalid."
	msgMismatch     = "The request signature we calculated does not match the signature you provided. " +
		"Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)

// sigv4Verifier checks SigV4 signatures, per AWS's specification, for one
// service and region.
type sigv4Verifier struct {
	service, region string
	// secrets maps an access key id to its secret access key.
	secrets map[string]string
}

// sigv4Request is what a request says of its signature, from its
// Authorization header or its presigned query.
type sigv4Request struct {
	accessKey, date, scope string // the scope: <yyyymmdd>/<region>/<service>/aws4_request
	signedHeaders          []string
	signature              string
	expires                time.Duration // presigned only: X-Amz-Expires
	presigned              bool
}

// verify checks r's signature over body at now and returns the access
// key id that signed it.
func (v *sigv4Verifier) verify(r *http.Request, body []byte, now time.Time) (string, error) {
	sr, err := readSignature(r)
	if err != nil {
		return "", err
	}
	day, region, service, term := scopeParts(sr.scope)
	switch {
	case term != "aws4_request" || day != sr.date[:min(8, len(sr.date))]:
		return "", badSignature(sigMalformed, "Credential should be scoped with a valid terminator: 'aws4_request' and the date of X-Amz-Date.",
			"the credential scope %q is not <date of X-Amz-Date>/<region>/<service>/aws4_request", sr.scope)
	case service != v.service:
		return "", badSignature(sigScope, fmt.Sprintf("Credential should be scoped to correct service: '%s'. ", v.service),
			"the credential scope names service %q; requests here are signed for %q", service, v.service)
	case region != v.region:
		return "", badSignature(sigScope, fmt.Sprintf("Credential should be scoped to a valid region, not '%s'. ", region),
			"the credential scope names region %q; the local API's region is %q", region, v.region)
	case !containsFold(sr.signedHeaders, "host"):
		return "", badSignature(sigMalformed, "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
			"host is not among the signed headers (%s)", strings.Join(sr.signedHeaders, ";"))
	}
	secret, ok := v.secrets[sr.accessKey]
	if !ok {
		return "", badSignature(sigUnknownKey, msgInvalidToken,
			"access key id %q is none the local API accepts (Options.Credentials: the local stack's test/test, or this process's AWS_ACCESS_KEY_ID)", sr.accessKey)
	}
	signed, err := time.Parse("20060102T150405Z", sr.date)
	if err != nil {
		return "", badSignature(sigMalformed, "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"", "X-Amz-Date %q: %v", sr.date, err)
	}
	const stamp = "20060102T150405Z"
	switch {
	case signed.Before(now.Add(-sigv4MaxSkew)) && !sr.presigned:
		return "", badSignature(sigExpired, fmt.Sprintf("Signature expired: %s is now earlier than %s (%s - 15 min.)",
			sr.date, now.Add(-sigv4MaxSkew).UTC().Format(stamp), now.UTC().Format(stamp)), "signed at %s, more than 15 minutes ago", sr.date)
	case signed.After(now.Add(sigv4MaxSkew)):
		return "", badSignature(sigExpired, fmt.Sprintf("Signature not yet current: %s is still later than %s (%s + 15 min.)",
			sr.date, now.Add(sigv4MaxSkew).UTC().Format(stamp), now.UTC().Format(stamp)), "signed at %s, more than 15 minutes ahead", sr.date)
	case sr.presigned && now.After(signed.Add(sr.expires)):
		return "", badSignature(sigExpired, fmt.Sprintf("Signature expired: %s is now earlier than %s", signed.Add(sr.expires).UTC().Format(stamp), now.UTC().Format(stamp)),
			"the presigned URL expired at %s", signed.Add(sr.expires).UTC().Format(stamp))
	}
	want := hmacSHA256(signingKey(secret, day, region, service), stringToSign(sr, canonicalRequest(r, body, sr)))
	got, err := hex.DecodeString(sr.signature)
	if err != nil || subtle.ConstantTimeCompare(got, want) != 1 {
		return "", badSignature(sigMismatch, msgMismatch, "the signature of access key id %q does not match the request (method, path, query, signed headers or body changed, or another secret)", sr.accessKey)
	}
	return sr.accessKey, nil
}

// readSignature reads the Authorization header, or else a presigned
// query's X-Amz-* parameters.
func readSignature(r *http.Request) (*sigv4Request, error) {
	auth := r.Header.Get("Authorization")
	q := r.URL.Query()
	if auth == "" && q.Get("X-Amz-Algorithm") == "" {
		return nil, badSignature(sigMissing, msgMissingToken, "no Authorization header (and no presigned X-Amz-Signature query): the request is not signed with SigV4")
	}
	sr := &sigv4Request{}
	var credential, signedHeaders string
	if auth != "" {
		algorithm, params, _ := strings.Cut(auth, " ")
		if algorithm != sigv4Algorithm {
			return nil, badSignature(sigMalformed, "Authorization header requires the "+sigv4Algorithm+" algorithm.", "the Authorization header's algorithm is not %s", sigv4Algorithm)
		}
		for p := range strings.SplitSeq(params, ",") {
			k, val, _ := strings.Cut(strings.TrimSpace(p), "=")
			switch k {
			case "Credential":
				credential = val
			case "SignedHeaders":
				signedHeaders = val
			case "Signature":
				sr.signature = val
			}
		}
		sr.date = r.Header.Get("X-Amz-Date")
	} else {
		if q.Get("X-Amz-Algorithm") != sigv4Algorithm {
			return nil, badSignature(sigMalformed, "X-Amz-Algorithm only supports \""+sigv4Algorithm+"\"", "the presigned query's X-Amz-Algorithm is not %s", sigv4Algorithm)
		}
		credential, signedHeaders, sr.signature, sr.date = q.Get("X-Amz-Credential"), q.Get("X-Amz-SignedHeaders"), q.Get("X-Amz-Signature"), q.Get("X-Amz-Date")
		secs, err := strconv.Atoi(q.Get("X-Amz-Expires"))
		if err != nil || secs <= 0 || secs > 7*24*3600 {
			return nil, badSignature(sigMalformed, "X-Amz-Expires must be a number of seconds from 1 to 604800.", "the presigned query's X-Amz-Expires %q is not 1 to 604800 seconds", q.Get("X-Amz-Expires"))
		}
		sr.expires, sr.presigned = time.Duration(secs)*time.Second, true
	}
	sr.accessKey, sr.scope, _ = strings.Cut(credential, "/")
	if sr.accessKey == "" || sr.scope == "" || signedHeaders == "" || sr.signature == "" || sr.date == "" {
		return nil, badSignature(sigMalformed, "Authorization requires 'Credential', 'SignedHeaders' and 'Signature' parameters and an 'X-Amz-Date'.",
			"the signature lacks its Credential, SignedHeaders, Signature or X-Amz-Date")
	}
	sr.signedHeaders = strings.Split(signedHeaders, ";")
	return sr, nil
}

func scopeParts(scope string) (day, region, service, term string) {
	parts := strings.Split(scope, "/")
	if len(parts) != 4 {
		return "", "", "", ""
	}
	return parts[0], parts[1], parts[2], parts[3]
}

func containsFold(names []string, name string) bool {
	for _, n := range names {
		if strings.EqualFold(n, name) {
			return true
		}
	}
	return false
}

// canonicalRequest is SigV4's canonical form of r as signed by sr.
func canonicalRequest(r *http.Request, body []byte, sr *sigv4Request) string {
	var b strings.Builder
	b.WriteString(r.Method + "\n")
	b.WriteString(canonicalURI(r.URL.EscapedPath()) + "\n")
	b.WriteString(canonicalQuery(r.URL.RawQuery, sr.presigned) + "\n")
	for _, name := range sr.signedHeaders {
		b.WriteString(strings.ToLower(name) + ":" + headerValue(r, name) + "\n")
	}
	b.WriteString("\n" + strings.ToLower(strings.Join(sr.signedHeaders, ";")) + "\n")
	payload := r.Header.Get("X-Amz-Content-Sha256")
	if payload == "" {
		sum := sha256.Sum256(body)
		payload = hex.EncodeToString(sum[:])
	}
	b.WriteString(payload)
	return b.String()
}

// canonicalURI encodes the path as sent once more, as SigV4 does for
// every service but S3.
func canonicalURI(escaped string) string {
	if escaped == "" {
		return "/"
	}
	return uriEncode(escaped, false)
}

// canonicalQuery is the query's parameters, each name and value
// URI-encoded, sorted by name then value (without X-Amz-Signature when
// presigned).
func canonicalQuery(raw string, presigned bool) string {
	type pair struct{ k, v string }
	var pairs []pair
	for p := range strings.SplitSeq(raw, "&") {
		if p == "" {
			continue
		}
		k, v, _ := strings.Cut(p, "=")
		if dk, err := url.QueryUnescape(k); err == nil {
			k = dk
		}
		if dv, err := url.QueryUnescape(v); err == nil {
			v = dv
		}
		if presigned && k == "X-Amz-Signature" {
			continue
		}
		pairs = append(pairs, pair{uriEncode(k, true), uriEncode(v, true)})
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].k != pairs[j].k {
			return pairs[i].k < pairs[j].k
		}
		return pairs[i].v < pairs[j].v
	})
	parts := make([]string, len(pairs))
	for i, p := range pairs {
		parts[i] = p.k + "=" + p.v
	}
	return strings.Join(parts, "&")
}

// uriEncode percent-encodes every byte but the unreserved ones
// (A-Z a-z 0-9 - . _ ~), and '/' unless slash.
func uriEncode(s string, slash bool) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '.', c == '_', c == '~', c == '/' && !slash:
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// headerValue is a signed header's canonical value: its values trimmed,
// inner runs of spaces made one, joined with commas; host is r.Host.
func headerValue(r *http.Request, name string) string {
	var vs []string
	switch name = strings.ToLower(name); name {
	case "host":
		vs = []string{r.Host}
	default:
		vs = r.Header.Values(name)
		if len(vs) == 0 && name == "content-length" && r.ContentLength >= 0 {
			vs = []string{strconv.FormatInt(r.ContentLength, 10)}
		}
	}
	out := make([]string, len(vs)) // not in place: vs may be r.Header's own
	for i, v := range vs {
		out[i] = strings.Join(strings.Fields(v), " ")
	}
	return strings.Join(out, ",")
}

func stringToSign(sr *sigv4Request, canonical string) []byte {
	sum := sha256.Sum256([]byte(canonical))
	return []byte(sigv4Algorithm + "\n" + sr.date + "\n" + sr.scope + "\n" + hex.EncodeToString(sum[:]))
}

func signingKey(secret, day, region, service string) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), []byte(day))
	k = hmacSHA256(k, []byte(region))
	k = hmacSHA256(k, []byte(service))
	return hmacSHA256(k, []byte("aws4_request"))
}

func hmacSHA256(key, data []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(data)
	return m.Sum(nil)
}
