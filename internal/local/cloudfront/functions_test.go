package cloudfront

import (
	"encoding/base64"
	"encoding/xml"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cf "github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront/types"

	"github.com/securestream/terraform-provider-securestream/internal/cflimits"
)

var etagShape = regexp.MustCompile(`^E[A-Z0-9]{13}$`)

// The stage model through the SDK, as terraform-provider-aws drives it:
// create, read both stages, update (ETtag), publish, test, delete.
func TestFunctionLifecycle(t *testing.T) {
	s := start(t, Config{})
	c := sdk(s)
	name := aws.String("securestream-verify")

	created := createFn(t, c, *name, testCode)
	meta := created.FunctionSummary.FunctionMetadata
	if !etagShape.MatchString(aws.ToString(created.ETag)) || created.FunctionSummary.Status == nil ||
		*created.FunctionSummary.Status != "UNPUBLISHED" || meta.Stage != types.FunctionStageDevelopment ||
		*meta.FunctionARN != "arn:aws:cloudfront::123456789012:function/securestream-verify" || meta.CreatedTime == nil {
		t.Fatalf("CreateFunction: ETag %v, summary %+v", aws.ToString(created.ETag), created.FunctionSummary)
	}
	if want := s.Endpoint + "/2020-05-31/function/" + *meta.FunctionARN; aws.ToString(created.Location) != want {
		t.Fatalf("Location %q; want %q", aws.ToString(created.Location), want)
	}

	_, err := c.DescribeFunction(ctx, &cf.DescribeFunctionInput{Name: name, Stage: types.FunctionStageLive})
	wantCode(t, err, "NoSuchFunctionExists") // TF sets live_stage_etag = "" on this 404
	_, err = c.GetFunction(ctx, &cf.GetFunctionInput{Name: name, Stage: types.FunctionStageLive})
	wantCode(t, err, "NoSuchFunctionExists")

	desc, err := c.DescribeFunction(ctx, &cf.DescribeFunctionInput{Name: name})
	if err != nil || *desc.ETag != *created.ETag {
		t.Fatalf("DescribeFunction: %v, ETag %v; want %v", err, aws.ToString(desc.ETag), *created.ETag)
	}
	got, err := c.GetFunction(ctx, &cf.GetFunctionInput{Name: name, Stage: types.FunctionStageDevelopment})
	if err != nil || string(got.FunctionCode) != testCode || *got.ETag != *created.ETag {
		t.Fatalf("GetFunction: %v %q", err, got.FunctionCode)
	}

	newCode := `function handler(event) { console.log("v2"); return event.request; }`
	cfg := &types.FunctionConfig{Comment: aws.String("v2"), Runtime: types.FunctionRuntimeCloudfrontJs20}
	_, err = c.UpdateFunction(ctx, &cf.UpdateFunctionInput{Name: name, IfMatch: aws.String("E0000000000000"), FunctionCode: []byte(newCode), FunctionConfig: cfg})
	wantCode(t, err, "PreconditionFailed")
	updated, err := c.UpdateFunction(ctx, &cf.UpdateFunctionInput{Name: name, IfMatch: created.ETag, FunctionCode: []byte(newCode), FunctionConfig: cfg})
	if err != nil || !etagShape.MatchString(aws.ToString(updated.ETag)) || *updated.ETag == *created.ETag {
		t.Fatalf("UpdateFunction: %v; ETag (read from ETtag) %v", err, aws.ToString(updated.ETag))
	}

	_, err = c.PublishFunction(ctx, &cf.PublishFunctionInput{Name: name, IfMatch: created.ETag})
	wantCode(t, err, "PreconditionFailed")
	pub, err := c.PublishFunction(ctx, &cf.PublishFunctionInput{Name: name, IfMatch: updated.ETag})
	if err != nil || pub.FunctionSummary.FunctionMetadata.Stage != types.FunctionStageLive {
		t.Fatalf("PublishFunction: %v %+v", err, pub)
	}
	live, err := c.DescribeFunction(ctx, &cf.DescribeFunctionInput{Name: name, Stage: types.FunctionStageLive})
	if err != nil || *live.FunctionSummary.Status != "UNASSOCIATED" || *live.FunctionSummary.FunctionConfig.Comment != "v2" {
		t.Fatalf("DescribeFunction(LIVE): %v %+v", err, live)
	}
	liveCode, err := c.GetFunction(ctx, &cf.GetFunctionInput{Name: name, Stage: types.FunctionStageLive})
	if err != nil || string(liveCode.FunctionCode) != newCode {
		t.Fatalf("GetFunction(LIVE): %v %q", err, liveCode.FunctionCode)
	}

	list, err := c.ListFunctions(ctx, &cf.ListFunctionsInput{})
	if err != nil || *list.FunctionList.Quantity != 2 {
		t.Fatalf("ListFunctions: %v; want the DEVELOPMENT and LIVE rows: %+v", err, list.FunctionList)
	}
	list, err = c.ListFunctions(ctx, &cf.ListFunctionsInput{Stage: types.FunctionStageLive})
	if err != nil || *list.FunctionList.Quantity != 1 || list.FunctionList.Items[0].FunctionMetadata.Stage != types.FunctionStageLive {
		t.Fatalf("ListFunctions(LIVE): %v %+v", err, list.FunctionList)
	}

	event := []byte(`{"version":"1.0","context":{"eventType":"viewer-request"},"viewer":{"ip":"198.51.100.7"},` +
		`"request":{"method":"GET","uri":"/a","querystring":{},"headers":{},"cookies":{}}}`)
	res, err := c.TestFunction(ctx, &cf.TestFunctionInput{Name: name, IfMatch: live.ETag, Stage: types.FunctionStageLive, EventObject: event})
	if err != nil {
		t.Fatal(err)
	}
	tr := res.TestResult
	if aws.ToString(tr.FunctionErrorMessage) != "" || !strings.Contains(aws.ToString(tr.FunctionOutput), `"uri":"/a"`) ||
		len(tr.FunctionExecutionLogs) != 1 || tr.FunctionExecutionLogs[0] != "v2" || aws.ToString(tr.ComputeUtilization) == "" {
		t.Fatalf("TestFunction: %+v", tr)
	}
	_, err = c.TestFunction(ctx, &cf.TestFunctionInput{Name: name, IfMatch: updated.ETag, Stage: types.FunctionStageLive, EventObject: event})
	wantCode(t, err, "PreconditionFailed") // the LIVE stage's ETag is needed

	_, err = c.DeleteFunction(ctx, &cf.DeleteFunctionInput{Name: name, IfMatch: created.ETag})
	wantCode(t, err, "PreconditionFailed")
	if _, err = c.DeleteFunction(ctx, &cf.DeleteFunctionInput{Name: name, IfMatch: updated.ETag}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DescribeFunction(ctx, &cf.DescribeFunctionInput{Name: name})
	wantCode(t, err, "NoSuchFunctionExists")
}

// Every function error of the reference's table, through the SDK and at
// the wire.
func TestFunctionErrors(t *testing.T) {
	s := start(t, Config{MaxFunctions: 2})
	c := sdk(s)
	first := createFn(t, c, "f1", testCode)

	_, err := c.CreateFunction(ctx, &cf.CreateFunctionInput{Name: aws.String("f1"), FunctionCode: []byte(testCode),
		FunctionConfig: &types.FunctionConfig{Comment: aws.String(""), Runtime: types.FunctionRuntimeCloudfrontJs20}})
	wantCode(t, err, "FunctionAlreadyExists")

	big := []byte("function handler(e) { return e.request; }\n//" + strings.Repeat("x", cflimits.FunctionCodeSize))
	_, err = c.CreateFunction(ctx, &cf.CreateFunctionInput{Name: aws.String("big"), FunctionCode: big,
		FunctionConfig: &types.FunctionConfig{Comment: aws.String(""), Runtime: types.FunctionRuntimeCloudfrontJs20}})
	wantCode(t, err, "FunctionSizeLimitExceeded")
	exact := []byte(strings.Repeat(" ", cflimits.FunctionCodeSize-len(testCode)) + testCode)
	createFn(t, c, "f2", string(exact)) // exactly 10,240 bytes is allowed

	_, err = c.CreateFunction(ctx, &cf.CreateFunctionInput{Name: aws.String("f3"), FunctionCode: []byte(testCode),
		FunctionConfig: &types.FunctionConfig{Comment: aws.String(""), Runtime: types.FunctionRuntimeCloudfrontJs20}})
	wantCode(t, err, "TooManyFunctions")

	for _, op := range []func() error{
		func() error {
			_, err := c.UpdateFunction(ctx, &cf.UpdateFunctionInput{Name: aws.String("nope"), IfMatch: first.ETag, FunctionCode: []byte(testCode),
				FunctionConfig: &types.FunctionConfig{Comment: aws.String(""), Runtime: types.FunctionRuntimeCloudfrontJs20}})
			return err
		},
		func() error {
			_, err := c.PublishFunction(ctx, &cf.PublishFunctionInput{Name: aws.String("nope"), IfMatch: first.ETag})
			return err
		},
		func() error {
			_, err := c.TestFunction(ctx, &cf.TestFunctionInput{Name: aws.String("nope"), IfMatch: first.ETag, EventObject: []byte("{}")})
			return err
		},
		func() error {
			_, err := c.DeleteFunction(ctx, &cf.DeleteFunctionInput{Name: aws.String("nope"), IfMatch: first.ETag})
			return err
		},
	} {
		wantCode(t, op(), "NoSuchFunctionExists")
	}

	// At the wire: what the SDK would refuse to send.
	body := func(name, code string) string {
		return `<CreateFunctionRequest xmlns="` + Namespace + `"><Name>` + name + `</Name><FunctionConfig><Comment>c</Comment>` +
			`<Runtime>cloudfront-js-2.0</Runtime></FunctionConfig><FunctionCode>` + base64.StdEncoding.EncodeToString([]byte(code)) +
			`</FunctionCode></CreateFunctionRequest>`
	}
	resp, b := raw(t, s, "POST", "/2020-05-31/function", nil, body("f1", testCode))
	wantWireError(t, resp, b, 409, "FunctionAlreadyExists")
	resp, b = raw(t, s, "POST", "/2020-05-31/function", nil, body("bad name!", testCode))
	wantWireError(t, resp, b, 400, "InvalidArgument")
	resp, b = raw(t, s, "POST", "/2020-05-31/function", nil, body("big", string(big)))
	wantWireError(t, resp, b, 413, "FunctionSizeLimitExceeded")
	for _, h := range []map[string]string{nil, {"If-Match": ""}, {"If-Match": `"garbled etag"`}} {
		for _, p := range []struct{ method, path, body string }{
			{"PUT", "/2020-05-31/function/f1", body("f1", testCode)},
			{"POST", "/2020-05-31/function/f1/publish", ""},
			{"POST", "/2020-05-31/function/f1/test", `<TestFunctionRequest><EventObject>e30=</EventObject></TestFunctionRequest>`},
			{"DELETE", "/2020-05-31/function/f1", ""},
		} {
			resp, b = raw(t, s, p.method, p.path, h, p.body)
			wantWireError(t, resp, b, 400, "InvalidIfMatchVersion")
		}
	}
	resp, b = raw(t, s, "PUT", "/2020-05-31/function/f1", map[string]string{"If-Match": "E0000000000000"},
		strings.Replace(strings.Replace(body("f1", testCode), "CreateFunctionRequest", "UpdateFunctionRequest", 2), "<Name>f1</Name>", "", 1))
	wantWireError(t, resp, b, 412, "PreconditionFailed")
	resp, b = raw(t, s, "GET", "/2020-05-31/function/f1/describe?Stage=STAGING", nil, "")
	wantWireError(t, resp, b, 400, "InvalidArgument")
	resp, b = raw(t, s, "GET", "/2020-05-31/function?MaxItems=0", nil, "")
	wantWireError(t, resp, b, 400, "InvalidArgument")
	resp, b = raw(t, s, "GET", "/2020-05-31/function/nope/describe", nil, "")
	wantWireError(t, resp, b, 404, "NoSuchFunctionExists")
	resp, b = raw(t, s, "GET", "/2019-03-26/function", nil, "")
	wantWireError(t, resp, b, 400, "UnsupportedOperation")
}

// Wire details the SDK hides: statuses, the ETtag header, Location, the
// namespace, timestamps with Z.
func TestFunctionWire(t *testing.T) {
	s := start(t, Config{})
	body := `<CreateFunctionRequest xmlns="` + Namespace + `"><Name>w</Name><FunctionConfig><Comment>c</Comment>` +
		`<Runtime>cloudfront-js-1.0</Runtime></FunctionConfig><FunctionCode>` + base64.StdEncoding.EncodeToString([]byte(testCode)) +
		`</FunctionCode></CreateFunctionRequest>`
	resp, b := raw(t, s, "POST", "/2020-05-31/function", map[string]string{"Content-Type": "application/xml"}, body)
	var sum struct {
		XMLName xml.Name
		Created string `xml:"FunctionMetadata>CreatedTime"`
	}
	if err := xml.Unmarshal([]byte(b), &sum); err != nil || resp.StatusCode != 201 || sum.XMLName.Space != Namespace ||
		sum.XMLName.Local != "FunctionSummary" || !strings.HasSuffix(sum.Created, "Z") || resp.Header.Get("X-Amzn-Requestid") == "" {
		t.Fatalf("create: %d %v %s", resp.StatusCode, err, b)
	}
	etag := resp.Header.Get("ETag")
	resp, _ = raw(t, s, "PUT", "/2020-05-31/function/w", map[string]string{"If-Match": etag},
		strings.ReplaceAll(strings.Replace(body, "<Name>w</Name>", "", 1), "CreateFunctionRequest", "UpdateFunctionRequest"))
	if resp.StatusCode != 200 || resp.Header.Get("ETtag") == "" || resp.Header.Get("ETtag") != resp.Header.Get("ETag") {
		t.Fatalf("update: %d, ETtag %q ETag %q", resp.StatusCode, resp.Header.Get("ETtag"), resp.Header.Get("ETag"))
	}
	etag = resp.Header.Get("ETag")
	resp, b = raw(t, s, "GET", "/2020-05-31/function/w", nil, "")
	if resp.StatusCode != 200 || b != testCode || resp.Header.Get("ETag") != etag {
		t.Fatalf("get: %d %q", resp.StatusCode, b)
	}
	resp, _ = raw(t, s, "DELETE", "/2020-05-31/function/w", map[string]string{"If-Match": etag}, "")
	if resp.StatusCode != 204 {
		t.Fatalf("delete: %d", resp.StatusCode)
	}
}

// Code that does not compile is accepted, as at AWS, and TestFunction
// reports the error; a throw is reported the same way.
func TestTestFunctionErrors(t *testing.T) {
	s := start(t, Config{})
	c := sdk(s)
	for name, code := range map[string]string{
		"export":  `function handler(e) { return e.request; } export { handler };`,
		"syntax":  `function handler(e) { return e.request`,
		"throws":  `function handler(e) { throw new Error("boom"); }`,
		"invalid": `function handler(e) { return 42; }`,
	} {
		out := createFn(t, c, name, code)
		res, err := c.TestFunction(ctx, &cf.TestFunctionInput{Name: aws.String(name), IfMatch: out.ETag, EventObject: []byte(
			`{"version":"1.0","context":{"eventType":"viewer-request"},"viewer":{"ip":"1.2.3.4"},"request":{"method":"GET","uri":"/","querystring":{},"headers":{},"cookies":{}}}`)})
		if err != nil || aws.ToString(res.TestResult.FunctionErrorMessage) == "" || aws.ToString(res.TestResult.FunctionOutput) != "" {
			t.Errorf("%s: %v %+v; want a result with FunctionErrorMessage", name, err, res)
		}
	}
	out := createFn(t, c, "big-event", testCode)
	_, err := c.TestFunction(ctx, &cf.TestFunctionInput{Name: aws.String("big-event"), IfMatch: out.ETag,
		EventObject: []byte(strings.Repeat(" ", maxEventObject+1))})
	wantCode(t, err, "InvalidArgument")
}

func TestListFunctionsPages(t *testing.T) {
	s := start(t, Config{})
	c := sdk(s)
	resp, b := raw(t, s, "GET", "/2020-05-31/function", nil, "")
	if resp.StatusCode != 200 || strings.Contains(b, "<Items") || !strings.Contains(b, "<Quantity>0</Quantity>") {
		t.Fatalf("an empty list: %d %s; want Quantity 0 and no Items", resp.StatusCode, b)
	}
	for _, name := range []string{"fn", "fn-a", "fn0", "fn1", "fn_b"} {
		createFn(t, c, name, testCode)
	}
	var names []string
	var marker *string
	for range 10 {
		out, err := c.ListFunctions(ctx, &cf.ListFunctionsInput{MaxItems: aws.Int32(2), Marker: marker})
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range out.FunctionList.Items {
			names = append(names, *it.Name)
		}
		if marker = out.FunctionList.NextMarker; marker == nil {
			break
		}
	}
	if strings.Join(names, ",") != "fn,fn-a,fn0,fn1,fn_b" {
		t.Fatalf("pages gave %v", names)
	}
}

// By default, as terraform-provider-aws #49572 saw AWS do, publishing an
// unchanged DEVELOPMENT stage again is refused (412), on the wire too; a
// change of the code makes it publishable again.
func TestPublishUnchangedRefusedByDefault(t *testing.T) {
	s := start(t, Config{})
	c := sdk(s)
	out := createFn(t, c, "f", testCode)
	if _, err := c.PublishFunction(ctx, &cf.PublishFunctionInput{Name: aws.String("f"), IfMatch: out.ETag}); err != nil {
		t.Fatal(err)
	}
	_, err := c.PublishFunction(ctx, &cf.PublishFunctionInput{Name: aws.String("f"), IfMatch: out.ETag})
	wantCode(t, err, "PreconditionFailed")
	resp, b := raw(t, s, "POST", "/2020-05-31/function/f/publish", map[string]string{"If-Match": *out.ETag}, "")
	wantWireError(t, resp, b, 412, "PreconditionFailed")

	up, err := c.UpdateFunction(ctx, &cf.UpdateFunctionInput{Name: aws.String("f"), IfMatch: out.ETag, FunctionCode: []byte(testCode + "\n"),
		FunctionConfig: &types.FunctionConfig{Comment: aws.String("test"), Runtime: types.FunctionRuntimeCloudfrontJs20}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.PublishFunction(ctx, &cf.PublishFunctionInput{Name: aws.String("f"), IfMatch: up.ETag}); err != nil {
		t.Fatalf("publishing changed code: %v", err)
	}
}

// LenientPublish, the opt-out, publishes an unchanged DEVELOPMENT stage
// again: 200 and a new LIVE ETag.
func TestLenientPublish(t *testing.T) {
	s := start(t, Config{LenientPublish: true})
	c := sdk(s)
	out := createFn(t, c, "f", testCode)
	first, err := c.PublishFunction(ctx, &cf.PublishFunctionInput{Name: aws.String("f"), IfMatch: out.ETag})
	if err != nil {
		t.Fatal(err)
	}
	live := func() string {
		d, err := c.DescribeFunction(ctx, &cf.DescribeFunctionInput{Name: aws.String("f"), Stage: types.FunctionStageLive})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(d.ETag)
	}
	before := live()
	second, err := c.PublishFunction(ctx, &cf.PublishFunctionInput{Name: aws.String("f"), IfMatch: out.ETag})
	if err != nil {
		t.Fatalf("LenientPublish: publishing unchanged code again: %v; want 200", err)
	}
	if after := live(); after == before || first.FunctionSummary == nil || second.FunctionSummary == nil {
		t.Fatalf("LIVE ETag %s before the second publish, %s after; want a new one", before, after)
	}
}

// A byte order mark makes TestFunction itself fail (500, which the SDK
// retries); the utilization is reported against the configured base.
func TestTestFunctionFailedAndUtilization(t *testing.T) {
	s := start(t, Config{UtilizationBase: time.Nanosecond})
	c := sdk(s)
	event := []byte(`{"version":"1.0","context":{"eventType":"viewer-request"},"viewer":{"ip":"1.2.3.4"},` +
		`"request":{"method":"GET","uri":"/","querystring":{},"headers":{},"cookies":{}}}`)
	bom := createFn(t, c, "bom", "\xef\xbb\xbf"+testCode)
	_, err := c.TestFunction(ctx, &cf.TestFunctionInput{Name: aws.String("bom"), IfMatch: bom.ETag, EventObject: event})
	wantCode(t, err, "TestFunctionFailed")
	resp, b := raw(t, s, "POST", "/2020-05-31/function/bom/test", map[string]string{"If-Match": *bom.ETag},
		`<TestFunctionRequest xmlns="`+Namespace+`"><EventObject>`+base64.StdEncoding.EncodeToString(event)+`</EventObject></TestFunctionRequest>`)
	wantWireError(t, resp, b, 500, "TestFunctionFailed")

	ok := createFn(t, c, "ok", testCode)
	res, err := c.TestFunction(ctx, &cf.TestFunctionInput{Name: aws.String("ok"), IfMatch: ok.ETag, EventObject: event})
	if err != nil || aws.ToString(res.TestResult.ComputeUtilization) != "100" {
		t.Fatalf("%v; ComputeUtilization %v, want 100 against a 1 ns base", err, res)
	}

	_, err = c.CreateFunction(ctx, &cf.CreateFunctionInput{Name: aws.String("kvs"), FunctionCode: []byte(testCode),
		FunctionConfig: &types.FunctionConfig{Comment: aws.String(""), Runtime: types.FunctionRuntimeCloudfrontJs10,
			KeyValueStoreAssociations: &types.KeyValueStoreAssociations{Quantity: aws.Int32(1), Items: []types.KeyValueStoreAssociation{
				{KeyValueStoreARN: aws.String("arn:aws:cloudfront::123456789012:key-value-store/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0")}}}}})
	wantCode(t, err, "InvalidArgument") // key value stores need cloudfront-js-2.0
}
