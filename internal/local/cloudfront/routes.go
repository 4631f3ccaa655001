package cloudfront

import (
	"net/url"
	"slices"
	"strings"
)

// handlerFunc serves one control-plane operation.
type handlerFunc func(s *Server, c *call) error

// route is one control-plane operation: a method and a path under
// /2020-05-31/, whose {id} segment (a function's name, a distribution's
// id) is the call's arg, and the query parameter that names the
// operation where the path alone does not (POST distribution?WithTags,
// POST tagging?Operation=Tag).
type route struct {
	method string
	path   []string // segments; "{id}" is any one segment
	query  string   // "Name" or "Name=value" the query must hold; "" none
	op     string
	h      handlerFunc
}

// routes are the operations the local CloudFront serves, as
// "METHOD path" lines with their operation names, as the fault proxy
// names AWS's (internal/local/faultproxy/operations.go); the kept policy
// kinds' from policyKind.routes.
var routes = slices.Concat([]route{
	r("POST function", "CreateFunction", (*Server).createFunction),
	r("GET function", "ListFunctions", (*Server).listFunctions),
	r("GET function/{id}", "GetFunction", (*Server).getFunction),
	r("PUT function/{id}", "UpdateFunction", (*Server).updateFunction),
	r("DELETE function/{id}", "DeleteFunction", (*Server).deleteFunction),
	r("GET function/{id}/describe", "DescribeFunction", (*Server).describeFunction),
	r("POST function/{id}/publish", "PublishFunction", (*Server).publishFunction),
	r("POST function/{id}/test", "TestFunction", (*Server).testFunction),

	r("POST distribution?WithTags", "CreateDistributionWithTags", (*Server).createDistributionWithTags),
	r("POST distribution", "CreateDistribution", (*Server).createDistribution),
	r("GET distribution", "ListDistributions", (*Server).listDistributions),
	r("GET distribution/{id}", "GetDistribution", (*Server).getDistribution),
	r("DELETE distribution/{id}", "DeleteDistribution", (*Server).deleteDistribution),
	r("GET distribution/{id}/config", "GetDistributionConfig", (*Server).getDistributionConfig),
	r("PUT distribution/{id}/config", "UpdateDistribution", (*Server).updateDistribution),

	r("POST key-value-store", "CreateKeyValueStore", (*Server).createKeyValueStore),
	r("GET key-value-store", "ListKeyValueStores", (*Server).listKeyValueStores),
	r("GET key-value-store/{id}", "DescribeKeyValueStore", (*Server).describeKeyValueStore),
	r("PUT key-value-store/{id}", "UpdateKeyValueStore", (*Server).updateKeyValueStore),
	r("DELETE key-value-store/{id}", "DeleteKeyValueStore", (*Server).deleteKeyValueStore),

	r("GET tagging", "ListTagsForResource", (*Server).listTags),
	r("POST tagging?Operation=Tag", "TagResource", (*Server).tagResource),
	r("POST tagging?Operation=Untag", "UntagResource", (*Server).untagResource),
},
	oacKind.routes("OriginAccessControls", "/config", (*Server).listOACs),
	rhpKind.routes("ResponseHeadersPolicies", "", (*Server).listRHPs),
	managedRoutes(),
)

func r(line, op string, h handlerFunc) route {
	method, path, _ := strings.Cut(line, " ")
	path, query, _ := strings.Cut(path, "?")
	return route{method: method, path: strings.Split(path, "/"), query: query, op: op, h: h}
}

// hasQuery reports whether q holds want ("Name" or "Name=value").
func hasQuery(q url.Values, want string) bool {
	name, value, withValue := strings.Cut(want, "=")
	if !q.Has(name) {
		return false
	}
	return !withValue || q.Get(name) == value
}

// matchQuery finds the operation of a method, escaped path and query (h
// is nil when there is none): a route that names a query parameter is
// taken before one with the same path that does not.
func matchQuery(method, path string, q url.Values) (op, arg string, h handlerFunc) {
	rest, ok := strings.CutPrefix(path, "/"+APIVersion+"/")
	if !ok {
		return "", "", nil
	}
	segs := strings.Split(rest, "/")
	for _, rt := range routes {
		if rt.method != method || len(rt.path) != len(segs) || (rt.query != "" && !hasQuery(q, rt.query)) {
			continue
		}
		arg, ok := "", true
		for i, p := range rt.path {
			switch {
			case p == "{id}":
				arg = segs[i]
			case p != segs[i]:
				ok = false
			}
		}
		if ok {
			return rt.op, arg, rt.h
		}
	}
	return "", "", nil
}
