package api

import (
	"fmt"
	"strings"
)

// matchPath matches path against an API Gateway path template
// ("/items/{id}", "/{proxy+}") and returns its parameters and a score:
// higher is more specific, as API Gateway prefers literal segments to
// parameters and parameters to a greedy one.
func matchPath(template, path string) (params map[string]string, score int, ok bool) {
	tsegs := strings.Split(strings.Trim(template, "/"), "/")
	psegs := strings.Split(strings.Trim(path, "/"), "/")
	params = map[string]string{}
	for i, ts := range tsegs {
		switch {
		case strings.HasPrefix(ts, "{") && strings.HasSuffix(ts, "+}"):
			if i >= len(psegs) || psegs[i] == "" {
				return nil, 0, false
			}
			params[ts[1:len(ts)-2]] = strings.Join(psegs[i:], "/")
			return params, score, true
		case i >= len(psegs):
			return nil, 0, false
		case strings.HasPrefix(ts, "{") && strings.HasSuffix(ts, "}"):
			if psegs[i] == "" {
				return nil, 0, false
			}
			params[ts[1:len(ts)-1]] = psegs[i]
			score += 1000
		case ts == psegs[i]:
			score += 10000
		default:
			return nil, 0, false
		}
	}
	if len(psegs) != len(tsegs) {
		return nil, 0, false
	}
	return params, score + 1, true
}

// route is a route of an HTTP API, or a method of a REST API resource,
// reduced to what matching needs.
type route struct {
	method   string // an HTTP method or ANY; "" for $default
	template string
	ref      string // the integration: an HTTP API integration id, or a REST resource id
	// The route's (or REST method's) authorization type, authorizer id,
	// authorization scopes and, REST only, ApiKeyRequired: routeAccess
	// reads what they need.
	authType, authorizer string
	scopes               []string
	apiKey               bool
}

// pick returns the route that serves method and path, as API Gateway
// chooses: the most specific path, then an exact method over ANY, then
// $default.
func pick(routes []route, method, path string) (*route, map[string]string, error) {
	var best *route
	var bestParams map[string]string
	bestScore := -1
	for i := range routes {
		rt := &routes[i]
		score, params := 0, map[string]string(nil)
		switch {
		case rt.method == "":
		case rt.method != method && rt.method != "ANY":
			continue
		default:
			var ok bool
			if params, score, ok = matchPath(rt.template, path); !ok {
				continue
			}
			score = score*2 + 2
			if rt.method == method {
				score++
			}
		}
		if score > bestScore {
			best, bestParams, bestScore = rt, params, score
		}
	}
	if best == nil {
		return nil, nil, fmt.Errorf("no route matches %s %s", method, path)
	}
	if len(bestParams) == 0 {
		bestParams = nil
	}
	return best, bestParams, nil
}

// parseRouteKey splits an HTTP API route key ("POST /token", "$default").
func parseRouteKey(key string) route {
	if key == "$default" {
		return route{}
	}
	method, template, _ := strings.Cut(key, " ")
	return route{method: method, template: template}
}

// functionName takes the function's name from an integration URI: a
// function ARN, or API Gateway's
// arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/<function ARN>/invocations.
func functionName(uri string) (string, error) {
	_, rest, ok := strings.Cut(uri, ":function:")
	if !ok {
		return "", fmt.Errorf("integration URI %q names no Lambda function", uri)
	}
	name, _, _ := strings.Cut(rest, "/")
	name, _, _ = strings.Cut(name, ":") // a version or alias qualifier
	return name, nil
}
