package cloudfront

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/securestream/terraform-provider-securestream/internal/local/faults"
)

// The cloudfront-keyvaluestore data plane (API version 2022-07-26,
// restJson1), which addresses a store by its ARN, in the path:
//
//	GET    /key-value-stores/{KvsARN}              DescribeKeyValueStore
//	GET    /key-value-stores/{KvsARN}/keys         ListKeys
//	POST   /key-value-stores/{KvsARN}/keys         UpdateKeys
//	GET    /key-value-stores/{KvsARN}/keys/{Key}   GetKey
//	PUT    /key-value-stores/{KvsARN}/keys/{Key}   PutKey
//	DELETE /key-value-stores/{KvsARN}/keys/{Key}   DeleteKey
//
// At AWS it answers at https://<account id>.cloudfront-kvs.global.api.aws;
// here on the control plane's listener (Server.Endpoint). aws-sdk-go-v2
// prepends the ARN's account id to a BaseEndpoint's host, so a client is
// pointed here with an EndpointResolverV2 (KVSEndpointResolver), not
// with BaseEndpoint.

// kvsDataPrefix is the data plane's path prefix.
const kvsDataPrefix = "/key-value-stores/"

// kvsCall is one data-plane request.
type kvsCall struct {
	w        http.ResponseWriter
	r        *http.Request
	op       string
	arn, key string
}

// kvsDataOp is one data-plane operation: its method and the number of
// its path's segments after kvsDataPrefix ({KvsARN}, keys, {Key}).
type kvsDataOp struct {
	method string
	segs   int
	op     string
	h      func(*Server, *kvsCall) error
}

var kvsDataOps = []kvsDataOp{
	{http.MethodGet, 1, "DescribeKeyValueStore", (*Server).kvsDescribe},
	{http.MethodGet, 2, "ListKeys", (*Server).kvsListKeys},
	{http.MethodPost, 2, "UpdateKeys", (*Server).kvsWrite},
	{http.MethodGet, 3, "GetKey", (*Server).kvsGetKey},
	{http.MethodPut, 3, "PutKey", (*Server).kvsWrite},
	{http.MethodDelete, 3, "DeleteKey", (*Server).kvsWrite},
}

// kvsDataRoute finds the operation of a data-plane request, from its
// method and escaped path.
func kvsDataRoute(method, escapedPath string) (rt kvsDataOp, arn, key string, ok bool) {
	segs := strings.Split(strings.TrimPrefix(escapedPath, kvsDataPrefix), "/")
	for i, seg := range segs {
		v, err := url.PathUnescape(seg)
		if err != nil {
			return kvsDataOp{}, "", "", false
		}
		segs[i] = v
	}
	arn = segs[0]
	if arn == "" || (len(segs) > 1 && segs[1] != "keys") {
		return kvsDataOp{}, "", "", false
	}
	for _, rt := range kvsDataOps {
		if rt.method != method || rt.segs != len(segs) {
			continue
		}
		if len(segs) == 3 {
			key = segs[2]
		}
		return rt, arn, key, true
	}
	return kvsDataOp{}, "", "", false
}

// The data plane's errors (the SDK's types: AccessDeniedException,
// ConflictException, InternalServerException, ResourceNotFoundException,
// ServiceQuotaExceededException, ValidationException), each with its
// modelled status.
var kvsStatuses = map[string]int{
	"AccessDeniedException":         http.StatusForbidden,
	"ConflictException":             http.StatusConflict,
	"InternalServerException":       http.StatusInternalServerError,
	"ResourceNotFoundException":     http.StatusNotFound,
	"ServiceQuotaExceededException": http.StatusPaymentRequired,
	"ValidationException":           http.StatusBadRequest,
}

func kvsError(code, format string, args ...any) *apiError {
	return &apiError{Status: kvsStatuses[code], Code: code, Message: fmt.Sprintf(format, args...)}
}

// writeKVSError answers e as restJson1 does: the code in X-Amzn-ErrorType,
// the message in the body.
func writeKVSError(w http.ResponseWriter, e *apiError) {
	status := e.Status
	if status == 0 {
		if status = kvsStatuses[e.Code]; status == 0 {
			status = faults.Status(e.Code)
		}
	}
	b, _ := json.Marshal(map[string]string{"Message": e.Message})
	w.Header().Set("X-Amzn-ErrorType", e.Code)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// kvsSigned reports whether the request carries an Authorization header
// of AWS's shape: SigV4A (AWS4-ECDSA-P256-SHA256), which the SDK uses for
// this service, or SigV4, its fallback. The signature is not verified
// (SigV4A's key is derived from the secret by a costly search; nothing
// here is secret from a local client): a request without one is refused,
// as at AWS.
func kvsSigned(r *http.Request) bool {
	alg, rest, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if alg != "AWS4-ECDSA-P256-SHA256" && alg != "AWS4-HMAC-SHA256" {
		return false
	}
	return strings.Contains(rest, "Credential=") && strings.Contains(rest, "SignedHeaders=") && strings.Contains(rest, "Signature=")
}

// serveKVSData serves the data plane.
func (s *Server) serveKVSData(w http.ResponseWriter, r *http.Request) {
	rt, arn, key, ok := kvsDataRoute(r.Method, r.URL.EscapedPath())
	if !ok {
		writeKVSError(w, kvsError("ValidationException", "%s %s is not an operation of the cloudfront-keyvaluestore API (2022-07-26)", r.Method, r.URL.Path))
		return
	}
	op := rt.op
	if !kvsSigned(r) {
		writeKVSError(w, kvsError("AccessDeniedException", "%s needs a request signed with SigV4A (Authorization: AWS4-ECDSA-P256-SHA256 Credential=..., SignedHeaders=..., Signature=...), as aws-sdk-go-v2's cloudfrontkeyvaluestore client signs it", op))
		return
	}
	s.serveCall(w, r, op, kvsErrors, func(w http.ResponseWriter) error {
		return rt.h(s, &kvsCall{w: w, r: r, op: op, arn: arn, key: key})
	})
}

// kvsErrors answers the data plane's errors. A fault's status is its own,
// else the data plane's for its code (kvsStatuses), else the fault
// engine's.
var kvsErrors = apiErrors{
	write: writeKVSError,
	fault: func(f *faults.Fault) *apiError { return &apiError{Status: f.Status, Code: f.Code, Message: f.Message} },
	tooLarge: func(string) *apiError {
		return kvsError("ValidationException", "the request body is over %d bytes", maxBody)
	},
	internal: func(err error) *apiError { return kvsError("InternalServerException", "%v", err) },
}

// kvsStore returns the store the call's ARN names. s.mu must be held.
func (s *Server) kvsStore(c *kvsCall) (*kvStore, error) {
	st := s.kvsByARN(c.arn)
	if st == nil {
		return nil, kvsError("ResourceNotFoundException", "The Key Value Store with ARN %s was not found in account %s.", c.arn, s.cfg.AccountID)
	}
	return st, nil
}

// replyJSON writes v as the JSON body, with etag.
func (c *kvsCall) replyJSON(etag string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	h := c.w.Header()
	if etag != "" {
		h.Set("ETag", etag)
	}
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	c.w.WriteHeader(http.StatusOK)
	_, _ = c.w.Write(b)
	return nil
}

// readKVS runs read, under s.mu held for reading, on the store the
// call's ARN names.
func (s *Server) readKVS(c *kvsCall, read func(*kvStore) error) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	st, err := s.kvsStore(c)
	if err != nil {
		return err
	}
	return read(st)
}

func (s *Server) kvsDescribe(c *kvsCall) error {
	return s.readKVS(c, func(st *kvStore) error {
		return c.replyJSON(st.DataETag, map[string]any{
			"KvsARN": st.ARN, "ItemCount": len(st.Data.Items), "TotalSizeInBytes": st.Data.size(), "Status": kvsStatusReady,
			// restJson1 timestamps are epoch seconds.
			"Created": float64(st.Created.UnixMilli()) / 1000, "LastModified": float64(st.Data.Since.UnixMilli()) / 1000,
		})
	})
}

func (s *Server) kvsGetKey(c *kvsCall) error {
	return s.readKVS(c, func(st *kvStore) error {
		v, ok := st.Data.Items[c.key]
		if !ok {
			return kvsError("ResourceNotFoundException", "The key %s was not found in the Key Value Store %s.", c.key, st.ARN)
		}
		return c.replyJSON("", map[string]any{"Key": c.key, "Value": v, "ItemCount": len(st.Data.Items), "TotalSizeInBytes": st.Data.size()})
	})
}

func (s *Server) kvsListKeys(c *kvsCall) error {
	q := c.r.URL.Query()
	limit := 10
	if v := q.Get("MaxResults"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 50 {
			return kvsError("ValidationException", "MaxResults must be a whole number from 1 to 50, not %q", v)
		}
		limit = n
	}
	from := ""
	if tok := q.Get("NextToken"); tok != "" {
		b, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil || len(b) == 0 {
			return kvsError("ValidationException", "NextToken %q is not one ListKeys returned", tok)
		}
		from = string(b)
	}
	return s.readKVS(c, func(st *kvStore) error {
		type item struct{ Key, Value string }
		items := []item{}
		next := ""
		for _, k := range slices.Sorted(maps.Keys(st.Data.Items)) {
			if k < from {
				continue
			}
			if len(items) == limit {
				next = base64.RawURLEncoding.EncodeToString([]byte(k))
				break
			}
			items = append(items, item{k, st.Data.Items[k]})
		}
		out := map[string]any{"Items": items}
		if next != "" {
			out["NextToken"] = next
		}
		return c.replyJSON("", out)
	})
}

// kvsWriteRequest is PutKey's, DeleteKey's and UpdateKeys' change.
type kvsWriteRequest struct {
	Puts    []struct{ Key, Value *string }
	Deletes []struct{ Key *string }
}

func checkKVSKey(k string) error {
	if len(k) == 0 || len(k) > maxKVSKeyBytes {
		return kvsError("ValidationException", "the key %q is %d bytes; a key is 1 to %d bytes", k, len(k), maxKVSKeyBytes)
	}
	return nil
}

// kvsChange reads the call's change: puts in order, and deletes.
func kvsChange(c *kvsCall) (puts [][2]string, deletes []string, err error) {
	switch c.op {
	case "DeleteKey":
		return nil, []string{c.key}, checkKVSKey(c.key)
	case "PutKey":
		var body struct{ Value *string }
		if err := json.NewDecoder(c.r.Body).Decode(&body); err != nil || body.Value == nil {
			return nil, nil, kvsError("ValidationException", "PutKey needs a JSON body {\"Value\": \"...\"}")
		}
		puts = [][2]string{{c.key, *body.Value}}
	case "UpdateKeys":
		var body kvsWriteRequest
		if err := json.NewDecoder(c.r.Body).Decode(&body); err != nil {
			return nil, nil, kvsError("ValidationException", "UpdateKeys needs a JSON body {\"Puts\": [{\"Key\", \"Value\"}], \"Deletes\": [{\"Key\"}]}: %v", err)
		}
		if n := len(body.Puts) + len(body.Deletes); n > maxUpdateKeysItems {
			return nil, nil, kvsError("ServiceQuotaExceededException", "UpdateKeys changes %d keys; the limit is %d per call: split the change", n, maxUpdateKeysItems)
		}
		seen := map[string]bool{}
		for _, p := range body.Puts {
			if p.Key == nil || p.Value == nil {
				return nil, nil, kvsError("ValidationException", "every item of Puts needs a Key and a Value")
			}
			puts = append(puts, [2]string{*p.Key, *p.Value})
		}
		for _, d := range body.Deletes {
			if d.Key == nil {
				return nil, nil, kvsError("ValidationException", "every item of Deletes needs a Key")
			}
			deletes = append(deletes, *d.Key)
		}
		keys := slices.Clone(deletes)
		for _, p := range puts {
			keys = append(keys, p[0])
		}
		for _, k := range keys {
			if seen[k] {
				return nil, nil, kvsError("ValidationException", "the key %q is in Puts or Deletes more than once", k)
			}
			seen[k] = true
		}
	}
	for _, p := range puts {
		if err := checkKVSKey(p[0]); err != nil {
			return nil, nil, err
		}
		if len(p[1]) > maxKVSValueBytes {
			return nil, nil, kvsError("ValidationException", "the value of %q is %d bytes; the limit is %d", p[0], len(p[1]), maxKVSValueBytes)
		}
	}
	for _, k := range deletes {
		if err := checkKVSKey(k); err != nil {
			return nil, nil, err
		}
	}
	return puts, deletes, nil
}

// kvsWrite serves PutKey, DeleteKey and UpdateKeys: all or nothing, only
// with the store's current ETag in If-Match, and a new ETag after.
func (s *Server) kvsWrite(c *kvsCall) error {
	etag := strings.TrimSpace(c.r.Header.Get("If-Match"))
	if etag == "" {
		return kvsError("ValidationException", "%s needs If-Match: the store's ETag, from the data plane's DescribeKeyValueStore", c.op)
	}
	puts, deletes, err := kvsChange(c)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.kvsStore(c)
	if err != nil {
		return err
	}
	// AWS's answer to a stale If-Match is not documented; ConflictException
	// (409), the modelled error for a store "not in expected state", is
	// answered here (UNVERIFIED on AWS).
	if etag != st.DataETag {
		return kvsError("ConflictException", "The If-Match ETag %s is not the store's current one: another write came first. Describe the store (data plane DescribeKeyValueStore) for its ETag and retry", etag)
	}
	if c.op == "DeleteKey" {
		if _, ok := st.Data.Items[c.key]; !ok {
			return kvsError("ResourceNotFoundException", "The key %s was not found in the Key Value Store %s.", c.key, st.ARN)
		}
	}
	items := maps.Clone(st.Data.Items)
	// Deleting a key that is not there in UpdateKeys is a no-op
	// (UNVERIFIED on AWS): a writer pruning keys it listed may race
	// another.
	for _, k := range deletes {
		delete(items, k)
	}
	for _, p := range puts {
		items[p[0]] = p[1]
	}
	next := &kvsContents{Items: items}
	if size := next.size(); size > maxKVSBytes {
		return kvsError("ServiceQuotaExceededException", "the store would hold %d bytes; the limit is %d (5 MB): delete keys first", size, maxKVSBytes)
	}
	s.writeContents(st, items)
	s.saveLocked()
	return c.replyJSON(st.DataETag, map[string]any{"ItemCount": len(items), "TotalSizeInBytes": st.Data.size()})
}
