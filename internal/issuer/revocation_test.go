package issuer

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/issuer/config"
	"github.com/securestream/terraform-provider-securestream/internal/jwttest"
	"github.com/securestream/terraform-provider-securestream/internal/streamkey"
)

const (
	adminScope = "securestream:admin"
	adminARN   = "arn:aws:iam::123456789012:role/securestream-admin"
)

// revocationEnv is jwtEnv with the store and both admin authorisations.
func revocationEnv(t testing.TB, f *FakeKVS) map[string]string {
	env := jwtEnv(t)
	delete(env, "SECURESTREAM_JWT_PATHS_CLAIM")
	env["SECURESTREAM_REVOCATION_KVS_ARN"] = f.ARN
	env["SECURESTREAM_ADMIN_SCOPE"] = adminScope
	env["SECURESTREAM_ADMIN_IAM"] = "true"
	env["SECURESTREAM_MAX_TTL"] = "2h"
	env["SECURESTREAM_EDGE_LEEWAY"] = "45s"
	return env
}

// storeIssuer is an issuer on the fake store; its waits between store
// writes are recorded in *waits, not slept.
func storeIssuer(t testing.TB, env map[string]string, f *FakeKVS) (*Issuer, *bytes.Buffer, *[]time.Duration) {
	is, logs := newIssuer(t, env)
	is.KVS = f.Client()
	var waits []time.Duration
	is.Sleep = func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }
	return is, logs, &waits
}

func jwtWith(claims map[string]any) string {
	c := map[string]any{"iss": "https://idp.example", "aud": "securestream", "exp": t0.Add(time.Hour).Unix(), "sub": "ops-1"}
	for k, v := range claims {
		c[k] = v
	}
	return jwttest.Sign(map[string]any{"alg": "HS256", "typ": "JWT"}, c, jwtKey)
}

var (
	adminJWT  = jwtWith(map[string]any{"scope": "openid " + adminScope})
	playerJWT = jwtWith(map[string]any{"scope": "openid profile", "sub": "player-1"})
)

// adminEvent is a request to an admin route: REST (path without the
// stage, the route's path parameter) or HTTP API (raw path with the
// stage), with a bearer token and, iam set, the IAM identity API Gateway
// verified.
func adminEvent(t testing.TB, flavour, method, sid, bearer string, iam bool) []byte {
	t.Helper()
	var ev map[string]any
	name := map[string]string{restV1: "rest_v1_post.json", httpV2: "http_v2_post.json"}[flavour]
	if err := json.Unmarshal(readEvent(t, name), &ev); err != nil {
		t.Fatal(err)
	}
	ev["body"], ev["isBase64Encoded"] = nil, false
	h := ev["headers"].(map[string]any)
	if bearer != "" {
		h["Authorization"] = "Bearer " + bearer
	}
	rc := ev["requestContext"].(map[string]any)
	if flavour == restV1 {
		ev["httpMethod"], ev["path"], ev["resource"] = method, "/revocations/"+sid, "/revocations/{session_id}"
		ev["multiValueHeaders"] = nil
		ev["pathParameters"] = map[string]string{"session_id": sid}
		if iam {
			id := rc["identity"].(map[string]any)
			id["accessKey"], id["userArn"], id["caller"] = "ASIAEXAMPLE", adminARN, "AROAEXAMPLE:ops"
		}
	} else {
		ev["rawPath"], ev["routeKey"] = "/prod/revocations/"+sid, method+" /revocations/{session_id}"
		rc["http"].(map[string]any)["method"] = method
		if iam {
			rc["authorizer"] = map[string]any{"iam": map[string]any{"accessKey": "ASIAEXAMPLE", "accountId": "123456789012", "userArn": adminARN}}
		}
	}
	b, _ := json.Marshal(ev)
	return b
}

// The routes are off without a store, or without a way to authorise an
// admin: 404, and never a key.
func TestAdminRoutesOff(t *testing.T) {
	f := StartFakeKVS(t)
	for name, change := range map[string]func(map[string]string){
		"no store": func(env map[string]string) {
			delete(env, "SECURESTREAM_REVOCATION_KVS_ARN")
			delete(env, "SECURESTREAM_ADMIN_SCOPE")
			delete(env, "SECURESTREAM_ADMIN_IAM")
		},
		"no admin auth": func(env map[string]string) {
			delete(env, "SECURESTREAM_ADMIN_SCOPE")
			delete(env, "SECURESTREAM_ADMIN_IAM")
		},
	} {
		t.Run(name, func(t *testing.T) {
			env := revocationEnv(t, f)
			change(env)
			is, _, _ := storeIssuer(t, env, f)
			status, headers, body := call(t, is, adminEvent(t, restV1, "POST", "abc", adminJWT, true))
			if status != 404 || body["error"] != "not_found" || headers["cache-control"] != "no-store" || body["token"] != nil {
				t.Errorf("%d %v %v", status, headers, body)
			}
		})
	}
	if f.CallCount("UpdateKeys") != 0 {
		t.Error("the store was written")
	}
}

// Admins are a JWT with the admin scope, verified as players' are, or an
// IAM identity with SECURESTREAM_ADMIN_IAM; a player's JWT is 403.
func TestAdminAuth(t *testing.T) {
	f := StartFakeKVS(t)
	expiredAdmin := jwtWith(map[string]any{"scope": adminScope, "exp": t0.Add(-time.Hour).Unix()})
	forgedAdmin := jwttest.Sign(map[string]any{"alg": "HS256", "typ": "JWT"}, map[string]any{"iss": "https://idp.example", "aud": "securestream",
		"exp": t0.Add(time.Hour).Unix(), "scope": adminScope}, []byte("not-the-key-but-32-bytes-long-too!!"))
	for _, tc := range []struct {
		name    string
		iamOn   bool
		flavour string
		bearer  string
		iam     bool
		status  int
		reason  string
	}{
		{"admin scope", false, restV1, adminJWT, false, 200, "revoked"},
		{"admin scp array", false, httpV2, jwtWith(map[string]any{"scp": []string{"read", adminScope}}), false, 200, "revoked"},
		{"admin scp string", false, restV1, jwtWith(map[string]any{"scp": adminScope}), false, 200, "revoked"},
		{"player JWT", false, restV1, playerJWT, false, 403, "forbidden"},
		{"scope as a substring", false, restV1, jwtWith(map[string]any{"scope": adminScope + "-not"}), false, 403, "forbidden"},
		{"no token", false, restV1, "", false, 401, "unauthenticated"},
		{"expired admin", false, restV1, expiredAdmin, false, 401, "unauthenticated"},
		{"forged admin", false, restV1, forgedAdmin, false, 401, "unauthenticated"},
		{"IAM identity, IAM off", false, restV1, "", true, 401, "unauthenticated"},
		{"IAM identity REST", true, restV1, "", true, 200, "revoked"},
		{"IAM identity HTTP API", true, httpV2, "", true, 200, "revoked"},
		{"IAM on, player JWT", true, restV1, playerJWT, false, 403, "forbidden"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := revocationEnv(t, f)
			if !tc.iamOn {
				env["SECURESTREAM_ADMIN_IAM"] = "false"
			}
			is, logs, _ := storeIssuer(t, env, f)
			status, headers, body := call(t, is, adminEvent(t, tc.flavour, "POST", "sess-1", tc.bearer, tc.iam))
			if status != tc.status || (status != 200 && body["error"] != tc.reason) || headers["cache-control"] != "no-store" {
				t.Fatalf("%d %v, want %d %s", status, body, tc.status, tc.reason)
			}
			if strings.Contains(logs.String(), "eyJ") {
				t.Errorf("the log holds a token: %s", logs)
			}
			if status == 200 {
				want := `"admin":"jwt:ops-1"`
				if tc.iam {
					want = `"admin":"iam:` + adminARN + `"`
				}
				if !strings.Contains(logs.String(), want) || !strings.Contains(logs.String(), `"outcome":"revoked"`) {
					t.Errorf("the log does not say who revoked: %s", logs)
				}
			}
		})
	}
	// Without a scope, only IAM: a JWT is refused whatever its scope.
	env := revocationEnv(t, f)
	delete(env, "SECURESTREAM_ADMIN_SCOPE")
	is, _, _ := storeIssuer(t, env, f)
	if status, _, body := call(t, is, adminEvent(t, restV1, "POST", "sess-1", adminJWT, false)); status != 403 || !strings.Contains(str(body["message"]), "AWS_IAM") {
		t.Errorf("a JWT where only IAM is configured: %d %v", status, body)
	}
}

// With SECURESTREAM_AUTH=authorizer, the admin scope is looked for in
// what API Gateway's authorizer verified.
func TestAdminAuthorizerMode(t *testing.T) {
	f := StartFakeKVS(t)
	env := revocationEnv(t, f)
	for _, k := range []string{"SECURESTREAM_JWT_ISSUER", "SECURESTREAM_JWT_AUDIENCE", "SECURESTREAM_JWT_HS256_KEY"} {
		delete(env, k)
	}
	env["SECURESTREAM_AUTH"] = "authorizer"
	env["SECURESTREAM_ADMIN_IAM"] = "false"
	is, logs, _ := storeIssuer(t, env, f)
	with := func(flavour string, authorizer map[string]any) []byte {
		var ev map[string]any
		_ = json.Unmarshal(adminEvent(t, flavour, "POST", "s1", "", false), &ev)
		if authorizer != nil {
			ev["requestContext"].(map[string]any)["authorizer"] = authorizer
		}
		b, _ := json.Marshal(ev)
		return b
	}
	for _, tc := range []struct {
		name       string
		flavour    string
		authorizer map[string]any
		status     int
	}{
		{"HTTP API JWT authorizer scopes", httpV2, map[string]any{"jwt": map[string]any{"claims": map[string]any{"sub": "ops-2"}, "scopes": []any{"openid", adminScope}}}, 200},
		{"HTTP API JWT authorizer scope claim", httpV2, map[string]any{"jwt": map[string]any{"claims": map[string]any{"sub": "ops-2", "scope": "openid " + adminScope}, "scopes": nil}}, 200},
		{"REST Cognito authorizer", restV1, map[string]any{"claims": map[string]any{"sub": "ops-2", "scope": adminScope}}, 200},
		{"REST Lambda authorizer", restV1, map[string]any{"principalId": "ops-2", "scope": adminScope}, 200},
		{"HTTP API Lambda authorizer", httpV2, map[string]any{"lambda": map[string]any{"sub": "ops-2", "scp": []any{adminScope}}}, 200},
		{"a player's authorizer", httpV2, map[string]any{"jwt": map[string]any{"claims": map[string]any{"sub": "player-1", "scope": "openid"}, "scopes": []any{"openid"}}}, 403},
		{"IAM with IAM off", httpV2, map[string]any{"iam": map[string]any{"userArn": adminARN, "accessKey": "ASIAEXAMPLE"}}, 403},
		{"no authorizer", restV1, nil, 401},
	} {
		logs.Reset()
		status, _, body := call(t, is, with(tc.flavour, tc.authorizer))
		if status != tc.status {
			t.Errorf("%s: %d %v, want %d", tc.name, status, body, tc.status)
		}
		if status == 200 && !strings.Contains(logs.String(), `"admin":"authorizer:ops-2"`) {
			t.Errorf("%s: the log does not say who: %s", tc.name, logs)
		}
	}
}

// POST writes r:<sid> with the expiry now + SECURESTREAM_MAX_TTL + the
// edge's leeway, in one UpdateKeys under the ETag the data plane's
// Describe gave, signed with SigV4A for every region, at the endpoint as
// configured (no account id in front of its host).
func TestRevokeWritesEntry(t *testing.T) {
	f := StartFakeKVS(t)
	is, _, _ := storeIssuer(t, revocationEnv(t, f), f)
	status, headers, body := call(t, is, adminEvent(t, httpV2, "POST", "5lbddw8wAhryuSlg", adminJWT, false))
	if status != 200 || headers["content-type"] != "application/json" || headers["cache-control"] != "no-store" {
		t.Fatalf("%d %v %v", status, headers, body)
	}
	want := t0.Add(2*time.Hour + 45*time.Second).Unix()
	if v, _ := f.Get("r:5lbddw8wAhryuSlg"); v != strconv.FormatInt(want, 10) {
		t.Errorf("entry value %q, want %d", v, want)
	}
	if body["session_id"] != "5lbddw8wAhryuSlg" || body["revoked"] != true || int64(body["expires"].(float64)) != want ||
		body["expires_at"] != time.Unix(want, 0).UTC().Format(time.RFC3339) || body["pruned"].(float64) != 0 {
		t.Errorf("body %v", body)
	}
	calls, sigs, hosts := f.Seen()
	if got := strings.Join(calls, ","); got != "DescribeKeyValueStore,ListKeys,UpdateKeys" {
		t.Errorf("calls %s", got)
	}
	for i, sig := range sigs {
		if sig != "AWS4-ECDSA-P256-SHA256 *" || strings.HasPrefix(hosts[i], "123456789012.") {
			t.Errorf("call %d signed %q to host %q", i, sig, hosts[i])
		}
	}
	// Again: the entry is rewritten (an idempotent revoke), with a later
	// expiry as time has passed.
	is.Now = func() time.Time { return t0.Add(90 * time.Second) }
	if status, _, _ := call(t, is, adminEvent(t, restV1, "POST", "5lbddw8wAhryuSlg", adminJWT, false)); status != 200 {
		t.Fatal(status)
	}
	if v, _ := f.Get("r:5lbddw8wAhryuSlg"); v != strconv.FormatInt(want+90, 10) || f.Len() != 1 {
		t.Errorf("entry value %q after a second revoke (%d entries)", v, f.Len())
	}
	// A session whose earlier entry has lapsed is revoked again: its key
	// is put, not also pruned (UpdateKeys refuses a key twice).
	f.Put("r:lapsed", strconv.FormatInt(t0.Unix()-10, 10))
	if status, _, body := call(t, is, adminEvent(t, restV1, "POST", "lapsed", adminJWT, false)); status != 200 || body["pruned"].(float64) != 0 {
		t.Fatalf("%d %v", status, body)
	}
	if v, _ := f.Get("r:lapsed"); v != strconv.FormatInt(want+90, 10) {
		t.Errorf("the lapsed entry is %q", v)
	}
	if u := f.Updates()[len(f.Updates())-1]; len(u.Deletes) != 0 {
		t.Errorf("deleted %v", u.Deletes)
	}
}

// A stale ETag (another writer came first) is retried with a doubling
// backoff, a bounded number of times; then 503 revocation_busy.
func TestRevokeRetriesStaleETag(t *testing.T) {
	f := StartFakeKVS(t)
	is, logs, waits := storeIssuer(t, revocationEnv(t, f), f)
	f.SetConflicts(2)
	status, _, body := call(t, is, adminEvent(t, restV1, "POST", "s1", adminJWT, false))
	if status != 200 || f.CallCount("UpdateKeys") != 3 || f.CallCount("DescribeKeyValueStore") != 3 {
		t.Fatalf("%d %v; %d UpdateKeys", status, body, f.CallCount("UpdateKeys"))
	}
	if _, ok := f.Get("r:s1"); !ok {
		t.Error("not written")
	}
	if len(*waits) != 2 || (*waits)[0] < firstWriteBackoff/2 || (*waits)[0] > firstWriteBackoff || (*waits)[1] < firstWriteBackoff || (*waits)[1] > 2*firstWriteBackoff {
		t.Errorf("waits %v", *waits)
	}
	if !strings.Contains(logs.String(), "etag_retried") {
		t.Errorf("log %s", logs)
	}

	f.SetConflicts(100)
	*waits = nil
	before := f.CallCount("UpdateKeys")
	status, headers, body := call(t, is, adminEvent(t, restV1, "POST", "s2", adminJWT, false))
	if status != 503 || body["error"] != "revocation_busy" || headers["retry-after"] == "" || f.CallCount("UpdateKeys")-before != writeAttempts ||
		len(*waits) != writeAttempts-1 || !strings.Contains(str(body["message"]), "cloudfront-keyvaluestore:UpdateKeys") {
		t.Errorf("%d %v %v; %d UpdateKeys, waits %v", status, headers, body, f.CallCount("UpdateKeys")-before, *waits)
	}
	if _, ok := f.Get("r:s2"); ok {
		t.Error("written despite the conflicts")
	}
}

// Each write deletes expired revocations it finds, reading ListKeys page
// by page, up to 50 keys a call (the put first); live entries, other
// keys and values that are not a revocation's stay.
func TestRevokePrunesExpired(t *testing.T) {
	f := StartFakeKVS(t)
	now := t0.Unix()
	// Live entries sort first, so the expired ones are found on later pages.
	for i := range 70 {
		f.Put(fmt.Sprintf("r:a-live-%03d", i), strconv.FormatInt(now+int64(i)+1, 10))
	}
	for i := range 120 {
		f.Put(fmt.Sprintf("r:z-old-%03d", i), strconv.FormatInt(now-int64(i), 10)) // now itself is expired: the edge revokes while now < exp
	}
	for i := range 5 {
		f.Put(fmt.Sprintf("config-%d", i), "1") // another writer's keys
	}
	f.Put("r:y-garbage", "soon")
	is, _, _ := storeIssuer(t, revocationEnv(t, f), f)
	total := 0
	for i, want := range []int{49, 49, 22, 0} {
		status, _, body := call(t, is, adminEvent(t, restV1, "POST", fmt.Sprintf("new-%d", i), adminJWT, false))
		if status != 200 || int(body["pruned"].(float64)) != want {
			t.Fatalf("write %d: %d %v, want %d pruned", i, status, body, want)
		}
		total += want
		if i == 0 && f.CallCount("ListKeys") != 3 {
			// 5 other keys, 70 live, 1 garbled: the 49th expired entry is on the third page.
			t.Errorf("the first write read %d pages, want 3", f.CallCount("ListKeys"))
		}
		u := f.Updates()[len(f.Updates())-1]
		if len(u.Puts) != 1 || len(u.Puts)+len(u.Deletes) > kvsBatch || len(u.Deletes) != want {
			t.Errorf("write %d: %d puts, %d deletes", i, len(u.Puts), len(u.Deletes))
		}
		for _, d := range u.Deletes {
			if !strings.HasPrefix(d.Key, "r:z-old-") {
				t.Errorf("deleted %s", d.Key)
			}
		}
	}
	if total != 120 || f.Len() != 70+5+1+4 {
		t.Errorf("pruned %d; %d entries left", total, f.Len())
	}
}

// DELETE lifts a revocation; lifting one that is not there is no error
// and writes nothing.
func TestUnrevoke(t *testing.T) {
	f := StartFakeKVS(t)
	f.Put("r:s1", strconv.FormatInt(t0.Add(time.Hour).Unix(), 10))
	is, logs, _ := storeIssuer(t, revocationEnv(t, f), f)
	status, headers, body := call(t, is, adminEvent(t, httpV2, "DELETE", "s1", adminJWT, false))
	if status != 200 || body["revoked"] != false || body["removed"] != true || headers["cache-control"] != "no-store" {
		t.Fatalf("%d %v", status, body)
	}
	if _, ok := f.Get("r:s1"); ok || !strings.Contains(logs.String(), `"outcome":"unrevoked"`) {
		t.Errorf("still revoked; log %s", logs)
	}
	n := f.CallCount("UpdateKeys")
	status, _, body = call(t, is, adminEvent(t, restV1, "DELETE", "s1", adminJWT, false))
	if status != 200 || body["removed"] != false || f.CallCount("UpdateKeys") != n {
		t.Errorf("again: %d %v; %d UpdateKeys", status, body, f.CallCount("UpdateKeys")-n)
	}
}

// A session id that no key could carry is 400; other methods 405.
func TestAdminBadRequests(t *testing.T) {
	f := StartFakeKVS(t)
	is, _, _ := storeIssuer(t, revocationEnv(t, f), f)
	for _, sid := range []string{"", "a b", "a%2Fb", strings.Repeat("x", 65), "ü", "a:b", "a*"} {
		for _, fl := range []string{restV1, httpV2} {
			status, headers, body := call(t, is, adminEvent(t, fl, "POST", sid, adminJWT, false))
			if status != 400 || body["error"] != "bad_session_id" || headers["cache-control"] != "no-store" {
				t.Errorf("%s %q: %d %v", fl, sid, status, body)
			}
		}
	}
	if status, _, _ := call(t, is, adminEvent(t, restV1, "POST", strings.Repeat("x", 64), adminJWT, false)); status != 200 {
		t.Errorf("64 characters: %d", status)
	}
	status, headers, _ := call(t, is, adminEvent(t, restV1, "GET", "s1", adminJWT, false))
	if status != 405 || headers["allow"] != "POST, DELETE, OPTIONS" {
		t.Errorf("GET: %d %v", status, headers)
	}
	// An encoded character of the HTTP API's raw path is decoded.
	if status, _, body := call(t, is, adminEvent(t, httpV2, "POST", "a%7Eb", adminJWT, false)); status != 200 || body["session_id"] != "a~b" {
		t.Errorf("an encoded ~: %d %v", status, body)
	}
	// A browser's preflight learns the admin routes' methods.
	status, headers, _ = call(t, is, adminEvent(t, httpV2, "OPTIONS", "s1", "", false)) // it has an allowed Origin
	if status != 204 || headers["access-control-allow-methods"] != "POST, DELETE, OPTIONS" {
		t.Errorf("preflight: %d %v", status, headers)
	}
	// A bad id is only answered to an admin.
	if status, _, _ := call(t, is, adminEvent(t, restV1, "POST", "a b", playerJWT, false)); status != 403 {
		t.Errorf("a player's bad id: %d", status)
	}
}

// A store that fails is an answer naming the call and the fix, not a
// throw.
func TestAdminStoreErrors(t *testing.T) {
	for _, tc := range []struct {
		op     string
		err    FakeError
		method string
		want   string
	}{
		{"DescribeKeyValueStore", FakeError{403, "AccessDeniedException"}, "POST", "cloudfront-keyvaluestore:DescribeKeyValueStore on " + FakeKVSARN},
		{"ListKeys", FakeError{500, "InternalServerException"}, "POST", "cloudfront-keyvaluestore:ListKeys"},
		{"UpdateKeys", FakeError{402, "ServiceQuotaExceededException"}, "POST", "the store is full"},
		{"GetKey", FakeError{403, "AccessDeniedException"}, "DELETE", "cloudfront-keyvaluestore:GetKey"},
	} {
		t.Run(tc.op, func(t *testing.T) {
			f := StartFakeKVS(t)
			f.SetFail(tc.op, tc.err)
			is, logs, _ := storeIssuer(t, revocationEnv(t, f), f)
			status, headers, body := call(t, is, adminEvent(t, restV1, tc.method, "s1", adminJWT, false))
			if status != 502 || body["error"] != "revocation_store" || !strings.Contains(str(body["message"]), tc.want) || headers["cache-control"] != "no-store" {
				t.Errorf("%d %v", status, body)
			}
			if tc.err.Type == "AccessDeniedException" && !strings.Contains(str(body["message"]), "give the issuer's role") {
				t.Errorf("no fix: %v", body["message"])
			}
			if !strings.Contains(logs.String(), `"store_error"`) || !strings.Contains(logs.String(), `"level":"error"`) {
				t.Errorf("log %s", logs)
			}
		})
	}
}

// A request continuing a revoked session (session_id) is refused, with
// one GetKey; a new session, or no store, costs no lookup; a store that
// cannot be read mints anyway (logged), or refuses with
// SECURESTREAM_REVOCATION_FAIL_CLOSED.
func TestMintRefusesRevokedSession(t *testing.T) {
	f := StartFakeKVS(t)
	f.Put("r:revoked-1", strconv.FormatInt(t0.Add(time.Minute).Unix(), 10))
	f.Put("r:lapsed-1", strconv.FormatInt(t0.Unix(), 10)) // expired: now is not before it
	mintEv := func(body string) []byte {
		return restEvent(t, "POST", body, map[string]string{"Authorization": "Bearer " + playerJWT})
	}
	const pb = `"playback_url":"https://media.example.com/vod/a/index.m3u8"`
	is, logs, _ := storeIssuer(t, revocationEnv(t, f), f)

	status, headers, body := call(t, is, mintEv(`{`+pb+`,"session_id":"revoked-1"}`))
	if status != 403 || body["error"] != "revoked" || headers["cache-control"] != "no-store" || body["token"] != nil || f.CallCount("GetKey") != 1 {
		t.Fatalf("a revoked session: %d %v (%d GetKey)", status, body, f.CallCount("GetKey"))
	}
	status, _, body = call(t, is, mintEv(`{`+pb+`,"session_id":"lapsed-1"}`))
	if status != 200 || body["session_id"] != "lapsed-1" {
		t.Fatalf("a lapsed revocation: %d %v", status, body)
	}
	res := verifier(t).Verify(str(body["token"]), streamkey.Request{Now: t0, Path: "/vod/a/x.ts", Host: "media.example.com", ClientIP: "198.51.100.23", UserAgent: "ExoPlayerLib/2.19.1"})
	if !res.OK() || res.SessionID != "lapsed-1" {
		t.Errorf("the key does not carry the session: %s %+v", res.Reason, res)
	}
	n := f.CallCount("GetKey")
	if status, _, body := call(t, is, mintEv(`{`+pb+`}`)); status != 200 || str(body["session_id"]) == "" || f.CallCount("GetKey") != n {
		t.Errorf("a new session: %d %v, %d GetKey", status, body, f.CallCount("GetKey")-n)
	}
	for _, bad := range []string{`"a b"`, `"` + strings.Repeat("x", 65) + `"`, `7`, `""`} {
		if status, _, body := call(t, is, mintEv(`{`+pb+`,"session_id":`+bad+`}`)); status != 400 || !strings.HasPrefix(str(body["message"]), "session_id") {
			t.Errorf("session_id %s: %d %v", bad, status, body)
		}
	}
	// GET takes it as a query parameter.
	get := readEvent(t, "function_url_get.json")
	get = bytes.Replace(get, []byte(`"queryStringParameters": {`), []byte(`"queryStringParameters": {"session_id": "revoked-1", `), 1)
	get = bytes.ReplaceAll(get, []byte("live"), []byte("vod"))
	if !bytes.Contains(get, []byte(`"session_id": "revoked-1"`)) {
		t.Fatal("the GET event has no session_id")
	}
	isNoAuth, _, _ := storeIssuer(t, func() map[string]string {
		env := baseEnv(t)
		env["SECURESTREAM_REVOCATION_KVS_ARN"] = f.ARN
		return env
	}(), f)
	if status, _, body := call(t, isNoAuth, get); status != 403 || body["error"] != "revoked" {
		t.Errorf("GET continuing a revoked session: %d %v", status, body)
	}
	if strings.Contains(logs.String(), "eyJ") || strings.Contains(logs.String(), "ss1.") {
		t.Errorf("the log holds a token: %s", logs)
	}

	// The store fails: open by default (logged), closed when configured.
	f.SetFail("GetKey", FakeError{500, "InternalServerException"})
	logs.Reset()
	if status, _, _ := call(t, is, mintEv(`{`+pb+`,"session_id":"revoked-1"}`)); status != 200 ||
		!strings.Contains(logs.String(), "revocation_unavailable") || !strings.Contains(logs.String(), "cloudfront-keyvaluestore:GetKey") {
		t.Errorf("fail open: %d; log %s", status, logs)
	}
	env := revocationEnv(t, f)
	env["SECURESTREAM_REVOCATION_FAIL_CLOSED"] = "true"
	closed, _, _ := storeIssuer(t, env, f)
	if status, headers, body := call(t, closed, mintEv(`{`+pb+`,"session_id":"revoked-1"}`)); status != 503 || body["error"] != "revocation_unavailable" || headers["retry-after"] == "" {
		t.Errorf("fail closed: %d %v", status, body)
	}
	f.SetFail("GetKey", FakeError{})
	f.Put("r:garbled", "tomorrow")
	if status, _, body := call(t, closed, mintEv(`{`+pb+`,"session_id":"garbled"}`)); status != 503 {
		t.Errorf("a value that is not a revocation's, fail closed: %d %v", status, body)
	}

	// No store: the session id is signed as given, without a lookup.
	getKeys := f.CallCount("GetKey")
	plain, _ := newIssuer(t, jwtEnv(t))
	if status, _, body := call(t, plain, restEvent(t, "POST", `{"playback_url":"https://media.example.com/vod/a/index.m3u8","session_id":"revoked-1"}`,
		map[string]string{"Authorization": "Bearer " + testJWTs()["good"]})); status != 200 || body["session_id"] != "revoked-1" || f.CallCount("GetKey") != getKeys {
		t.Errorf("without a store: %d %v", status, body)
	}
}

// The settings that turn revocation on are checked together.
func TestRevocationSettings(t *testing.T) {
	f := StartFakeKVS(t)
	for _, tc := range []struct {
		name   string
		change func(map[string]string)
		want   string
	}{
		{"scope without jwt", func(env map[string]string) { env["SECURESTREAM_AUTH"] = "none" }, "SECURESTREAM_ADMIN_SCOPE needs SECURESTREAM_AUTH=jwt"},
		{"admin without a store", func(env map[string]string) { delete(env, "SECURESTREAM_REVOCATION_KVS_ARN") }, "set SECURESTREAM_REVOCATION_KVS_ARN"},
		{"not a store ARN", func(env map[string]string) {
			env["SECURESTREAM_REVOCATION_KVS_ARN"] = "arn:aws:cloudfront::123456789012:distribution/E123"
		}, "is not a KeyValueStore ARN"},
		{"two scopes", func(env map[string]string) { env["SECURESTREAM_ADMIN_SCOPE"] = "a b" }, "must be one scope"},
		{"leeway out of range", func(env map[string]string) { env["SECURESTREAM_EDGE_LEEWAY"] = "2h" }, "SECURESTREAM_EDGE_LEEWAY"},
	} {
		env := revocationEnv(t, f)
		tc.change(env)
		if _, err := config.Load(func(k string) string { return env[k] }); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

// The value is decimal Unix seconds, rounded up; anything else is not a
// revocation's.
func TestRevocationValue(t *testing.T) {
	if v := revocationValue(time.Unix(1767225600, 1)); v != "1767225601" {
		t.Errorf("rounded: %s", v)
	}
	if v := revocationValue(time.Unix(1767225600, 0)); v != "1767225600" {
		t.Errorf("whole: %s", v)
	}
	for _, bad := range []string{"", "-1", "+1", "1.5", " 1", "1e9", "0x10", "99999999999999999999"} {
		if _, ok := parseRevocationValue(bad); ok {
			t.Errorf("%q parsed", bad)
		}
	}
}
