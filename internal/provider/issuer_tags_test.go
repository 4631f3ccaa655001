package provider

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

func issuerTagMap(kv ...string) types.Map {
	m := map[string]attr.Value{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = types.StringValue(kv[i+1])
	}
	return types.MapValueMust(types.StringType, m)
}

// tags_all is default_tags with tags over them; the update sets it whole
// and removes only keys that left it, never the provider's own.
func TestIssuerTagsAllAndChange(t *testing.T) {
	r := &issuerResource{resourceBase: resourceBase{providerData{defaultTags: map[string]string{"team": "video", "env": "dev"}}}}
	all := r.tagsAll(issuerTagMap("env", "prod", "owner", "alice"))
	if got := stringMap(all); len(got) != 3 || got["env"] != "prod" || got["team"] != "video" || got["owner"] != "alice" {
		t.Errorf("tags_all = %v", got)
	}
	if !r.tagsAll(types.MapUnknown(types.StringType)).IsUnknown() {
		t.Error("tags_all of unknown tags is known")
	}
	set, remove := tagChange("fn", issuerTagMap("team", "video", "cost", "x", "securestream:owner", "v1"), issuerTagMap("team", "audio"))
	if set["team"] != "audio" || set[issuerTag] != "fn" || !slices.Equal(remove, []string{"cost"}) {
		t.Errorf("set %v, remove %v", set, remove)
	}
}

// Read keeps in tags what is not a default tag of the same value (and
// what the state's tags name), and leaves tags null after an import with
// default tags alone.
func TestIssuerReadTags(t *testing.T) {
	r := &issuerResource{resourceBase: resourceBase{providerData{defaultTags: map[string]string{"team": "video"}}}}
	live := map[string]string{"team": "video", "owner": "bob", issuerTag: "fn", issuerOwnerTag: "v1.x.y"}
	m := issuerModel{Tags: types.MapNull(types.StringType)}
	r.readTags(&m, live)
	if got := stringMap(m.Tags); len(got) != 1 || got["owner"] != "bob" {
		t.Errorf("imported tags = %v", got)
	}
	if got := stringMap(m.TagsAll); len(got) != 2 || got["team"] != "video" {
		t.Errorf("tags_all = %v", got)
	}
	m = issuerModel{Tags: issuerTagMap("team", "video", "owner", "bob")}
	r.readTags(&m, live)
	if got := stringMap(m.Tags); len(got) != 2 {
		t.Errorf("a configured tag equal to a default one was dropped: %v", got)
	}
	m = issuerModel{Tags: types.MapNull(types.StringType)}
	r.readTags(&m, map[string]string{"team": "video", issuerTag: "fn"})
	if !m.Tags.IsNull() {
		t.Errorf("tags = %v, want null", m.Tags)
	}
}

// Arguments of one api_type are null with the others, and their default
// where they apply.
func TestIssuerPlanFront(t *testing.T) {
	for api, want := range map[string][5]bool{ // throttle rate, burst, url auth, rest auth, rest key: set?
		apiTypeHTTP: {true, true, false, false, false}, apiTypeFunctionURL: {false, false, true, false, false}, apiTypeREST: {true, true, false, true, true},
	} {
		plan := issuerModel{APIType: types.StringValue(api), ThrottleRateLimit: types.Float64Unknown(), ThrottleBurstLimit: types.Int64Unknown(),
			FunctionURLAuthType: types.StringUnknown(), RESTAuthorization: types.StringUnknown(), RESTAPIKeyRequired: types.BoolUnknown()}
		config := issuerModel{ThrottleRateLimit: types.Float64Null(), ThrottleBurstLimit: types.Int64Null(), FunctionURLAuthType: types.StringNull(),
			RESTAuthorization: types.StringNull(), RESTAPIKeyRequired: types.BoolNull()}
		planFront(&plan, &config)
		got := [5]bool{!plan.ThrottleRateLimit.IsNull(), !plan.ThrottleBurstLimit.IsNull(), !plan.FunctionURLAuthType.IsNull(),
			!plan.RESTAuthorization.IsNull(), !plan.RESTAPIKeyRequired.IsNull()}
		if got != want {
			t.Errorf("%s: set %v, want %v", api, got, want)
		}
		if plan.ThrottleRateLimit.IsUnknown() || plan.RESTAuthorization.IsUnknown() {
			t.Errorf("%s: left unknown", api)
		}
	}
}

// A state from before role_path (null) is not replaced for the default
// path; a path changed from one the state holds is.
func TestIssuerRolePathChanged(t *testing.T) {
	for _, c := range []struct {
		state, plan types.String
		want        bool
	}{
		{types.StringNull(), types.StringValue(issuerRolePath), false},
		{types.StringValue(issuerRolePath), types.StringValue(issuerRolePath), false},
		{types.StringValue(issuerRolePath), types.StringValue("/securestream/team-a/"), true},
	} {
		var resp stringplanmodifier.RequiresReplaceIfFuncResponse
		rolePathChanged(context.Background(), planmodifier.StringRequest{StateValue: c.state, PlanValue: c.plan}, &resp)
		if resp.RequiresReplace != c.want {
			t.Errorf("%v -> %v: replace %v, want %v", c.state, c.plan, resp.RequiresReplace, c.want)
		}
	}
}

// Access logging of an HTTP API changes and goes in place: moto 5.2.1 has
// neither UpdateStage nor DeleteAccessLogSettings for HTTP APIs, so this
// checks the requests.
func TestUpdateHTTPAccessLog(t *testing.T) {
	var got []string
	r := fakeIssuer(t, &got, func(*http.Request) string { return `{}` })
	log := types.ObjectValueMust(accessLogTypes, map[string]attr.Value{"destination_arn": types.StringValue("arn:aws:logs:us-east-1:123456789012:log-group:a"),
		"format": types.StringValue("$context.requestId")})
	state := issuerModel{APIID: types.StringValue("abc123"), APIType: types.StringValue(apiTypeHTTP), AccessLog: types.ObjectNull(accessLogTypes),
		Tracing: types.StringValue(tracingPassThrough)}
	plan := state
	plan.AccessLog = log
	if diags := r.updateStageExtras(context.Background(), &plan, &state); diags.HasError() {
		t.Fatal(diags)
	}
	if diags := r.updateStageExtras(context.Background(), &state, &plan); diags.HasError() {
		t.Fatal(diags)
	}
	if len(got) != 2 || !strings.HasPrefix(got[0], "PATCH /v2/apis/abc123/stages/%24default ") ||
		!strings.Contains(got[0], `"destinationArn":"arn:aws:logs:us-east-1:123456789012:log-group:a"`) ||
		!strings.HasPrefix(got[1], "DELETE /v2/apis/abc123/stages/%24default/accesslogsettings ") {
		t.Fatalf("requests %q; want UpdateStage with the log, then DeleteAccessLogSettings", got)
	}
}

// A tags change tags and untags the HTTP API's stage too (moto 5.2.1
// serves no TagResource for a stage: the acceptance test cannot see it).
func TestUpdateTagsHTTPStage(t *testing.T) {
	var got []string
	r := fakeIssuer(t, &got, func(*http.Request) string { return `{}` })
	state := issuerModel{FunctionName: types.StringValue("fn"), APIID: types.StringValue("abc123"), APIType: types.StringValue(apiTypeHTTP),
		RoleARN: types.StringValue("arn:aws:iam::123456789012:role/securestream/fn"), FunctionARN: types.StringValue("arn:aws:lambda:us-east-1:123456789012:function:fn"),
		LogGroupName: types.StringValue("/aws/lambda/fn"), TagsAll: issuerTagMap("team", "video", "cost", "x")}
	plan := state
	plan.TagsAll = issuerTagMap("team", "audio")
	if diags := r.updateTags(context.Background(), &plan, &state); diags.HasError() {
		t.Fatal(diags)
	}
	stage := url.QueryEscape("arn:aws:apigateway:us-east-1::/apis/abc123/stages/$default")
	var tagged, untagged bool
	for _, g := range got {
		tagged = tagged || (strings.HasPrefix(g, "POST /v2/tags/"+stage+" ") && strings.Contains(g, `"team":"audio"`))
		untagged = untagged || strings.HasPrefix(g, "DELETE /v2/tags/"+stage+" ") // (the keys are in the query)
	}
	if !tagged || !untagged {
		t.Fatalf("requests %q; want TagResource and UntagResource of %s", got, stage)
	}
}
