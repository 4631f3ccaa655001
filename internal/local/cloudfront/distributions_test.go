package cloudfront

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cf "github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
)

// A distribution through the SDK: kept as sent, ETags, publish changing
// them, the association rules, FunctionInUse, deletion once disabled.
func TestDistributionLifecycle(t *testing.T) {
	clock := newClock() // each change stays InProgress (DefaultDeployDelay) until the clock moves
	s := start(t, Config{now: clock.now})
	c := sdk(s)
	dev := createFn(t, c, "verify", testCode)
	arn := *dev.FunctionSummary.FunctionMetadata.FunctionARN

	_, err := c.CreateDistribution(ctx, &cf.CreateDistributionInput{DistributionConfig: distConfig("ref1", "127.0.0.1", 8080, arn)})
	wantCode(t, err, "InvalidFunctionAssociation") // not published yet
	_, err = c.CreateDistribution(ctx, &cf.CreateDistributionInput{DistributionConfig: distConfig("ref1", "127.0.0.1", 8080,
		"arn:aws:cloudfront::123456789012:function/unknown")})
	wantCode(t, err, "NoSuchFunctionExists")
	if _, err := c.PublishFunction(ctx, &cf.PublishFunctionInput{Name: aws.String("verify"), IfMatch: dev.ETag}); err != nil {
		t.Fatal(err)
	}

	sent := distConfig("ref1", "127.0.0.1", 8080, arn)
	created := createDist(t, c, sent)
	d := created.Distribution
	want := wantDefaults(distConfig("ref1", "127.0.0.1", 8080, arn))
	if *d.Status != "InProgress" || !etagShape.MatchString(*d.Id) || !strings.HasSuffix(*d.DomainName, ".cloudfront.net") ||
		aws.ToString(created.Location) != s.Endpoint+"/2020-05-31/distribution/"+*d.Id || !reflect.DeepEqual(d.DistributionConfig, want) {
		t.Fatalf("CreateDistribution: the configuration is not as sent with CloudFront's defaults:\n got %s\nwant %s", dump(d.DistributionConfig), dump(want))
	}
	id := d.Id
	got, err := c.GetDistributionConfig(ctx, &cf.GetDistributionConfigInput{Id: id})
	if err != nil || !reflect.DeepEqual(got.DistributionConfig, want) || *got.ETag != *created.ETag {
		t.Fatalf("GetDistributionConfig: %v; the configuration is not as sent with CloudFront's defaults:\n%+v", err, got.DistributionConfig)
	}

	// Publishing the function redeploys the distribution: a new ETag.
	desc, _ := c.DescribeFunction(ctx, &cf.DescribeFunctionInput{Name: aws.String("verify"), Stage: types.FunctionStageLive})
	if *desc.FunctionSummary.Status != "DEPLOYED" {
		t.Fatalf("LIVE status %s; want DEPLOYED", *desc.FunctionSummary.Status)
	}
	upd, err := c.UpdateFunction(ctx, &cf.UpdateFunctionInput{Name: aws.String("verify"), IfMatch: dev.ETag, FunctionCode: []byte(testCode + "\n"),
		FunctionConfig: &types.FunctionConfig{Comment: aws.String("v2"), Runtime: types.FunctionRuntimeCloudfrontJs20}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.PublishFunction(ctx, &cf.PublishFunctionInput{Name: aws.String("verify"), IfMatch: upd.ETag}); err != nil {
		t.Fatal(err)
	}
	after, err := c.GetDistribution(ctx, &cf.GetDistributionInput{Id: id})
	if err != nil || *after.ETag == *created.ETag {
		t.Fatalf("GetDistribution after publish: %v; the ETag did not change", err)
	}
	sent.Comment = aws.String("changed")
	_, err = c.UpdateDistribution(ctx, &cf.UpdateDistributionInput{Id: id, IfMatch: created.ETag, DistributionConfig: sent})
	wantCode(t, err, "PreconditionFailed") // the ETag publishing changed
	twice := distConfig("ref1", "127.0.0.1", 8080, arn)
	twice.DefaultCacheBehavior.FunctionAssociations = &types.FunctionAssociations{Quantity: aws.Int32(2), Items: []types.FunctionAssociation{
		{FunctionARN: aws.String(arn), EventType: types.EventTypeViewerRequest}, {FunctionARN: aws.String(arn), EventType: types.EventTypeViewerRequest}}}
	_, err = c.UpdateDistribution(ctx, &cf.UpdateDistributionInput{Id: id, IfMatch: after.ETag, DistributionConfig: twice})
	wantCode(t, err, "InvalidFunctionAssociation")
	originEvent := distConfig("ref1", "127.0.0.1", 8080, arn)
	originEvent.CacheBehaviors.Items[0].FunctionAssociations.Items[0].EventType = types.EventTypeOriginRequest
	_, err = c.UpdateDistribution(ctx, &cf.UpdateDistributionInput{Id: id, IfMatch: after.ETag, DistributionConfig: originEvent})
	wantCode(t, err, "MalformedXML")
	otherRef := distConfig("ref2", "127.0.0.1", 8080, arn)
	_, err = c.UpdateDistribution(ctx, &cf.UpdateDistributionInput{Id: id, IfMatch: after.ETag, DistributionConfig: otherRef})
	wantCode(t, err, "IllegalUpdate")
	updated, err := c.UpdateDistribution(ctx, &cf.UpdateDistributionInput{Id: id, IfMatch: after.ETag, DistributionConfig: sent})
	if err != nil || *updated.Distribution.DistributionConfig.Comment != "changed" {
		t.Fatalf("UpdateDistribution: %v", err)
	}

	_, err = c.DeleteFunction(ctx, &cf.DeleteFunctionInput{Name: aws.String("verify"), IfMatch: upd.ETag})
	wantCode(t, err, "FunctionInUse")
	if !strings.Contains(err.Error(), *id) {
		t.Fatalf("FunctionInUse does not name the distribution: %v", err)
	}

	_, err = c.DeleteDistribution(ctx, &cf.DeleteDistributionInput{Id: id, IfMatch: updated.ETag})
	wantCode(t, err, "DistributionNotDisabled")
	sent.Enabled = aws.Bool(false)
	sent.DefaultCacheBehavior.FunctionAssociations = &types.FunctionAssociations{Quantity: aws.Int32(0)}
	sent.CacheBehaviors.Items[0].FunctionAssociations = &types.FunctionAssociations{Quantity: aws.Int32(0)}
	disabled, err := c.UpdateDistribution(ctx, &cf.UpdateDistributionInput{Id: id, IfMatch: updated.ETag, DistributionConfig: sent})
	if err != nil {
		t.Fatal(err)
	}
	list, err := c.ListDistributions(ctx, &cf.ListDistributionsInput{})
	if err != nil || *list.DistributionList.Quantity != 1 || *list.DistributionList.Items[0].Id != *id {
		t.Fatalf("ListDistributions: %v %+v", err, list)
	}
	// Disabled, but not Deployed yet (DefaultDeployDelay): not deletable.
	_, err = c.DeleteDistribution(ctx, &cf.DeleteDistributionInput{Id: id, IfMatch: disabled.ETag})
	wantCode(t, err, "DistributionNotDisabled")
	clock.advance(DefaultDeployDelay)
	if _, err := c.DeleteDistribution(ctx, &cf.DeleteDistributionInput{Id: id, IfMatch: disabled.ETag}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetDistribution(ctx, &cf.GetDistributionInput{Id: id})
	wantCode(t, err, "NoSuchDistribution")
	if _, err = c.DeleteFunction(ctx, &cf.DeleteFunctionInput{Name: aws.String("verify"), IfMatch: upd.ETag}); err != nil {
		t.Fatalf("DeleteFunction once unused: %v", err)
	}
}

func TestDistributionErrorsAtTheWire(t *testing.T) {
	s := start(t, Config{now: newClock().now}) // a still clock: the new distribution stays InProgress
	c := sdk(s)
	created := createDist(t, c, distConfig("r", "127.0.0.1", 80, ""))
	id := *created.Distribution.Id
	_, err := c.CreateDistribution(ctx, &cf.CreateDistributionInput{DistributionConfig: distConfig("r", "127.0.0.1", 80, "")})
	wantCode(t, err, "DistributionAlreadyExists")

	var cfgXML bytes.Buffer
	resp, b := raw(t, s, "GET", "/2020-05-31/distribution/"+id+"/config", nil, "")
	cfgXML.WriteString(b)
	if resp.StatusCode != 200 || !strings.Contains(b, `<DistributionConfig xmlns="`+Namespace+`">`) {
		t.Fatalf("config: %d %s", resp.StatusCode, b)
	}
	ifMatch := map[string]string{"If-Match": resp.Header.Get("ETag")}
	for _, tc := range []struct {
		name, body string
		status     int
		code       string
	}{
		{"malformed", "<DistributionConfig><Comment>", 400, "MalformedXML"},
		{"unknown field", strings.Replace(b, "<Comment>", "<Colour>blue</Colour><Comment>", 1), 400, "MalformedXML"},
		{"bad boolean", strings.Replace(b, "<Enabled>true</Enabled>", "<Enabled>yes</Enabled>", 1), 400, "MalformedXML"},
		{"bad enum", strings.Replace(b, "<PriceClass>PriceClass_100</PriceClass>", "<PriceClass>Cheap</PriceClass>", 1), 400, "MalformedXML"},
		{"quantities", strings.Replace(b, "</CNAME></Items><Quantity>1</Quantity>", "</CNAME></Items><Quantity>2</Quantity>", 1), 400, "InconsistentQuantities"},
		{"no origin", strings.Replace(b, "<TargetOriginId>origin1</TargetOriginId>", "<TargetOriginId>nope</TargetOriginId>", 1), 404, "NoSuchOrigin"},
		{"entity", `<!DOCTYPE x [<!ENTITY a "aaaa">]><DistributionConfig/>`, 400, "MalformedXML"},
		{"wrong root", "<Distribution/>", 400, "MalformedXML"},
		{"empty", "", 400, "MalformedXML"},
		{"oversized", "<DistributionConfig>" + strings.Repeat("<Comment>x</Comment>", maxBody/10) + "</DistributionConfig>", 400, "MalformedXML"},
	} {
		resp, body := raw(t, s, "PUT", "/2020-05-31/distribution/"+id+"/config", ifMatch, tc.body)
		t.Run(tc.name, func(t *testing.T) { wantWireError(t, resp, body, tc.status, tc.code) })
	}
	resp, b = raw(t, s, "PUT", "/2020-05-31/distribution/"+id+"/config", nil, cfgXML.String())
	wantWireError(t, resp, b, 400, "InvalidIfMatchVersion")
	resp, b = raw(t, s, "PUT", "/2020-05-31/distribution/"+id+"/config", map[string]string{"If-Match": "E0000000000000"}, cfgXML.String())
	wantWireError(t, resp, b, 412, "PreconditionFailed")
	resp, b = raw(t, s, "DELETE", "/2020-05-31/distribution/"+id, ifMatch, "")
	wantWireError(t, resp, b, 409, "DistributionNotDisabled")
	resp, b = raw(t, s, "GET", "/2020-05-31/distribution/ENOPE", nil, "")
	wantWireError(t, resp, b, 404, "NoSuchDistribution")

	// GetDistribution answers the document with the configuration inside.
	_, b = raw(t, s, "GET", "/2020-05-31/distribution/"+id, nil, "")
	var doc struct {
		XMLName  xml.Name
		Status   string
		Modified string `xml:"LastModifiedTime"`
	}
	if err := xml.Unmarshal([]byte(b), &doc); err != nil || doc.XMLName.Local != "Distribution" || doc.Status != "InProgress" ||
		!strings.HasSuffix(doc.Modified, "Z") || !strings.Contains(b, "<CallerReference>r</CallerReference>") {
		t.Fatalf("GetDistribution: %v %s", err, b)
	}
}

// By default (the zero Config) a distribution is InProgress for
// DefaultDeployDelay after its creation and after each change, then
// Deployed, as CloudFront's take minutes.
func TestDeployDelayByDefault(t *testing.T) {
	clock := newClock()
	s := start(t, Config{now: clock.now})
	c := sdk(s)
	created := createDist(t, c, distConfig("r", "127.0.0.1", 80, ""))
	id := created.Distribution.Id
	status := func() string {
		t.Helper()
		got, err := c.GetDistribution(ctx, &cf.GetDistributionInput{Id: id})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(got.Distribution.Status)
	}
	if got, now := aws.ToString(created.Distribution.Status), status(); got != "InProgress" || now != "InProgress" {
		t.Fatalf("a new distribution: CreateDistribution says %s, GetDistribution %s; want InProgress", got, now)
	}
	clock.advance(DefaultDeployDelay - time.Millisecond)
	if got := status(); got != "InProgress" {
		t.Fatalf("just before DefaultDeployDelay: %s; want InProgress", got)
	}
	clock.advance(time.Millisecond)
	if got := status(); got != "Deployed" {
		t.Fatalf("after DefaultDeployDelay: %s; want Deployed", got)
	}
	cfg := distConfig("r", "127.0.0.1", 80, "")
	cfg.Comment = aws.String("changed")
	if _, err := c.UpdateDistribution(ctx, &cf.UpdateDistributionInput{Id: id, IfMatch: created.ETag, DistributionConfig: cfg}); err != nil {
		t.Fatal(err)
	}
	if got := status(); got != "InProgress" {
		t.Fatalf("after an update: %s; want InProgress", got)
	}
	clock.advance(DefaultDeployDelay)
	if got := status(); got != "Deployed" {
		t.Fatalf("DefaultDeployDelay after the update: %s; want Deployed", got)
	}
}

// InstantDeploy, the opt-out, deploys every change at once, whatever
// DeployDelay says; a negative DeployDelay is refused.
func TestInstantDeploy(t *testing.T) {
	s := start(t, Config{InstantDeploy: true, DeployDelay: time.Hour, now: newClock().now})
	c := sdk(s)
	created := createDist(t, c, distConfig("r", "127.0.0.1", 80, ""))
	if got := aws.ToString(created.Distribution.Status); got != "Deployed" {
		t.Fatalf("InstantDeploy: a new distribution is %s; want Deployed", got)
	}
	cfg := distConfig("r", "127.0.0.1", 80, "")
	cfg.Comment = aws.String("changed")
	upd, err := c.UpdateDistribution(ctx, &cf.UpdateDistributionInput{Id: created.Distribution.Id, IfMatch: created.ETag, DistributionConfig: cfg})
	if err != nil || aws.ToString(upd.Distribution.Status) != "Deployed" {
		t.Fatalf("InstantDeploy: after an update: %v, %+v; want Deployed", err, upd)
	}
	if _, err := New(Config{DeployDelay: -time.Second}); err == nil || !strings.Contains(err.Error(), "DeployDelay -1s") {
		t.Fatalf("New with a negative DeployDelay: %v; want an error that names it", err)
	}
}

// DeployDelay keeps a change InProgress, as the SDK's waiter expects.
func TestDeployDelay(t *testing.T) {
	s := start(t, Config{DeployDelay: 200 * time.Millisecond})
	c := sdk(s)
	out, err := c.CreateDistribution(ctx, &cf.CreateDistributionInput{DistributionConfig: distConfig("r", "127.0.0.1", 80, "")})
	if err != nil || *out.Distribution.Status != "InProgress" {
		t.Fatalf("%v; want InProgress", err)
	}
	w := cf.NewDistributionDeployedWaiter(c, func(o *cf.DistributionDeployedWaiterOptions) { o.MinDelay = 50 * time.Millisecond })
	if err := w.Wait(ctx, &cf.GetDistributionInput{Id: out.Distribution.Id}, 5*time.Second); err != nil {
		t.Fatalf("waiting for Deployed: %v", err)
	}
}

// Faults: the Nth call fails with the code given, retries of the SDK see
// the next calls succeed, latency is added.
func TestFaults(t *testing.T) {
	s := start(t, Config{})
	c := sdk(s)
	created := createDist(t, c, distConfig("r", "127.0.0.1", 80, ""))
	id := created.Distribution.Id

	s.Fail("UpdateDistribution", 1, "PreconditionFailed")
	in := &cf.UpdateDistributionInput{Id: id, IfMatch: created.ETag, DistributionConfig: distConfig("r", "127.0.0.1", 80, "")}
	_, err := c.UpdateDistribution(ctx, in)
	wantCode(t, err, "PreconditionFailed")
	if _, err := c.UpdateDistribution(ctx, in); err != nil {
		t.Fatalf("the second call should pass: %v", err)
	}

	before := s.Calls("GetDistribution")
	s.Inject(Fault{Op: "GetDistribution", Nth: 1, Times: 2, Code: "ServiceUnavailable"})
	if _, err := c.GetDistribution(ctx, &cf.GetDistributionInput{Id: id}); err != nil {
		t.Fatalf("the SDK should retry two 503s: %v", err)
	}
	if n := s.Calls("GetDistribution") - before; n != 3 {
		t.Fatalf("%d calls; want 3 (two failures and a retry)", n)
	}
	s.Inject(Fault{Op: "GetDistribution", Nth: 1, Times: 3, Code: "Throttling"})
	_, err = c.GetDistribution(ctx, &cf.GetDistributionInput{Id: id})
	wantCode(t, err, "Throttling")

	resp, _ := raw(t, s, "POST", "/_local/faults", nil, `{"op":"ListDistributions","nth":1,"code":"InternalError"}`)
	if resp.StatusCode != 204 {
		t.Fatalf("admin route: %d", resp.StatusCode)
	}
	resp, b := raw(t, s, "GET", "/2020-05-31/distribution", nil, "")
	wantWireError(t, resp, b, 500, "InternalError")

	s.Delay("ListDistributions", 100*time.Millisecond)
	start := time.Now()
	if _, err := c.ListDistributions(ctx, &cf.ListDistributionsInput{}); err != nil || time.Since(start) < 100*time.Millisecond {
		t.Fatalf("latency: %v after %v", err, time.Since(start))
	}
	s.ClearFaults()
}

// The state file keeps functions and distributions across a restart.
func TestStateFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "state.json")
	s := start(t, Config{StateFile: file})
	c := sdk(s)
	arn := createLive(t, c, "f", testCode)
	created := createDist(t, c, distConfig("r", "127.0.0.1", 80, arn))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	again := start(t, Config{StateFile: file})
	c = sdk(again)
	got, err := c.GetDistributionConfig(ctx, &cf.GetDistributionConfigInput{Id: created.Distribution.Id})
	if err != nil || *got.ETag != *created.ETag || !reflect.DeepEqual(got.DistributionConfig, created.Distribution.DistributionConfig) {
		t.Fatalf("after a restart: %v", err)
	}
	if _, err := c.DescribeFunction(ctx, &cf.DescribeFunctionInput{Name: aws.String("f"), Stage: types.FunctionStageLive}); err != nil {
		t.Fatalf("after a restart: %v", err)
	}
	if again.EdgeURL(*created.Distribution.Id) == "" {
		t.Fatal("no edge listener for the restored distribution")
	}
}

// A function serves at most 100 distributions.
func TestTooManyDistributionsWithFunction(t *testing.T) {
	s := start(t, Config{})
	c := sdk(s)
	arn := createLive(t, c, "f", testCode)
	for i := range maxDistributionsPerFunction {
		if _, err := c.CreateDistribution(ctx, &cf.CreateDistributionInput{DistributionConfig: distConfig(fmt.Sprint(i), "127.0.0.1", 80, arn)}); err != nil {
			t.Fatal(err)
		}
	}
	_, err := c.CreateDistribution(ctx, &cf.CreateDistributionInput{DistributionConfig: distConfig("one more", "127.0.0.1", 80, arn)})
	wantCode(t, err, "TooManyDistributionsWithFunctionAssociations")
}
