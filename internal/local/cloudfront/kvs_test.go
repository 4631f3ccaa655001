package cloudfront

import (
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cf "github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
	kvs "github.com/aws/aws-sdk-go-v2/service/cloudfrontkeyvaluestore"
	kvstypes "github.com/aws/aws-sdk-go-v2/service/cloudfrontkeyvaluestore/types"
)

// authRecorder records the Authorization headers a client sends.
type authRecorder struct {
	mu    sync.Mutex
	seen  []string
	inner http.RoundTripper
}

func (a *authRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	a.mu.Lock()
	a.seen = append(a.seen, r.Header.Get("Authorization"))
	a.mu.Unlock()
	return a.inner.RoundTrip(r)
}

// kvsSDK returns the unmodified cloudfrontkeyvaluestore client pointed at
// s the way a user points it at the local stack (KVSEndpointResolver),
// and what it sent.
func kvsSDK(s *Server) (*kvs.Client, *authRecorder) {
	rec := &authRecorder{inner: http.DefaultTransport}
	return kvs.New(kvs.Options{
		Region:             "us-east-1",
		Credentials:        testCredentials,
		EndpointResolverV2: KVSEndpointResolver(s.Endpoint),
		HTTPClient:         &http.Client{Transport: rec, Timeout: 30 * time.Second},
	}), rec
}

func createStore(t testing.TB, c *cf.Client, name string) *cf.CreateKeyValueStoreOutput {
	t.Helper()
	out, err := c.CreateKeyValueStore(ctx, &cf.CreateKeyValueStoreInput{Name: aws.String(name), Comment: aws.String("revocations")})
	if err != nil {
		t.Fatalf("CreateKeyValueStore %s: %v", name, err)
	}
	return out
}

// dataETag reads the store's data-plane ETag.
func dataETag(t testing.TB, k *kvs.Client, arn string) *string {
	t.Helper()
	d, err := k.DescribeKeyValueStore(ctx, &kvs.DescribeKeyValueStoreInput{KvsARN: aws.String(arn)})
	if err != nil {
		t.Fatalf("DescribeKeyValueStore (data plane): %v", err)
	}
	return d.ETag
}

func putKey(t testing.TB, k *kvs.Client, arn, key, value string) *kvs.PutKeyOutput {
	t.Helper()
	out, err := k.PutKey(ctx, &kvs.PutKeyInput{KvsARN: aws.String(arn), Key: aws.String(key), Value: aws.String(value), IfMatch: dataETag(t, k, arn)})
	if err != nil {
		t.Fatalf("PutKey %s: %v", key, err)
	}
	return out
}

var kvsARNRE = regexp.MustCompile(`^arn:aws:cloudfront::123456789012:key-value-store/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// The control plane's KeyValueStore operations, through the SDK.
func TestKVSControlPlane(t *testing.T) {
	s := start(t, Config{})
	c := sdk(s)
	created := createStore(t, c, "revocations")
	st := created.KeyValueStore
	switch {
	case created.ETag == nil || *created.ETag == "":
		t.Fatal("CreateKeyValueStore: no ETag")
	case created.Location == nil || !strings.HasSuffix(*created.Location, "/2020-05-31/key-value-store/revocations"):
		t.Fatalf("CreateKeyValueStore: Location %v", aws.ToString(created.Location))
	case st == nil || aws.ToString(st.Name) != "revocations" || aws.ToString(st.Comment) != "revocations" || aws.ToString(st.Status) != "READY" ||
		!kvsARNRE.MatchString(aws.ToString(st.ARN)) || !strings.HasSuffix(aws.ToString(st.ARN), "/"+aws.ToString(st.Id)) || st.LastModifiedTime == nil:
		t.Fatalf("CreateKeyValueStore: %s", dump(st))
	}
	_, err := c.CreateKeyValueStore(ctx, &cf.CreateKeyValueStoreInput{Name: aws.String("revocations")})
	wantCode(t, err, "EntityAlreadyExists")
	_, err = c.CreateKeyValueStore(ctx, &cf.CreateKeyValueStoreInput{Name: aws.String("bad name")})
	wantCode(t, err, "InvalidArgument")
	_, err = c.CreateKeyValueStore(ctx, &cf.CreateKeyValueStoreInput{Name: aws.String("imported"),
		ImportSource: &types.ImportSource{SourceType: types.ImportSourceTypeS3, SourceARN: aws.String("arn:aws:s3:::bucket/data.json")}})
	wantCode(t, err, "UnsupportedOperation")

	d, err := c.DescribeKeyValueStore(ctx, &cf.DescribeKeyValueStoreInput{Name: aws.String("revocations")})
	if err != nil || aws.ToString(d.ETag) != aws.ToString(created.ETag) || aws.ToString(d.KeyValueStore.ARN) != aws.ToString(st.ARN) {
		t.Fatalf("DescribeKeyValueStore: %v %s", err, dump(d))
	}
	_, err = c.DescribeKeyValueStore(ctx, &cf.DescribeKeyValueStoreInput{Name: aws.String("none")})
	wantCode(t, err, "EntityNotFound")

	_, err = c.UpdateKeyValueStore(ctx, &cf.UpdateKeyValueStoreInput{Name: aws.String("revocations"), Comment: aws.String("x"), IfMatch: aws.String("ESTALE")})
	wantCode(t, err, "PreconditionFailed")
	up, err := c.UpdateKeyValueStore(ctx, &cf.UpdateKeyValueStoreInput{Name: aws.String("revocations"), Comment: aws.String("new comment"), IfMatch: d.ETag})
	if err != nil || aws.ToString(up.ETag) == aws.ToString(d.ETag) || aws.ToString(up.KeyValueStore.Comment) != "new comment" {
		t.Fatalf("UpdateKeyValueStore: %v %s", err, dump(up))
	}

	for _, name := range []string{"b-store", "c-store"} {
		createStore(t, c, name)
	}
	var names []string
	var marker *string
	for pages := 0; ; pages++ {
		l, err := c.ListKeyValueStores(ctx, &cf.ListKeyValueStoresInput{MaxItems: aws.Int32(2), Marker: marker})
		if err != nil || pages > 3 {
			t.Fatalf("ListKeyValueStores: %v (page %d)", err, pages)
		}
		for _, it := range l.KeyValueStoreList.Items {
			names = append(names, aws.ToString(it.Name))
		}
		if marker = l.KeyValueStoreList.NextMarker; marker == nil || *marker == "" {
			break
		}
	}
	if got := strings.Join(names, ","); got != "b-store,c-store,revocations" {
		t.Fatalf("ListKeyValueStores: %s", got)
	}

	_, err = c.DeleteKeyValueStore(ctx, &cf.DeleteKeyValueStoreInput{Name: aws.String("revocations"), IfMatch: d.ETag})
	wantCode(t, err, "PreconditionFailed")
	if _, err := c.DeleteKeyValueStore(ctx, &cf.DeleteKeyValueStoreInput{Name: aws.String("revocations"), IfMatch: up.ETag}); err != nil {
		t.Fatalf("DeleteKeyValueStore: %v", err)
	}
	_, err = c.DescribeKeyValueStore(ctx, &cf.DescribeKeyValueStoreInput{Name: aws.String("revocations")})
	wantCode(t, err, "EntityNotFound")
}

// A store a function associates cannot be deleted; a function cannot
// associate a store that does not exist.
func TestKVSAssociation(t *testing.T) {
	s := start(t, Config{})
	c := sdk(s)
	store := createStore(t, c, "revocations")
	arn := store.KeyValueStore.ARN
	cfg := func(arns ...string) *types.FunctionConfig {
		fc := &types.FunctionConfig{Comment: aws.String("test"), Runtime: types.FunctionRuntimeCloudfrontJs20}
		if len(arns) > 0 {
			a := &types.KeyValueStoreAssociations{Quantity: aws.Int32(int32(len(arns)))}
			for _, x := range arns {
				a.Items = append(a.Items, types.KeyValueStoreAssociation{KeyValueStoreARN: aws.String(x)})
			}
			fc.KeyValueStoreAssociations = a
		}
		return fc
	}
	missing := "arn:aws:cloudfront::123456789012:key-value-store/00000000-0000-4000-8000-000000000000"
	_, err := c.CreateFunction(ctx, &cf.CreateFunctionInput{Name: aws.String("f"), FunctionCode: []byte(testCode), FunctionConfig: cfg(missing)})
	wantCode(t, err, "InvalidArgument")

	fn, err := c.CreateFunction(ctx, &cf.CreateFunctionInput{Name: aws.String("f"), FunctionCode: []byte(testCode), FunctionConfig: cfg(*arn)})
	if err != nil {
		t.Fatalf("CreateFunction with the store: %v", err)
	}
	if got := fn.FunctionSummary.FunctionConfig.KeyValueStoreAssociations; got == nil || aws.ToString(got.Items[0].KeyValueStoreARN) != *arn {
		t.Fatalf("CreateFunction: associations %s", dump(got))
	}
	_, err = c.UpdateFunction(ctx, &cf.UpdateFunctionInput{Name: aws.String("f"), IfMatch: fn.ETag, FunctionCode: []byte(testCode), FunctionConfig: cfg(missing)})
	wantCode(t, err, "InvalidArgument")

	_, err = c.DeleteKeyValueStore(ctx, &cf.DeleteKeyValueStoreInput{Name: aws.String("revocations"), IfMatch: store.ETag})
	wantCode(t, err, "CannotDeleteEntityWhileInUse")
	resp, body := raw(t, s, "DELETE", "/2020-05-31/key-value-store/revocations", map[string]string{"If-Match": *store.ETag}, "")
	wantWireError(t, resp, body, http.StatusConflict, "CannotDeleteEntityWhileInUse")
	if !strings.Contains(body, "f") {
		t.Fatalf("the refusal does not name the function: %s", body)
	}

	// Published, then dropped from DEVELOPMENT: the LIVE stage still holds it.
	if _, err := c.PublishFunction(ctx, &cf.PublishFunctionInput{Name: aws.String("f"), IfMatch: fn.ETag}); err != nil {
		t.Fatal(err)
	}
	d, _ := c.DescribeFunction(ctx, &cf.DescribeFunctionInput{Name: aws.String("f")})
	up, err := c.UpdateFunction(ctx, &cf.UpdateFunctionInput{Name: aws.String("f"), IfMatch: d.ETag, FunctionCode: []byte(testCode), FunctionConfig: cfg()})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteKeyValueStore(ctx, &cf.DeleteKeyValueStoreInput{Name: aws.String("revocations"), IfMatch: store.ETag})
	wantCode(t, err, "CannotDeleteEntityWhileInUse")
	if _, err := c.PublishFunction(ctx, &cf.PublishFunctionInput{Name: aws.String("f"), IfMatch: up.ETag}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteKeyValueStore(ctx, &cf.DeleteKeyValueStoreInput{Name: aws.String("revocations"), IfMatch: store.ETag}); err != nil {
		t.Fatalf("DeleteKeyValueStore once no function uses it: %v", err)
	}
}

// The data plane through the real cloudfrontkeyvaluestore client, pointed
// at the local CloudFront with KVSEndpointResolver: every operation, the
// ETag rules, and SigV4A as the SDK signs.
func TestKVSDataPlane(t *testing.T) {
	s := start(t, Config{})
	c := sdk(s)
	store := createStore(t, c, "revocations")
	arn := *store.KeyValueStore.ARN
	k, rec := kvsSDK(s)

	d, err := k.DescribeKeyValueStore(ctx, &kvs.DescribeKeyValueStoreInput{KvsARN: aws.String(arn)})
	switch {
	case err != nil:
		t.Fatalf("DescribeKeyValueStore: %v", err)
	case aws.ToString(d.KvsARN) != arn || aws.ToInt32(d.ItemCount) != 0 || aws.ToInt64(d.TotalSizeInBytes) != 0 || aws.ToString(d.Status) != "READY" ||
		d.Created == nil || d.LastModified == nil || aws.ToString(d.ETag) == "":
		t.Fatalf("DescribeKeyValueStore: %s", dump(d))
	case aws.ToString(d.ETag) == aws.ToString(store.ETag):
		t.Fatal("the data plane's ETag is the control plane's; they differ at AWS")
	}
	for _, a := range rec.seen {
		if !strings.HasPrefix(a, "AWS4-ECDSA-P256-SHA256 Credential="+testAccessKey+"/") || !strings.Contains(a, "/cloudfront-keyvaluestore/aws4_request") {
			t.Fatalf("the SDK signed with %q; want SigV4A for cloudfront-keyvaluestore", a)
		}
	}

	put, err := k.PutKey(ctx, &kvs.PutKeyInput{KvsARN: aws.String(arn), Key: aws.String("r:s1"), Value: aws.String("1767225600"), IfMatch: d.ETag})
	if err != nil || aws.ToString(put.ETag) == aws.ToString(d.ETag) || aws.ToInt32(put.ItemCount) != 1 || aws.ToInt64(put.TotalSizeInBytes) != 14 {
		t.Fatalf("PutKey: %v %s", err, dump(put))
	}
	// The ETag it answered is the store's; the one before is stale.
	_, err = k.PutKey(ctx, &kvs.PutKeyInput{KvsARN: aws.String(arn), Key: aws.String("r:s2"), Value: aws.String("1"), IfMatch: d.ETag})
	wantCode(t, err, "ConflictException")
	var conflict *kvstypes.ConflictException
	if !errors.As(err, &conflict) {
		t.Fatalf("a stale If-Match: %T; want *types.ConflictException", err)
	}
	if now := dataETag(t, k, arn); aws.ToString(now) != aws.ToString(put.ETag) {
		t.Fatalf("Describe's ETag %s; PutKey answered %s", aws.ToString(now), aws.ToString(put.ETag))
	}

	g, err := k.GetKey(ctx, &kvs.GetKeyInput{KvsARN: aws.String(arn), Key: aws.String("r:s1")})
	if err != nil || aws.ToString(g.Key) != "r:s1" || aws.ToString(g.Value) != "1767225600" || aws.ToInt32(g.ItemCount) != 1 {
		t.Fatalf("GetKey: %v %s", err, dump(g))
	}
	_, err = k.GetKey(ctx, &kvs.GetKeyInput{KvsARN: aws.String(arn), Key: aws.String("r:none")})
	var notFound *kvstypes.ResourceNotFoundException
	if !errors.As(err, &notFound) {
		t.Fatalf("GetKey of a missing key: %v; want ResourceNotFoundException", err)
	}
	_, err = k.DescribeKeyValueStore(ctx, &kvs.DescribeKeyValueStoreInput{KvsARN: aws.String(strings.Replace(arn, arn[len(arn)-4:], "ffff", 1))})
	wantCode(t, err, "ResourceNotFoundException")

	// UpdateKeys: puts and deletes at once, all or nothing.
	up, err := k.UpdateKeys(ctx, &kvs.UpdateKeysInput{KvsARN: aws.String(arn), IfMatch: put.ETag,
		Puts:    []kvstypes.PutKeyRequestListItem{{Key: aws.String("r:s2"), Value: aws.String("2")}, {Key: aws.String("r:s3"), Value: aws.String("3")}},
		Deletes: []kvstypes.DeleteKeyRequestListItem{{Key: aws.String("r:s1")}}})
	if err != nil || aws.ToInt32(up.ItemCount) != 2 || aws.ToString(up.ETag) == aws.ToString(put.ETag) {
		t.Fatalf("UpdateKeys: %v %s", err, dump(up))
	}
	_, err = k.UpdateKeys(ctx, &kvs.UpdateKeysInput{KvsARN: aws.String(arn), IfMatch: up.ETag,
		Puts:    []kvstypes.PutKeyRequestListItem{{Key: aws.String("r:s4"), Value: aws.String("4")}},
		Deletes: []kvstypes.DeleteKeyRequestListItem{{Key: aws.String("r:s4")}}})
	wantCode(t, err, "ValidationException")
	del, err := k.DeleteKey(ctx, &kvs.DeleteKeyInput{KvsARN: aws.String(arn), Key: aws.String("r:s3"), IfMatch: up.ETag})
	if err != nil || aws.ToInt32(del.ItemCount) != 1 || aws.ToString(del.ETag) == aws.ToString(up.ETag) {
		t.Fatalf("DeleteKey: %v %s", err, dump(del))
	}
	_, err = k.DeleteKey(ctx, &kvs.DeleteKeyInput{KvsARN: aws.String(arn), Key: aws.String("r:s3"), IfMatch: del.ETag})
	wantCode(t, err, "ResourceNotFoundException")

	// A key with characters the path escapes.
	odd := "odd/key with%20and:colon"
	oddPut, err := k.PutKey(ctx, &kvs.PutKeyInput{KvsARN: aws.String(arn), Key: aws.String(odd), Value: aws.String("v"), IfMatch: del.ETag})
	if err != nil {
		t.Fatalf("PutKey %q: %v", odd, err)
	}
	if g, err := k.GetKey(ctx, &kvs.GetKeyInput{KvsARN: aws.String(arn), Key: aws.String(odd)}); err != nil || aws.ToString(g.Key) != odd {
		t.Fatalf("GetKey %q: %v %s", odd, err, dump(g))
	}
	del, err = k.DeleteKey(ctx, &kvs.DeleteKeyInput{KvsARN: aws.String(arn), Key: aws.String(odd), IfMatch: oddPut.ETag})
	if err != nil {
		t.Fatalf("DeleteKey %q: %v", odd, err)
	}

	// ListKeys pages through every key, in order.
	var puts []kvstypes.PutKeyRequestListItem
	for i := range 23 {
		puts = append(puts, kvstypes.PutKeyRequestListItem{Key: aws.String(fmt.Sprintf("k%02d", i)), Value: aws.String(strconv.Itoa(i))})
	}
	if _, err := k.UpdateKeys(ctx, &kvs.UpdateKeysInput{KvsARN: aws.String(arn), IfMatch: del.ETag, Puts: puts}); err != nil {
		t.Fatal(err)
	}
	var keys []string
	pages := kvs.NewListKeysPaginator(k, &kvs.ListKeysInput{KvsARN: aws.String(arn), MaxResults: aws.Int32(5)})
	n := 0
	for pages.HasMorePages() {
		p, err := pages.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListKeys: %v", err)
		}
		if len(p.Items) > 5 {
			t.Fatalf("ListKeys answered %d items; MaxResults is 5", len(p.Items))
		}
		for _, it := range p.Items {
			keys = append(keys, aws.ToString(it.Key)+"="+aws.ToString(it.Value))
		}
		n++
	}
	if len(keys) != 24 || n != 5 || keys[0] != "k00=0" || keys[23] != "r:s2=2" {
		t.Fatalf("ListKeys: %d pages, %v", n, keys)
	}
	l, err := k.ListKeys(ctx, &kvs.ListKeysInput{KvsARN: aws.String(arn)})
	if err != nil || len(l.Items) != 10 || l.NextToken == nil {
		t.Fatalf("ListKeys without MaxResults: %v, %d items; want 10 and a NextToken", err, len(l.Items))
	}
	_, err = k.ListKeys(ctx, &kvs.ListKeysInput{KvsARN: aws.String(arn), MaxResults: aws.Int32(51)})
	wantCode(t, err, "ValidationException")
}

// A request without a signature is refused, as at AWS; one signed with
// SigV4A's header shape is served.
func TestKVSDataPlaneNeedsSignature(t *testing.T) {
	s := start(t, Config{})
	arn := *createStore(t, sdk(s), "revocations").KeyValueStore.ARN
	path := "/key-value-stores/" + strings.ReplaceAll(arn, "/", "%2F")
	resp, body := raw(t, s, "GET", path, nil, "")
	if resp.StatusCode != http.StatusForbidden || resp.Header.Get("X-Amzn-Errortype") != "AccessDeniedException" || !strings.Contains(body, "SigV4A") {
		t.Fatalf("unsigned: %d %s %s", resp.StatusCode, resp.Header.Get("X-Amzn-Errortype"), body)
	}
	sig := "AWS4-ECDSA-P256-SHA256 Credential=AKID/20261101/cloudfront-keyvaluestore/aws4_request, SignedHeaders=host;x-amz-date;x-amz-region-set, Signature=3045"
	resp, body = raw(t, s, "GET", path, map[string]string{"Authorization": sig, "X-Amz-Region-Set": "*"}, "")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("ETag") == "" || !strings.Contains(body, `"ItemCount":0`) {
		t.Fatalf("signed: %d %s", resp.StatusCode, body)
	}
}

// The data plane's limits: key 512 bytes, value 1 KB, 50 changes per
// UpdateKeys, 5 MB per store.
func TestKVSDataPlaneLimits(t *testing.T) {
	s := start(t, Config{})
	arn := *createStore(t, sdk(s), "revocations").KeyValueStore.ARN
	k, _ := kvsSDK(s)
	etag := dataETag(t, k, arn)
	_, err := k.PutKey(ctx, &kvs.PutKeyInput{KvsARN: aws.String(arn), Key: aws.String(strings.Repeat("k", 513)), Value: aws.String("v"), IfMatch: etag})
	wantCode(t, err, "ValidationException")
	_, err = k.PutKey(ctx, &kvs.PutKeyInput{KvsARN: aws.String(arn), Key: aws.String("k"), Value: aws.String(strings.Repeat("v", 1025)), IfMatch: etag})
	wantCode(t, err, "ValidationException")
	if _, err := k.PutKey(ctx, &kvs.PutKeyInput{KvsARN: aws.String(arn), Key: aws.String(strings.Repeat("k", 512)), Value: aws.String(strings.Repeat("v", 1024)), IfMatch: etag}); err != nil {
		t.Fatalf("a key of 512 bytes and a value of 1 KB: %v", err)
	}
	etag = dataETag(t, k, arn)
	var puts []kvstypes.PutKeyRequestListItem
	for i := range 51 {
		puts = append(puts, kvstypes.PutKeyRequestListItem{Key: aws.String(fmt.Sprint("p", i)), Value: aws.String("v")})
	}
	_, err = k.UpdateKeys(ctx, &kvs.UpdateKeysInput{KvsARN: aws.String(arn), IfMatch: etag, Puts: puts})
	wantCode(t, err, "ServiceQuotaExceededException")
	var quota *kvstypes.ServiceQuotaExceededException
	if !errors.As(err, &quota) {
		t.Fatalf("51 changes: %T; want *types.ServiceQuotaExceededException", err)
	}
	// All or nothing: one value over the limit refuses the whole call.
	_, err = k.UpdateKeys(ctx, &kvs.UpdateKeysInput{KvsARN: aws.String(arn), IfMatch: etag,
		Puts: []kvstypes.PutKeyRequestListItem{puts[0], {Key: aws.String("big"), Value: aws.String(strings.Repeat("v", 1025))}}})
	wantCode(t, err, "ValidationException")
	if _, err := k.GetKey(ctx, &kvs.GetKeyInput{KvsARN: aws.String(arn), Key: puts[0].Key}); err == nil {
		t.Fatal("a refused UpdateKeys stored part of its change")
	}
	if _, err := k.UpdateKeys(ctx, &kvs.UpdateKeysInput{KvsARN: aws.String(arn), IfMatch: etag, Puts: puts[:50]}); err != nil {
		t.Fatalf("50 changes: %v", err)
	}

	// Fill the store to just under 5 MB with 1 KB values, then one more
	// value is over.
	value := strings.Repeat("v", 1024)
	size := int64(0)
	for batch := 0; ; batch++ {
		d, err := k.DescribeKeyValueStore(ctx, &kvs.DescribeKeyValueStoreInput{KvsARN: aws.String(arn)})
		if err != nil {
			t.Fatal(err)
		}
		size = aws.ToInt64(d.TotalSizeInBytes)
		var items []kvstypes.PutKeyRequestListItem
		for i := 0; i < 50 && size+int64(1030) <= maxKVSBytes; i++ {
			key := fmt.Sprintf("f%05d", batch*50+i)
			items = append(items, kvstypes.PutKeyRequestListItem{Key: aws.String(key), Value: aws.String(value)})
			size += int64(len(key) + len(value))
		}
		if len(items) == 0 {
			break
		}
		if _, err := k.UpdateKeys(ctx, &kvs.UpdateKeysInput{KvsARN: aws.String(arn), IfMatch: d.ETag, Puts: items}); err != nil {
			t.Fatalf("filling the store at %d bytes: %v", size, err)
		}
	}
	_, err = k.PutKey(ctx, &kvs.PutKeyInput{KvsARN: aws.String(arn), Key: aws.String("over"), Value: aws.String(value), IfMatch: dataETag(t, k, arn)})
	wantCode(t, err, "ServiceQuotaExceededException")
	if _, err := k.DeleteKey(ctx, &kvs.DeleteKeyInput{KvsARN: aws.String(arn), Key: aws.String("f00000"), IfMatch: dataETag(t, k, arn)}); err != nil {
		t.Fatalf("a delete in a full store: %v", err)
	}
}

// kvsEdgeCode answers the value of "flag" in the associated store, or
// "none", as the edge check reads a revocation (exists, then get).
const kvsEdgeCode = `import cf from 'cloudfront';
async function handler(event) {
  var kvs = cf.kvs();
  var v = (await kvs.exists('flag')) ? await kvs.get('flag') : 'none';
  return {statusCode: 200, body: v};
}`

// kvsStack is a local CloudFront on a fake clock with a store, a function
// associated with it and a distribution that runs the function.
type kvsStack struct {
	s     *Server
	clock *fakeClock
	arn   string
	dist  string
	k     *kvs.Client
}

func startKVSStack(t *testing.T, cfg Config) *kvsStack {
	t.Helper()
	ks := &kvsStack{clock: newClock()}
	if cfg.now == nil {
		cfg.now = ks.clock.now
	}
	ks.s = start(t, cfg)
	c := sdk(ks.s)
	ks.arn = *createStore(t, c, "flags").KeyValueStore.ARN
	_, dc := publishBehindOrigin(t, c, "f", kvsEdgeCode, &types.FunctionConfig{Comment: aws.String("test"), Runtime: types.FunctionRuntimeCloudfrontJs20,
		KeyValueStoreAssociations: &types.KeyValueStoreAssociations{Quantity: aws.Int32(1),
			Items: []types.KeyValueStoreAssociation{{KeyValueStoreARN: aws.String(ks.arn)}}}}, "r")
	ks.dist = *createDist(t, c, dc).Distribution.Id
	ks.k, _ = kvsSDK(ks.s)
	return ks
}

func (ks *kvsStack) wantEdge(t *testing.T, when, want string) {
	t.Helper()
	for range 3 {
		resp, body := get(t, ks.s.EdgeURL(ks.dist)+"/media/seg1.ts", nil)
		if resp.StatusCode != 200 || string(body) != want {
			t.Fatalf("%s: the edge answered %d %q (%s); want %q", when, resp.StatusCode, body, resp.Header.Get("X-Local-Error"), want)
		}
	}
}

// The edge reads a function's associated store as of now minus
// KVSPropagationDelay.
func TestKVSEdgePropagation(t *testing.T) {
	ks := startKVSStack(t, Config{KVSPropagationDelay: 10 * time.Second})
	ks.wantEdge(t, "an empty store", "none")
	putKey(t, ks.k, ks.arn, "flag", "v1")
	ks.wantEdge(t, "right after the write", "none")
	ks.clock.advance(9 * time.Second)
	ks.wantEdge(t, "9 s after the write", "none")
	ks.clock.advance(time.Second)
	ks.wantEdge(t, "10 s after the write", "v1")

	putKey(t, ks.k, ks.arn, "flag", "v2")
	ks.clock.advance(5 * time.Second)
	putKey(t, ks.k, ks.arn, "flag", "v3")
	ks.wantEdge(t, "5 s after v2", "v1")
	ks.clock.advance(5 * time.Second)
	ks.wantEdge(t, "10 s after v2, 5 s after v3", "v2")
	ks.clock.advance(5 * time.Second)
	ks.wantEdge(t, "10 s after v3", "v3")
	// The data plane reads the latest at once.
	g, err := ks.k.GetKey(ctx, &kvs.GetKeyInput{KvsARN: aws.String(ks.arn), Key: aws.String("flag")})
	if err != nil || aws.ToString(g.Value) != "v3" {
		t.Fatalf("GetKey: %v %v", err, aws.ToString(g.Value))
	}
}

// Without a delay, the edge reads every write at once.
func TestKVSEdgeNoDelay(t *testing.T) {
	ks := startKVSStack(t, Config{})
	putKey(t, ks.k, ks.arn, "flag", "v1")
	ks.wantEdge(t, "right after the write", "v1")
	if _, err := ks.k.DeleteKey(ctx, &kvs.DeleteKeyInput{KvsARN: aws.String(ks.arn), Key: aws.String("flag"), IfMatch: dataETag(t, ks.k, ks.arn)}); err != nil {
		t.Fatal(err)
	}
	ks.wantEdge(t, "right after the delete", "none")
}

// The writes the edge may still read are bounded: those older than the
// delay are dropped, and at most maxKVSVersions are kept.
func TestKVSHistoryBounded(t *testing.T) {
	ks := startKVSStack(t, Config{KVSPropagationDelay: time.Hour})
	for i := range maxKVSVersions + 20 {
		putKey(t, ks.k, ks.arn, "flag", fmt.Sprint("v", i))
	}
	earlier := func() int {
		ks.s.mu.RLock()
		defer ks.s.mu.RUnlock()
		return len(ks.s.kvs["flags"].Earlier)
	}
	if n := earlier(); n != maxKVSVersions {
		t.Fatalf("%d earlier contents kept; want the bound, %d", n, maxKVSVersions)
	}
	ks.clock.advance(time.Hour)
	putKey(t, ks.k, ks.arn, "flag", "last")
	if n := earlier(); n != 1 {
		t.Fatalf("%d earlier contents kept an hour later; want 1 (the one the last write replaced)", n)
	}
	ks.wantEdge(t, "an hour later, right after the last write", fmt.Sprint("v", maxKVSVersions+19))
}

// TestFunction gives the function its associated store.
func TestKVSTestFunction(t *testing.T) {
	ks := startKVSStack(t, Config{})
	putKey(t, ks.k, ks.arn, "flag", "tested")
	c := sdk(ks.s)
	d, err := c.DescribeFunction(ctx, &cf.DescribeFunctionInput{Name: aws.String("f")})
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.TestFunction(ctx, &cf.TestFunctionInput{Name: aws.String("f"), IfMatch: d.ETag,
		EventObject: []byte(`{"version":"1.0","context":{"eventType":"viewer-request"},"viewer":{"ip":"1.2.3.4"},"request":{"method":"GET","uri":"/","querystring":{},"headers":{},"cookies":{}}}`)})
	if err != nil || !strings.Contains(aws.ToString(out.TestResult.FunctionOutput), `"tested"`) {
		t.Fatalf("TestFunction: %v %s", err, dump(out))
	}
}

// The state file keeps stores, their contents, their ETags and what the
// edge may still read across a restart.
func TestKVSStateFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "state.json")
	clock := newClock()
	ks := startKVSStack(t, Config{StateFile: file, KVSPropagationDelay: 10 * time.Second, now: clock.now})
	ks.clock = clock
	putKey(t, ks.k, ks.arn, "flag", "v1")
	clock.advance(10 * time.Second)
	putKey(t, ks.k, ks.arn, "flag", "v2")
	before := dataETag(t, ks.k, ks.arn)
	ctl, err := sdk(ks.s).DescribeKeyValueStore(ctx, &cf.DescribeKeyValueStoreInput{Name: aws.String("flags")})
	if err != nil {
		t.Fatal(err)
	}
	if err := ks.s.Close(); err != nil {
		t.Fatal(err)
	}

	again := start(t, Config{StateFile: file, KVSPropagationDelay: 10 * time.Second, now: clock.now})
	ks.s = again
	ks.k, _ = kvsSDK(again)
	if got := dataETag(t, ks.k, ks.arn); aws.ToString(got) != aws.ToString(before) {
		t.Fatalf("data-plane ETag %s after a restart; was %s", aws.ToString(got), aws.ToString(before))
	}
	ctl2, err := sdk(again).DescribeKeyValueStore(ctx, &cf.DescribeKeyValueStoreInput{Name: aws.String("flags")})
	if err != nil || aws.ToString(ctl2.ETag) != aws.ToString(ctl.ETag) || aws.ToString(ctl2.KeyValueStore.ARN) != ks.arn {
		t.Fatalf("control plane after a restart: %v %s", err, dump(ctl2))
	}
	ks.wantEdge(t, "after the restart, inside the delay of v2", "v1")
	clock.advance(10 * time.Second)
	ks.wantEdge(t, "after the restart, past the delay", "v2")
	_, err = sdk(again).DeleteKeyValueStore(ctx, &cf.DeleteKeyValueStoreInput{Name: aws.String("flags"), IfMatch: ctl2.ETag})
	wantCode(t, err, "CannotDeleteEntityWhileInUse")
}

// FailKVSReads makes the edge's reads of a store reject, until cleared.
func TestKVSFailReadsAtTheEdge(t *testing.T) {
	ks := startKVSStack(t, Config{})
	putKey(t, ks.k, ks.arn, "flag", "v1")
	ks.s.FailKVSReads("flags", errors.New("store unavailable"))
	resp, _ := get(t, ks.s.EdgeURL(ks.dist)+"/media/seg1.ts", nil)
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(resp.Header.Get("X-Local-Error"), "store unavailable") {
		t.Fatalf("a store that cannot be read, uncaught by the function: %d %q; want 503 naming the failure", resp.StatusCode, resp.Header.Get("X-Local-Error"))
	}
	if _, err := ks.k.GetKey(ctx, &kvs.GetKeyInput{KvsARN: aws.String(ks.arn), Key: aws.String("flag")}); err != nil {
		t.Fatalf("the data plane is unaffected: %v", err)
	}
	ks.s.FailKVSReads("flags", nil)
	ks.wantEdge(t, "reads restored", "v1")
}

// The fault engine serves the data plane too: an injected ConflictException
// reaches the SDK as its type with status 409, and a lost answer means the
// write took effect.
func TestKVSDataPlaneFaults(t *testing.T) {
	s := start(t, Config{})
	arn := *createStore(t, sdk(s), "revocations").KeyValueStore.ARN
	k, _ := kvsSDK(s)
	s.Fail("UpdateKeys", 1, "ConflictException")
	etag := dataETag(t, k, arn)
	in := &kvs.UpdateKeysInput{KvsARN: aws.String(arn), IfMatch: etag, Puts: []kvstypes.PutKeyRequestListItem{{Key: aws.String("r:s1"), Value: aws.String("1")}}}
	_, err := k.UpdateKeys(ctx, in)
	var conflict *kvstypes.ConflictException
	var re interface{ HTTPStatusCode() int }
	if !errors.As(err, &conflict) || !errors.As(err, &re) || re.HTTPStatusCode() != http.StatusConflict {
		t.Fatalf("injected ConflictException: %v", err)
	}
	if got := dataETag(t, k, arn); aws.ToString(got) != aws.ToString(etag) {
		t.Fatal("a failed UpdateKeys changed the store")
	}
	s.Lose("UpdateKeys", 1, "InternalServerException")
	if _, err := k.UpdateKeys(ctx, in); err == nil {
		t.Fatal("a lost answer: no error")
	}
	if g, err := k.GetKey(ctx, &kvs.GetKeyInput{KvsARN: aws.String(arn), Key: aws.String("r:s1")}); err != nil || aws.ToString(g.Value) != "1" {
		t.Fatalf("a lost answer: the write did not take effect: %v", err)
	}
}

// hostRecorder records the host a client sends to, and sends nothing.
type hostRecorder struct{ host string }

func (h *hostRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	h.host = r.URL.Host
	return nil, errors.New("not sent")
}

// The SDK's endpoint trap, which KVSEndpointResolver avoids: with
// BaseEndpoint, the client puts the store ARN's account id in front of
// the host, a name that does not resolve.
func TestKVSBaseEndpointTrap(t *testing.T) {
	s := start(t, Config{})
	arn := *createStore(t, sdk(s), "revocations").KeyValueStore.ARN
	rec := &hostRecorder{}
	k := kvs.New(kvs.Options{Region: "us-east-1", Credentials: testCredentials,
		BaseEndpoint: aws.String(s.Endpoint), HTTPClient: &http.Client{Transport: rec}})
	_, _ = k.DescribeKeyValueStore(ctx, &kvs.DescribeKeyValueStoreInput{KvsARN: aws.String(arn)})
	if want := "123456789012." + strings.TrimPrefix(s.Endpoint, "http://"); rec.host != want {
		t.Fatalf("with BaseEndpoint the SDK sent to %q; the trap is %q (if the SDK stopped prefixing, BaseEndpoint works: update KVSEndpointResolver's doc)", rec.host, want)
	}
	kr, _ := kvsSDK(s)
	if _, err := kr.DescribeKeyValueStore(ctx, &kvs.DescribeKeyValueStoreInput{KvsARN: aws.String(arn)}); err != nil {
		t.Fatalf("with KVSEndpointResolver: %v", err)
	}
}

func TestKVSDataRoute(t *testing.T) {
	arn := "arn%3Aaws%3Acloudfront%3A%3A123456789012%3Akey-value-store%2Fid"
	for _, tc := range []struct{ method, path, op, key string }{
		{"GET", "/key-value-stores/" + arn, "DescribeKeyValueStore", ""},
		{"GET", "/key-value-stores/" + arn + "/keys", "ListKeys", ""},
		{"POST", "/key-value-stores/" + arn + "/keys", "UpdateKeys", ""},
		{"GET", "/key-value-stores/" + arn + "/keys/a%2Fb", "GetKey", "a/b"},
		{"PUT", "/key-value-stores/" + arn + "/keys/k", "PutKey", "k"},
		{"DELETE", "/key-value-stores/" + arn + "/keys/k", "DeleteKey", "k"},
		{"PUT", "/key-value-stores/" + arn, "", ""},
		{"GET", "/key-value-stores/" + arn + "/other", "", ""},
		{"GET", "/key-value-stores/" + arn + "/keys/k/x", "", ""},
		{"GET", "/key-value-stores/", "", ""},
	} {
		rt, gotARN, key, ok := kvsDataRoute(tc.method, tc.path)
		op := rt.op
		if op != tc.op || ok != (rt.h != nil) || key != tc.key || ok != (tc.op != "") || (ok && gotARN != "arn:aws:cloudfront::123456789012:key-value-store/id") {
			t.Errorf("kvsDataRoute(%s %s) = %q %q %q %t; want %q %q", tc.method, tc.path, op, gotARN, key, ok, tc.op, tc.key)
		}
	}
}
