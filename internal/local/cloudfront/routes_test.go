package cloudfront

import (
	"net/url"
	"strings"
	"testing"
)

func TestMatch(t *testing.T) {
	v := "/" + APIVersion + "/"
	for _, tc := range []struct{ method, path, op, arg string }{
		{"POST", v + "function", "CreateFunction", ""},
		{"GET", v + "function", "ListFunctions", ""},
		{"GET", v + "function/fn-1", "GetFunction", "fn-1"},
		{"PUT", v + "function/fn-1", "UpdateFunction", "fn-1"},
		{"DELETE", v + "function/fn-1", "DeleteFunction", "fn-1"},
		{"GET", v + "function/fn-1/describe", "DescribeFunction", "fn-1"},
		{"POST", v + "function/fn-1/publish", "PublishFunction", "fn-1"},
		{"POST", v + "function/fn%2F1/test", "TestFunction", "fn%2F1"}, // the escaped segment, as the handlers unescape it
		{"POST", v + "distribution", "CreateDistribution", ""},
		{"GET", v + "distribution", "ListDistributions", ""},
		{"GET", v + "distribution/E1", "GetDistribution", "E1"},
		{"DELETE", v + "distribution/E1", "DeleteDistribution", "E1"},
		{"GET", v + "distribution/E1/config", "GetDistributionConfig", "E1"},
		{"PUT", v + "distribution/E1/config", "UpdateDistribution", "E1"},
		{"PUT", v + "distribution", "", ""},         // no such method
		{"GET", v + "function/fn-1/stages", "", ""}, // no such path
		{"GET", v + "distribution/E1/config/x", "", ""},
		{"GET", "/2019-03-26/distribution", "", ""}, // another API version
		{"POST", v + "distribution?WithTags", "CreateDistributionWithTags", ""},
		{"GET", v + "tagging?Resource=arn", "ListTagsForResource", ""},
		{"POST", v + "tagging?Operation=Tag&Resource=arn", "TagResource", ""},
		{"POST", v + "tagging?Operation=Untag&Resource=arn", "UntagResource", ""},
		{"POST", v + "tagging?Operation=Other", "", ""},
		{"POST", v + "tagging", "", ""},
		{"PUT", v + "origin-access-control/E1/config", "UpdateOriginAccessControl", "E1"},
		{"PUT", v + "response-headers-policy/p1", "UpdateResponseHeadersPolicy", "p1"},
		{"GET", v + "cache-policy/c1", "GetCachePolicy", "c1"},
		{"POST", v + "cache-policy", "", ""},
	} {
		path, query, _ := strings.Cut(tc.path, "?")
		q, _ := url.ParseQuery(query)
		op, arg, h := matchQuery(tc.method, path, q)
		if op != tc.op || arg != tc.arg || (h == nil) != (tc.op == "") {
			t.Errorf("matchQuery(%s %s) = %q, %q, handler %v; want %q, %q", tc.method, tc.path, op, arg, h != nil, tc.op, tc.arg)
		}
	}
}
