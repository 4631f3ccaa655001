package cloudfront

import "strings"

// handlerFunc serves one control-plane operation.
type handlerFunc func(s *Server, c *call) error

// route is one control-plane operation: a method and a path under
// /2020-05-31/, whose {id} segment (a function's name, a distribution's
// id) is the call's arg.
type route struct {
	method string
	path   []string // segments; "{id}" is any one segment
	op     string
	h      handlerFunc
}

// routes are the operations the local CloudFront serves, as
// "METHOD path" lines with their operation names, as the fault proxy
// names AWS's (internal/local/faultproxy/operations.go).
var routes = []route{
	r("POST function", "CreateFunction", (*Server).createFunction),
	r("GET function", "ListFunctions", (*Server).listFunctions),
	r("GET function/{id}", "GetFunction", (*Server).getFunction),
	r("PUT function/{id}", "UpdateFunction", (*Server).updateFunction),
	r("DELETE function/{id}", "DeleteFunction", (*Server).deleteFunction),
	r("GET function/{id}/describe", "DescribeFunction", (*Server).describeFunction),
	r("POST function/{id}/publish", "PublishFunction", (*Server).publishFunction),
	r("POST function/{id}/test", "TestFunction", (*Server).testFunction),

	r("POST distribution", "CreateDistribution", (*Server).createDistribution),
	r("GET distribution", "ListDistributions", (*Server).listDistributions),
	r("GET distribution/{id}", "GetDistribution", (*Server).getDistribution),
	r("DELETE distribution/{id}", "DeleteDistribution", (*Server).deleteDistribution),
	r("GET distribution/{id}/config", "GetDistributionConfig", (*Server).getDistributionConfig),
	r("PUT distribution/{id}/config", "UpdateDistribution", (*Server).updateDistribution),
}

func r(line, op string, h handlerFunc) route {
	method, path, _ := strings.Cut(line, " ")
	return route{method: method, path: strings.Split(path, "/"), op: op, h: h}
}

// match finds the operation of a method and escaped path; h is nil when
// there is none.
func match(method, path string) (op, arg string, h handlerFunc) {
	rest, ok := strings.CutPrefix(path, "/"+APIVersion+"/")
	if !ok {
		return "", "", nil
	}
	segs := strings.Split(rest, "/")
	for _, rt := range routes {
		if rt.method != method || len(rt.path) != len(segs) {
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
