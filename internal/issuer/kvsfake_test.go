package issuer

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	kvs "github.com/aws/aws-sdk-go-v2/service/cloudfrontkeyvaluestore"
)

// FakeKVS is the cloudfront-keyvaluestore data plane (restJson1) of one
// store, as the reference describes it: the ETag is the store's version,
// bumped by every write; UpdateKeys needs the current one in If-Match
// (409 ConflictException otherwise), is all or nothing, and takes at most
// 50 keys (402 ServiceQuotaExceededException); GetKey of a missing key is
// 404 ResourceNotFoundException; ListKeys pages by NextToken. Exported for
// the runtime interface emulator's test (package issuer_test).
type FakeKVS struct {
	ARN string
	URL string

	// mu guards the rest: the handler runs on the server's goroutines,
	// so tests read and change it through the methods.
	mu    sync.Mutex
	items map[string]string
	etag  int
	// calls are the operations in order; updates the UpdateKeys bodies.
	calls   []string
	updates []FakeUpdate
	// conflicts is how many more UpdateKeys find that another writer came
	// first (the store changes, the call fails 409).
	conflicts int
	// fail answers an operation with a status and error type.
	fail map[string]FakeError
	// sigs are the Authorization schemes and region sets seen; hosts the
	// Host headers.
	sigs, hosts []string
}

// Seen returns the operations called, in order, with the signature
// scheme and region set, and the Host, of each.
func (f *FakeKVS) Seen() (calls, sigs, hosts []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...), append([]string(nil), f.sigs...), append([]string(nil), f.hosts...)
}

// Updates returns the UpdateKeys bodies.
func (f *FakeKVS) Updates() []FakeUpdate {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]FakeUpdate(nil), f.updates...)
}

// SetConflicts makes the next n UpdateKeys find another writer first.
func (f *FakeKVS) SetConflicts(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.conflicts = n
}

// SetFail makes op fail with e; a zero e makes it succeed again.
func (f *FakeKVS) SetFail(op string, e FakeError) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if e.Status == 0 {
		delete(f.fail, op)
		return
	}
	f.fail[op] = e
}

// FakeError is an error the fake answers.
type FakeError struct {
	Status int
	Type   string
}

// FakeUpdate is one UpdateKeys body.
type FakeUpdate struct {
	Puts    []struct{ Key, Value string }
	Deletes []struct{ Key string }
}

// FakeKVSARN is the store the fake serves.
const FakeKVSARN = "arn:aws:cloudfront::123456789012:key-value-store/0e3b1c9d-5a4f-4c1e-9a7b-2f6d8e0c1a23"

// StartFakeKVS serves an empty store until the test ends.
func StartFakeKVS(t testing.TB) *FakeKVS {
	f := &FakeKVS{ARN: FakeKVSARN, items: map[string]string{}, etag: 1, fail: map[string]FakeError{}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

// Client is a data-plane client of the fake, built as the bootstrap
// builds it with AWS_ENDPOINT_URL_CLOUDFRONT_KEYVALUESTORE set, without
// the SDK's own retries.
func (f *FakeKVS) Client() *kvs.Client {
	return NewKVSClient(aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(f.URL),
		Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", ""),
		Retryer:     func() aws.Retryer { return aws.NopRetryer{} }})
}

// Put sets an entry, as another writer would.
func (f *FakeKVS) Put(key, value string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.items[key] = value
	f.etag++
}

// Get returns an entry.
func (f *FakeKVS) Get(key string) (string, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	v, ok := f.items[key]
	return v, ok
}

// Len is the number of entries.
func (f *FakeKVS) Len() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.items)
}

// CallCount is how many times op was called.
func (f *FakeKVS) CallCount(op string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		if c == op {
			n++
		}
	}
	return n
}

func (f *FakeKVS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sigs = append(f.sigs, strings.Fields(r.Header.Get("Authorization") + " ")[0]+" "+r.Header.Get("X-Amz-Region-Set"))
	f.hosts = append(f.hosts, r.Host)
	// The ARN is one escaped path segment; split before unescaping.
	segs := strings.Split(strings.TrimPrefix(r.URL.EscapedPath(), "/"), "/")
	for i := range segs {
		segs[i], _ = url.PathUnescape(segs[i])
	}
	op := ""
	switch {
	case len(segs) == 2 && segs[0] == "key-value-stores" && r.Method == "GET":
		op = "DescribeKeyValueStore"
	case len(segs) == 3 && segs[2] == "keys" && r.Method == "GET":
		op = "ListKeys"
	case len(segs) == 3 && segs[2] == "keys" && r.Method == "POST":
		op = "UpdateKeys"
	case len(segs) == 4 && segs[2] == "keys" && r.Method == "GET":
		op = "GetKey"
	default:
		kvsFail(w, 400, "ValidationException", "unknown operation "+r.Method+" "+r.URL.Path)
		return
	}
	f.calls = append(f.calls, op)
	if segs[1] != f.ARN {
		kvsFail(w, 404, "ResourceNotFoundException", "no store "+segs[1])
		return
	}
	if e, ok := f.fail[op]; ok {
		kvsFail(w, e.Status, e.Type, "injected")
		return
	}
	meta := func() map[string]any {
		size := 0
		for k, v := range f.items {
			size += len(k) + len(v)
		}
		return map[string]any{"ItemCount": len(f.items), "TotalSizeInBytes": size}
	}
	etag := func() string { return "KV" + strconv.Itoa(f.etag) }
	switch op {
	case "DescribeKeyValueStore":
		w.Header().Set("ETag", etag())
		m := meta()
		m["KvsARN"], m["Created"], m["Status"] = f.ARN, 1767225600, "READY"
		kvsAnswer(w, m)
	case "GetKey":
		v, ok := f.items[segs[3]]
		if !ok {
			kvsFail(w, 404, "ResourceNotFoundException", "Resource not found")
			return
		}
		m := meta()
		m["Key"], m["Value"] = segs[3], v
		kvsAnswer(w, m)
	case "ListKeys":
		keys := make([]string, 0, len(f.items))
		for k := range f.items {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		from, _ := strconv.Atoi(r.URL.Query().Get("NextToken"))
		size, _ := strconv.Atoi(r.URL.Query().Get("MaxResults"))
		if size == 0 {
			size = 10
		}
		if size > 50 {
			kvsFail(w, 400, "ValidationException", "MaxResults is at most 50")
			return
		}
		out := map[string]any{}
		items := []map[string]string{}
		for i := from; i < len(keys) && i < from+size; i++ {
			items = append(items, map[string]string{"Key": keys[i], "Value": f.items[keys[i]]})
		}
		out["Items"] = items
		if from+size < len(keys) {
			out["NextToken"] = strconv.Itoa(from + size)
		}
		kvsAnswer(w, out)
	case "UpdateKeys":
		var u FakeUpdate
		if err := json.NewDecoder(r.Body).Decode(&u); err != nil {
			kvsFail(w, 400, "ValidationException", err.Error())
			return
		}
		f.updates = append(f.updates, u)
		if f.conflicts > 0 {
			f.conflicts--
			f.items[fmt.Sprintf("other:%d", f.etag)] = "x" // another writer's key
			f.etag++
		}
		if r.Header.Get("If-Match") != etag() {
			kvsFail(w, 409, "ConflictException", "Resource is not in expected state")
			return
		}
		if len(u.Puts)+len(u.Deletes) > 50 {
			kvsFail(w, 402, "ServiceQuotaExceededException", "more than 50 keys in one call")
			return
		}
		for _, d := range u.Deletes {
			if _, ok := f.items[d.Key]; !ok {
				kvsFail(w, 404, "ResourceNotFoundException", "no key "+d.Key) // not documented: the strictest choice
				return
			}
		}
		for _, d := range u.Deletes {
			delete(f.items, d.Key)
		}
		for _, p := range u.Puts {
			f.items[p.Key] = p.Value
		}
		f.etag++
		w.Header().Set("ETag", etag())
		kvsAnswer(w, meta())
	}
}

func kvsAnswer(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func kvsFail(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", typ)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"message": msg})
}
