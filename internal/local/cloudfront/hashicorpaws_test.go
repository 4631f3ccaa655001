package cloudfront

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cf "github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
)

// The calls hashicorp/aws makes for examples/complete, through the SDK
// (internal/local/awsprovidertest drives them with the provider itself).

func tagsOf(t *testing.T, c *cf.Client, arn string) map[string]string {
	t.Helper()
	out, err := c.ListTagsForResource(ctx, &cf.ListTagsForResourceInput{Resource: aws.String(arn)})
	if err != nil {
		t.Fatalf("ListTagsForResource %s: %v", arn, err)
	}
	m := map[string]string{}
	for _, tag := range out.Tags.Items {
		m[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
	}
	return m
}

func sdkTags(kv ...string) *types.Tags {
	tags := &types.Tags{Items: []types.Tag{}}
	for i := 0; i < len(kv); i += 2 {
		tags.Items = append(tags.Items, types.Tag{Key: aws.String(kv[i]), Value: aws.String(kv[i+1])})
	}
	return tags
}

// CreateDistributionWithTags (the only way hashicorp/aws creates), and
// the tags of distributions and functions.
func TestCreateDistributionWithTagsAndTagging(t *testing.T) {
	s := start(t, Config{})
	c := sdk(s)
	arn := createLive(t, c, "verify", testCode)

	created, err := c.CreateDistributionWithTags(ctx, &cf.CreateDistributionWithTagsInput{DistributionConfigWithTags: &types.DistributionConfigWithTags{
		DistributionConfig: distConfig("tagged", "127.0.0.1", 8080, arn), Tags: sdkTags("app", "video", "env", "test")}})
	if err != nil {
		t.Fatalf("CreateDistributionWithTags: %v", err)
	}
	d := created.Distribution
	if aws.ToString(created.Location) != s.Endpoint+"/2020-05-31/distribution/"+*d.Id || aws.ToString(created.ETag) == "" ||
		!reflect.DeepEqual(d.DistributionConfig, wantDefaults(distConfig("tagged", "127.0.0.1", 8080, arn))) {
		t.Fatalf("CreateDistributionWithTags: %+v", created)
	}
	if got := tagsOf(t, c, *d.ARN); !reflect.DeepEqual(got, map[string]string{"app": "video", "env": "test"}) {
		t.Fatalf("tags after create: %v", got)
	}
	if _, err := c.TagResource(ctx, &cf.TagResourceInput{Resource: d.ARN, Tags: sdkTags("owner", "media")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UntagResource(ctx, &cf.UntagResourceInput{Resource: d.ARN, TagKeys: &types.TagKeys{Items: []string{"env"}}}); err != nil {
		t.Fatal(err)
	}
	if got := tagsOf(t, c, *d.ARN); !reflect.DeepEqual(got, map[string]string{"app": "video", "owner": "media"}) {
		t.Fatalf("tags after tag and untag: %v", got)
	}
	// With no tags at all (hashicorp/aws sends <Tags><Items/></Tags>).
	bare, err := c.CreateDistributionWithTags(ctx, &cf.CreateDistributionWithTagsInput{DistributionConfigWithTags: &types.DistributionConfigWithTags{
		DistributionConfig: distConfig("bare", "127.0.0.1", 8080, ""), Tags: sdkTags()}})
	if err != nil {
		t.Fatalf("CreateDistributionWithTags without tags: %v", err)
	}
	if got := tagsOf(t, c, *bare.Distribution.ARN); len(got) != 0 {
		t.Fatalf("tags of a distribution created without: %v", got)
	}

	// Functions: tags given at create, and the tagging calls.
	if _, err := c.CreateFunction(ctx, &cf.CreateFunctionInput{Name: aws.String("tagged-fn"), FunctionCode: []byte(testCode),
		FunctionConfig: &types.FunctionConfig{Comment: aws.String("t"), Runtime: types.FunctionRuntimeCloudfrontJs20}, Tags: sdkTags("app", "video")}); err != nil {
		t.Fatal(err)
	}
	fnARN := "arn:aws:cloudfront::" + DefaultAccountID + ":function/tagged-fn"
	if got := tagsOf(t, c, fnARN); !reflect.DeepEqual(got, map[string]string{"app": "video"}) {
		t.Fatalf("function tags: %v", got)
	}

	_, err = c.ListTagsForResource(ctx, &cf.ListTagsForResourceInput{Resource: aws.String("arn:aws:cloudfront::" + DefaultAccountID + ":distribution/ENOSUCH")})
	wantCode(t, err, "NoSuchResource")
	_, err = c.ListTagsForResource(ctx, &cf.ListTagsForResourceInput{Resource: aws.String("arn:aws:s3:::bucket")})
	wantCode(t, err, "InvalidArgument")
	_, err = c.TagResource(ctx, &cf.TagResourceInput{Resource: d.ARN, Tags: sdkTags("aws:reserved", "x")})
	wantCode(t, err, "InvalidTagging")

	// The state file keeps the tags.
	file := filepath.Join(t.TempDir(), "state.json")
	st := start(t, Config{StateFile: file})
	sc := sdk(st)
	kept, err := sc.CreateDistributionWithTags(ctx, &cf.CreateDistributionWithTagsInput{DistributionConfigWithTags: &types.DistributionConfigWithTags{
		DistributionConfig: distConfig("kept", "127.0.0.1", 8080, ""), Tags: sdkTags("app", "video")}})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	if got := tagsOf(t, sdk(start(t, Config{StateFile: file})), *kept.Distribution.ARN); !reflect.DeepEqual(got, map[string]string{"app": "video"}) {
		t.Fatalf("tags after a restart: %v", got)
	}
}

// Operations this emulator does not serve, on paths it knows, are
// UnsupportedOperation, never MalformedXML; a wrong document under a
// served one is MalformedXML.
func TestUnsupportedOperations(t *testing.T) {
	s := start(t, Config{})
	for _, tc := range []struct{ method, path string }{
		{"POST", "/2020-05-31/tagging"},
		{"POST", "/2020-05-31/tagging?Operation=Frobnicate&Resource=x"},
		{"POST", "/2020-05-31/distribution/E1/copy"},
		{"POST", "/2020-05-31/cache-policy"},
		{"GET", "/2020-05-31/streaming-distribution"},
	} {
		resp, body := raw(t, s, tc.method, tc.path, nil, "<x/>")
		wantWireError(t, resp, body, http.StatusBadRequest, "UnsupportedOperation")
	}
	resp, body := raw(t, s, "POST", "/2020-05-31/distribution?WithTags", nil,
		`<DistributionConfig xmlns="`+Namespace+`"><CallerReference>r</CallerReference></DistributionConfig>`)
	wantWireError(t, resp, body, http.StatusBadRequest, "MalformedXML")
	if !strings.Contains(body, "DistributionConfigWithTags") {
		t.Fatalf("the error does not name the expected root: %s", body)
	}
}

// A distribution created with the required members only is answered with
// CloudFront's defaults filled in, by every call (hashicorp/aws reads
// OriginGroups.Quantity and the like unchecked, and panicked on nil).
func TestDefaultsFilledIn(t *testing.T) {
	s := start(t, Config{})
	c := sdk(s)
	minimal := `<DistributionConfig xmlns="` + Namespace + `"><CallerReference>min</CallerReference><Comment>m</Comment><Enabled>true</Enabled>` +
		`<Origins><Quantity>1</Quantity><Items><Origin><Id>s3</Id><DomainName>media.s3.eu-west-1.amazonaws.com</DomainName></Origin></Items></Origins>` +
		`<DefaultCacheBehavior><TargetOriginId>s3</TargetOriginId><ViewerProtocolPolicy>allow-all</ViewerProtocolPolicy>` +
		`<CachePolicyId>658327ea-f89d-4fab-a63d-7e88639e58f6</CachePolicyId></DefaultCacheBehavior></DistributionConfig>`
	resp, body := raw(t, s, "POST", "/2020-05-31/distribution", map[string]string{"Content-Type": "application/xml"}, minimal)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %s", resp.StatusCode, body)
	}
	list, err := c.ListDistributions(ctx, &cf.ListDistributionsInput{})
	if err != nil || len(list.DistributionList.Items) != 1 {
		t.Fatalf("ListDistributions: %v", err)
	}
	sum := list.DistributionList.Items[0]
	got, err := c.GetDistributionConfig(ctx, &cf.GetDistributionConfigInput{Id: sum.Id})
	if err != nil {
		t.Fatal(err)
	}
	dc := got.DistributionConfig
	o := dc.Origins.Items[0]
	dcb := dc.DefaultCacheBehavior
	q := func(p *int32) int32 { return aws.ToInt32(p) }
	for _, check := range []struct {
		what string
		ok   bool
	}{
		{"OriginGroups {Quantity 0}", dc.OriginGroups != nil && q(dc.OriginGroups.Quantity) == 0},
		{"Aliases {Quantity 0}", dc.Aliases != nil && q(dc.Aliases.Quantity) == 0},
		{"CacheBehaviors {Quantity 0}", dc.CacheBehaviors != nil && q(dc.CacheBehaviors.Quantity) == 0},
		{"CustomErrorResponses {Quantity 0}", dc.CustomErrorResponses != nil && q(dc.CustomErrorResponses.Quantity) == 0},
		{"DefaultRootObject \"\"", dc.DefaultRootObject != nil && *dc.DefaultRootObject == ""},
		{"Logging disabled", dc.Logging != nil && !aws.ToBool(dc.Logging.Enabled) && dc.Logging.Bucket != nil},
		{"PriceClass_All", dc.PriceClass == types.PriceClassPriceClassAll},
		{"ViewerCertificate default", dc.ViewerCertificate != nil && aws.ToBool(dc.ViewerCertificate.CloudFrontDefaultCertificate) &&
			dc.ViewerCertificate.MinimumProtocolVersion == types.MinimumProtocolVersionTLSv1 &&
			dc.ViewerCertificate.CertificateSource == types.CertificateSourceCloudfront}, //nolint:staticcheck // deprecated, still answered by CloudFront
		{"Restrictions none", dc.Restrictions != nil && dc.Restrictions.GeoRestriction.RestrictionType == types.GeoRestrictionTypeNone &&
			q(dc.Restrictions.GeoRestriction.Quantity) == 0},
		{"WebACLId \"\"", dc.WebACLId != nil && *dc.WebACLId == ""},
		{"HttpVersion http2", dc.HttpVersion == types.HttpVersionHttp2},
		{"IsIPV6Enabled", dc.IsIPV6Enabled != nil},
		{"Staging false", dc.Staging != nil && !*dc.Staging},
		{"origin CustomHeaders {Quantity 0}", o.CustomHeaders != nil && q(o.CustomHeaders.Quantity) == 0},
		{"origin S3OriginConfig", o.S3OriginConfig != nil && o.S3OriginConfig.OriginAccessIdentity != nil && o.CustomOriginConfig == nil},
		{"origin ConnectionAttempts 3, ConnectionTimeout 10", q(o.ConnectionAttempts) == 3 && q(o.ConnectionTimeout) == 10},
		{"origin OriginShield disabled", o.OriginShield != nil && !aws.ToBool(o.OriginShield.Enabled)},
		{"origin OriginPath, OriginAccessControlId \"\"", o.OriginPath != nil && o.OriginAccessControlId != nil},
		{"behavior AllowedMethods GET HEAD, cached GET HEAD", dcb.AllowedMethods != nil && q(dcb.AllowedMethods.Quantity) == 2 &&
			dcb.AllowedMethods.CachedMethods != nil && q(dcb.AllowedMethods.CachedMethods.Quantity) == 2},
		{"behavior Compress, SmoothStreaming false", dcb.Compress != nil && !*dcb.Compress && dcb.SmoothStreaming != nil},
		{"behavior Lambda and Function associations {Quantity 0}", dcb.LambdaFunctionAssociations != nil && dcb.FunctionAssociations != nil &&
			q(dcb.FunctionAssociations.Quantity) == 0},
		{"behavior TrustedSigners, TrustedKeyGroups", dcb.TrustedSigners != nil && dcb.TrustedKeyGroups != nil},
		{"behavior FieldLevelEncryptionId \"\"", dcb.FieldLevelEncryptionId != nil},
		{"behavior without legacy TTLs (a cache policy)", dcb.MinTTL == nil && dcb.ForwardedValues == nil}, //nolint:staticcheck // the legacy settings, absent here
		{"summary OriginGroups", sum.OriginGroups != nil && q(sum.OriginGroups.Quantity) == 0},
		{"summary ETag", aws.ToString(sum.ETag) == aws.ToString(got.ETag)},
		{"summary Restrictions, ViewerCertificate", sum.Restrictions != nil && sum.ViewerCertificate != nil},
	} {
		if !check.ok {
			t.Errorf("missing default: %s", check.what)
		}
	}
	full, err := c.GetDistribution(ctx, &cf.GetDistributionInput{Id: sum.Id})
	if err != nil || !reflect.DeepEqual(full.Distribution.DistributionConfig, dc) {
		t.Fatalf("GetDistribution answers another configuration than GetDistributionConfig: %v", err)
	}
}

// Origin access controls: create, get, update, list, delete, the name
// unique, in use while a distribution names it.
func TestOriginAccessControls(t *testing.T) {
	s := start(t, Config{})
	c := sdk(s)
	cfg := func(name string) *types.OriginAccessControlConfig {
		return &types.OriginAccessControlConfig{Name: aws.String(name), SigningBehavior: types.OriginAccessControlSigningBehaviorsAlways,
			SigningProtocol: types.OriginAccessControlSigningProtocolsSigv4, OriginAccessControlOriginType: types.OriginAccessControlOriginTypesS3}
	}
	created, err := c.CreateOriginAccessControl(ctx, &cf.CreateOriginAccessControlInput{OriginAccessControlConfig: cfg("media")})
	if err != nil {
		t.Fatal(err)
	}
	id := created.OriginAccessControl.Id
	if !etagShape.MatchString(*id) || aws.ToString(created.Location) != s.Endpoint+"/2020-05-31/origin-access-control/"+*id {
		t.Fatalf("CreateOriginAccessControl: %+v", created)
	}
	_, err = c.CreateOriginAccessControl(ctx, &cf.CreateOriginAccessControlInput{OriginAccessControlConfig: cfg("media")})
	wantCode(t, err, "OriginAccessControlAlreadyExists")
	got, err := c.GetOriginAccessControl(ctx, &cf.GetOriginAccessControlInput{Id: id})
	if err != nil || aws.ToString(got.OriginAccessControl.OriginAccessControlConfig.Name) != "media" || *got.ETag != *created.ETag ||
		got.OriginAccessControl.OriginAccessControlConfig.Description == nil {
		t.Fatalf("GetOriginAccessControl: %v %+v", err, got)
	}
	upd := cfg("media")
	upd.Description = aws.String("the media bucket")
	_, err = c.UpdateOriginAccessControl(ctx, &cf.UpdateOriginAccessControlInput{Id: id, IfMatch: aws.String("ESTALE"), OriginAccessControlConfig: upd})
	wantCode(t, err, "PreconditionFailed")
	updated, err := c.UpdateOriginAccessControl(ctx, &cf.UpdateOriginAccessControlInput{Id: id, IfMatch: got.ETag, OriginAccessControlConfig: upd})
	if err != nil || *updated.ETag == *got.ETag {
		t.Fatalf("UpdateOriginAccessControl: %v", err)
	}
	gc, err := c.GetOriginAccessControlConfig(ctx, &cf.GetOriginAccessControlConfigInput{Id: id})
	if err != nil || aws.ToString(gc.OriginAccessControlConfig.Description) != "the media bucket" {
		t.Fatalf("GetOriginAccessControlConfig: %v", err)
	}
	list, err := c.ListOriginAccessControls(ctx, &cf.ListOriginAccessControlsInput{})
	if err != nil || aws.ToInt32(list.OriginAccessControlList.Quantity) != 1 || aws.ToString(list.OriginAccessControlList.Items[0].Name) != "media" {
		t.Fatalf("ListOriginAccessControls: %v %+v", err, list)
	}

	// A distribution must name an existing one, and keeps it in use.
	dc := distConfig("oac", "media.s3.eu-west-1.amazonaws.com", 80, "")
	dc.Origins.Items[0].OriginAccessControlId = aws.String("ENOSUCH")
	_, err = c.CreateDistribution(ctx, &cf.CreateDistributionInput{DistributionConfig: dc})
	wantCode(t, err, "InvalidOriginAccessControl")
	dc.Origins.Items[0].OriginAccessControlId = id
	d := createDist(t, c, dc)
	_, err = c.DeleteOriginAccessControl(ctx, &cf.DeleteOriginAccessControlInput{Id: id, IfMatch: updated.ETag})
	wantCode(t, err, "OriginAccessControlInUse")
	disableAndDelete(t, s, *d.Distribution.Id)
	if _, err := c.DeleteOriginAccessControl(ctx, &cf.DeleteOriginAccessControlInput{Id: id, IfMatch: updated.ETag}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetOriginAccessControl(ctx, &cf.GetOriginAccessControlInput{Id: id})
	wantCode(t, err, "NoSuchOriginAccessControl")
}

// disableAndDelete disables distribution id and deletes it.
// disableAndDelete disables distribution id, waits until that is
// Deployed (s.FinishDeployments stands for the wait, as the test is not
// about it) and deletes it, as a client of CloudFront must.
func disableAndDelete(t *testing.T, s *Server, id string) {
	t.Helper()
	c := sdk(s)
	got, err := c.GetDistributionConfig(ctx, &cf.GetDistributionConfigInput{Id: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	got.DistributionConfig.Enabled = aws.Bool(false)
	upd, err := c.UpdateDistribution(ctx, &cf.UpdateDistributionInput{Id: aws.String(id), IfMatch: got.ETag, DistributionConfig: got.DistributionConfig})
	if err != nil {
		t.Fatal(err)
	}
	s.FinishDeployments()
	if _, err := c.DeleteDistribution(ctx, &cf.DeleteDistributionInput{Id: aws.String(id), IfMatch: upd.ETag}); err != nil {
		t.Fatal(err)
	}
}

func corsPolicy(name string, origins ...string) *types.ResponseHeadersPolicyConfig {
	return &types.ResponseHeadersPolicyConfig{Name: aws.String(name), CorsConfig: &types.ResponseHeadersPolicyCorsConfig{
		AccessControlAllowCredentials: aws.Bool(false), OriginOverride: aws.Bool(true), AccessControlMaxAgeSec: aws.Int32(600),
		AccessControlAllowOrigins: &types.ResponseHeadersPolicyAccessControlAllowOrigins{Quantity: aws.Int32(int32(len(origins))), Items: origins},
		AccessControlAllowHeaders: &types.ResponseHeadersPolicyAccessControlAllowHeaders{Quantity: aws.Int32(1), Items: []string{"x-stream-token"}},
		AccessControlAllowMethods: &types.ResponseHeadersPolicyAccessControlAllowMethods{Quantity: aws.Int32(3),
			Items: []types.ResponseHeadersPolicyAccessControlAllowMethodsValues{"GET", "HEAD", "OPTIONS"}},
		AccessControlExposeHeaders: &types.ResponseHeadersPolicyAccessControlExposeHeaders{Quantity: aws.Int32(1), Items: []string{"x-stream-key-error"}},
	}}
}

// Response headers policies: create, get, update, list, delete, the name
// unique, in use while a behavior names it; kept in the state file.
func TestResponseHeadersPolicies(t *testing.T) {
	file := filepath.Join(t.TempDir(), "state.json")
	s := start(t, Config{StateFile: file})
	c := sdk(s)
	created, err := c.CreateResponseHeadersPolicy(ctx, &cf.CreateResponseHeadersPolicyInput{ResponseHeadersPolicyConfig: corsPolicy("cors", "https://a.example")})
	if err != nil {
		t.Fatal(err)
	}
	p := created.ResponseHeadersPolicy
	if p.LastModifiedTime == nil || !reflect.DeepEqual(p.ResponseHeadersPolicyConfig, corsPolicy("cors", "https://a.example")) {
		t.Fatalf("CreateResponseHeadersPolicy: %+v", p)
	}
	_, err = c.CreateResponseHeadersPolicy(ctx, &cf.CreateResponseHeadersPolicyInput{ResponseHeadersPolicyConfig: corsPolicy("cors", "https://b.example")})
	wantCode(t, err, "ResponseHeadersPolicyAlreadyExists")
	bad := corsPolicy("bad", "https://a.example")
	bad.CorsConfig.OriginOverride = nil
	_, err = c.CreateResponseHeadersPolicy(ctx, &cf.CreateResponseHeadersPolicyInput{ResponseHeadersPolicyConfig: bad})
	if err == nil {
		t.Fatal("a CORS config without OriginOverride was accepted")
	}
	updated, err := c.UpdateResponseHeadersPolicy(ctx, &cf.UpdateResponseHeadersPolicyInput{Id: p.Id, IfMatch: created.ETag,
		ResponseHeadersPolicyConfig: corsPolicy("cors", "https://a.example", "https://b.example")})
	if err != nil || len(updated.ResponseHeadersPolicy.ResponseHeadersPolicyConfig.CorsConfig.AccessControlAllowOrigins.Items) != 2 {
		t.Fatalf("UpdateResponseHeadersPolicy: %v", err)
	}
	for typ, want := range map[types.ResponseHeadersPolicyType]int32{"": 1, types.ResponseHeadersPolicyTypeCustom: 1, types.ResponseHeadersPolicyTypeManaged: 0} {
		list, err := c.ListResponseHeadersPolicies(ctx, &cf.ListResponseHeadersPoliciesInput{Type: typ})
		if err != nil || aws.ToInt32(list.ResponseHeadersPolicyList.Quantity) != want {
			t.Fatalf("ListResponseHeadersPolicies(%q): %v %+v", typ, err, list)
		}
	}
	dc := distConfig("rhp", "127.0.0.1", 80, "")
	dc.CacheBehaviors.Items[0].ResponseHeadersPolicyId = aws.String("00000000-0000-0000-0000-000000000000")
	_, err = c.CreateDistribution(ctx, &cf.CreateDistributionInput{DistributionConfig: dc})
	wantCode(t, err, "NoSuchResponseHeadersPolicy")
	dc.CacheBehaviors.Items[0].ResponseHeadersPolicyId = p.Id
	d := createDist(t, c, dc)
	_, err = c.DeleteResponseHeadersPolicy(ctx, &cf.DeleteResponseHeadersPolicyInput{Id: p.Id, IfMatch: updated.ETag})
	wantCode(t, err, "ResponseHeadersPolicyInUse")

	s.Close()
	s = start(t, Config{StateFile: file})
	c = sdk(s)
	got, err := c.GetResponseHeadersPolicyConfig(ctx, &cf.GetResponseHeadersPolicyConfigInput{Id: p.Id})
	if err != nil || *got.ETag != *updated.ETag || len(got.ResponseHeadersPolicyConfig.CorsConfig.AccessControlAllowOrigins.Items) != 2 {
		t.Fatalf("after a restart: %v", err)
	}
	disableAndDelete(t, s, *d.Distribution.Id)
	if _, err := c.DeleteResponseHeadersPolicy(ctx, &cf.DeleteResponseHeadersPolicyInput{Id: p.Id, IfMatch: updated.ETag}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetResponseHeadersPolicy(ctx, &cf.GetResponseHeadersPolicyInput{Id: p.Id})
	wantCode(t, err, "NoSuchResponseHeadersPolicy")
}

// The managed cache and origin request policies examples/complete names,
// by id and in the lists the data sources search by name.
func TestManagedPolicies(t *testing.T) {
	s := start(t, Config{})
	c := sdk(s)
	opt, err := c.GetCachePolicy(ctx, &cf.GetCachePolicyInput{Id: aws.String("658327ea-f89d-4fab-a63d-7e88639e58f6")})
	if err != nil {
		t.Fatal(err)
	}
	pc := opt.CachePolicy.CachePolicyConfig
	if aws.ToString(pc.Name) != "Managed-CachingOptimized" || aws.ToInt64(pc.MinTTL) != 1 || aws.ToInt64(pc.DefaultTTL) != 86400 ||
		!aws.ToBool(pc.ParametersInCacheKeyAndForwardedToOrigin.EnableAcceptEncodingBrotli) ||
		pc.ParametersInCacheKeyAndForwardedToOrigin.QueryStringsConfig.QueryStringBehavior != types.CachePolicyQueryStringBehaviorNone {
		t.Fatalf("Managed-CachingOptimized: %+v", pc)
	}
	_, err = c.GetCachePolicy(ctx, &cf.GetCachePolicyInput{Id: aws.String("00000000-0000-0000-0000-000000000000")})
	wantCode(t, err, "NoSuchCachePolicy")
	names := map[string]bool{}
	list, err := c.ListCachePolicies(ctx, &cf.ListCachePoliciesInput{Type: types.CachePolicyTypeManaged})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range list.CachePolicyList.Items {
		names[aws.ToString(it.CachePolicy.CachePolicyConfig.Name)] = it.Type == types.CachePolicyTypeManaged
	}
	if !names["Managed-CachingOptimized"] || !names["Managed-CachingDisabled"] {
		t.Fatalf("ListCachePolicies: %v", names)
	}
	if custom, err := c.ListCachePolicies(ctx, &cf.ListCachePoliciesInput{Type: types.CachePolicyTypeCustom}); err != nil || aws.ToInt32(custom.CachePolicyList.Quantity) != 0 {
		t.Fatalf("ListCachePolicies(custom): %v", err)
	}
	orp, err := c.GetOriginRequestPolicy(ctx, &cf.GetOriginRequestPolicyInput{Id: aws.String("88a5eaf4-2fd4-4709-b370-b4c650ea3fcf")})
	if err != nil {
		t.Fatal(err)
	}
	oc := orp.OriginRequestPolicy.OriginRequestPolicyConfig
	if aws.ToString(oc.Name) != "Managed-CORS-S3Origin" || oc.HeadersConfig.HeaderBehavior != types.OriginRequestPolicyHeaderBehaviorWhitelist ||
		aws.ToInt32(oc.HeadersConfig.Headers.Quantity) != 3 {
		t.Fatalf("Managed-CORS-S3Origin: %+v", oc)
	}
	orps, err := c.ListOriginRequestPolicies(ctx, &cf.ListOriginRequestPoliciesInput{})
	if err != nil || aws.ToInt32(orps.OriginRequestPolicyList.Quantity) != int32(len(managedOriginRequestPolicies)) {
		t.Fatalf("ListOriginRequestPolicies: %v", err)
	}
	page, err := c.ListCachePolicies(ctx, &cf.ListCachePoliciesInput{MaxItems: aws.Int32(1)})
	if err != nil || len(page.CachePolicyList.Items) != 1 || page.CachePolicyList.NextMarker == nil {
		t.Fatalf("ListCachePolicies, a page of 1: %v", err)
	}
	next, err := c.ListCachePolicies(ctx, &cf.ListCachePoliciesInput{MaxItems: aws.Int32(1), Marker: page.CachePolicyList.NextMarker})
	if err != nil || len(next.CachePolicyList.Items) != 1 || *next.CachePolicyList.Items[0].CachePolicy.Id == *page.CachePolicyList.Items[0].CachePolicy.Id {
		t.Fatalf("ListCachePolicies, the next page: %v", err)
	}
}

func TestS3Bucket(t *testing.T) {
	for _, tc := range []struct{ domain, bucket, region string }{
		{"media.s3.eu-west-1.amazonaws.com", "media", "eu-west-1"},
		{"video-media-2026.s3.amazonaws.com", "video-media-2026", "us-east-1"},
		{"my.dotted.bucket.s3.us-west-2.amazonaws.com", "my.dotted.bucket", "us-west-2"},
		{"media.s3-eu-west-1.amazonaws.com", "media", "eu-west-1"},
		{"media.s3-website-eu-west-1.amazonaws.com", "", ""},
		{"example.com", "", ""},
		{"127.0.0.1", "", ""},
	} {
		bucket, region, ok := s3Bucket(tc.domain)
		if bucket != tc.bucket || region != tc.region || ok != (tc.bucket != "") {
			t.Errorf("s3Bucket(%s) = %q, %q, %v; want %q, %q", tc.domain, bucket, region, ok, tc.bucket, tc.region)
		}
	}
}

// fakeS3 records what reaches it and answers a playlist under any key of
// the bucket media, 404 otherwise; with cors it answers CORS itself.
type fakeS3 struct {
	*httptest.Server
	mu   sync.Mutex
	seen []*http.Request
}

func startFakeS3(t *testing.T, cors string) *fakeS3 {
	f := &fakeS3{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.seen = append(f.seen, r.Clone(r.Context()))
		f.mu.Unlock()
		if cors != "" {
			w.Header().Set("Access-Control-Allow-Origin", cors)
		}
		if !strings.HasPrefix(r.URL.Path, "/media/") {
			http.Error(w, "NoSuchBucket", http.StatusNotFound)
			return
		}
		fmt.Fprint(w, "#EXTM3U\n")
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeS3) last(t *testing.T) *http.Request {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.seen) == 0 {
		t.Fatal("nothing reached S3")
	}
	return f.seen[len(f.seen)-1]
}

// The edge fetches an S3 origin from Config.S3Endpoint path-style, signs
// it as the origin access control says, and applies the behavior's
// response headers policy.
func TestEdgeS3OriginAndResponseHeaders(t *testing.T) {
	s3 := startFakeS3(t, "")
	s := start(t, Config{S3Endpoint: s3.URL})
	c := sdk(s)
	oac, err := c.CreateOriginAccessControl(ctx, &cf.CreateOriginAccessControlInput{OriginAccessControlConfig: &types.OriginAccessControlConfig{
		Name: aws.String("media"), SigningBehavior: types.OriginAccessControlSigningBehaviorsAlways,
		SigningProtocol: types.OriginAccessControlSigningProtocolsSigv4, OriginAccessControlOriginType: types.OriginAccessControlOriginTypesS3}})
	if err != nil {
		t.Fatal(err)
	}
	rhp, err := c.CreateResponseHeadersPolicy(ctx, &cf.CreateResponseHeadersPolicyInput{ResponseHeadersPolicyConfig: corsPolicy("cors", "https://player.example")})
	if err != nil {
		t.Fatal(err)
	}
	dc := distConfig("s3", "media.s3.eu-west-1.amazonaws.com", 80, "")
	dc.Origins.Items[0].CustomOriginConfig = nil
	dc.Origins.Items[0].S3OriginConfig = &types.S3OriginConfig{OriginAccessIdentity: aws.String("")}
	dc.Origins.Items[0].OriginAccessControlId = oac.OriginAccessControl.Id
	dc.DefaultCacheBehavior.ResponseHeadersPolicyId = rhp.ResponseHeadersPolicy.Id
	d := createDist(t, c, dc)
	edge := s.EdgeURL(*d.Distribution.Id)

	resp := send(t, "GET", edge+"/vod/movie/index.m3u8", map[string]string{"Origin": "https://player.example", "Authorization": "Bearer viewer"})
	got := s3.last(t)
	if resp.StatusCode != http.StatusOK || got.URL.Path != "/media/vod/movie/index.m3u8" {
		t.Fatalf("GET through the edge: %d, S3 saw %s; want 200 and /media/vod/movie/index.m3u8", resp.StatusCode, got.URL.Path)
	}
	if auth := got.Header.Get("Authorization"); !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 Credential=testing/") || !strings.Contains(auth, "/eu-west-1/s3/aws4_request") {
		t.Errorf("S3 got Authorization %q; want the origin access control's SigV4 signature for eu-west-1, not the viewer's", auth)
	}
	if resp.Header.Get("Access-Control-Allow-Origin") != "https://player.example" || resp.Header.Get("Access-Control-Expose-Headers") != "x-stream-key-error" {
		t.Errorf("CORS headers: %v", resp.Header)
	}
	if resp.Header.Get("Access-Control-Allow-Methods") != "" {
		t.Errorf("a GET got the preflight's Access-Control-Allow-Methods")
	}
	pre := send(t, "OPTIONS", edge+"/vod/movie/index.m3u8", map[string]string{"Origin": "https://player.example", "Access-Control-Request-Method": "GET"})
	if pre.Header.Get("Access-Control-Allow-Methods") != "GET, HEAD, OPTIONS" || pre.Header.Get("Access-Control-Allow-Headers") != "x-stream-token" ||
		pre.Header.Get("Access-Control-Max-Age") != "600" || pre.Header.Get("Access-Control-Allow-Origin") != "https://player.example" {
		t.Errorf("preflight CORS headers: %v", pre.Header)
	}
	if other := send(t, "GET", edge+"/vod/movie/index.m3u8", map[string]string{"Origin": "https://evil.example"}); other.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("an origin the policy does not list got Access-Control-Allow-Origin %q", other.Header.Get("Access-Control-Allow-Origin"))
	}
	if none := send(t, "GET", edge+"/vod/movie/index.m3u8", nil); none.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("a request without Origin got Access-Control-Allow-Origin")
	}
}

// Without OriginOverride the origin's own CORS answer stands; with it the
// policy's replaces it.
func TestEdgeCORSOriginOverride(t *testing.T) {
	for _, override := range []bool{false, true} {
		s3 := startFakeS3(t, "https://from-origin.example")
		s := start(t, Config{S3Endpoint: s3.URL})
		c := sdk(s)
		pol := corsPolicy("cors", "https://player.example")
		pol.CorsConfig.OriginOverride = aws.Bool(override)
		rhp, err := c.CreateResponseHeadersPolicy(ctx, &cf.CreateResponseHeadersPolicyInput{ResponseHeadersPolicyConfig: pol})
		if err != nil {
			t.Fatal(err)
		}
		dc := distConfig("s3", "media.s3.amazonaws.com", 80, "")
		dc.Origins.Items[0].CustomOriginConfig = nil
		dc.DefaultCacheBehavior.ResponseHeadersPolicyId = rhp.ResponseHeadersPolicy.Id
		d := createDist(t, c, dc)
		resp := send(t, "GET", s.EdgeURL(*d.Distribution.Id)+"/x.m3u8", map[string]string{"Origin": "https://player.example"})
		want := "https://from-origin.example"
		if override {
			want = "https://player.example"
		}
		if got := resp.Header.Get("Access-Control-Allow-Origin"); got != want {
			t.Errorf("OriginOverride %v: Access-Control-Allow-Origin %q; want %q", override, got, want)
		}
		if auth := s3.last(t).Header.Get("Authorization"); auth != "" {
			t.Errorf("without an origin access control S3 got Authorization %q", auth)
		}
	}
}
