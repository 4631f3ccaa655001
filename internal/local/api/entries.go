package api

import (
	"context"
	"fmt"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// IssuerTag is the tag securestream_issuer puts on its function and API,
// valued with the function's name.
const IssuerTag = "securestream:issuer"

// Entry is something the local API serves, at its local URL.
type Entry struct {
	// Name is the issuer's name (its function's, from IssuerTag) or, for
	// what an issuer did not make, the API's or the function's name.
	Name string `json:"name"`
	// Issuer is whether a securestream_issuer made it (IssuerTag).
	Issuer bool `json:"issuer"`
	// Kind is "http_api", "rest_api" or "function_url".
	Kind string `json:"kind"`
	// ID is the API's id, or the function's name for a function URL.
	ID string `json:"id"`
	// URL is where the local API serves it: players POST here.
	URL string `json:"url"`
}

// Entries lists what the local API serves now, read from moto: each HTTP
// API (its $default stage, or each stage), each REST API stage and each
// function URL, sorted by URL. Listen must have run.
func (s *Server) Entries(ctx context.Context) ([]Entry, error) {
	var out []Entry
	httpAPIs, err := s.httpAPIs.GetApis(ctx, &apigatewayv2.GetApisInput{MaxResults: aws.String("500")})
	if err != nil {
		return nil, fmt.Errorf("apigatewayv2 GetApis: %w", err)
	}
	for _, a := range httpAPIs.Items {
		id := aws.ToString(a.ApiId)
		e := entry(aws.ToString(a.Name), a.Tags, "http_api", id)
		stages, err := s.httpAPIs.GetStages(ctx, &apigatewayv2.GetStagesInput{ApiId: a.ApiId, MaxResults: aws.String("500")})
		if err != nil {
			return nil, fmt.Errorf("apigatewayv2 GetStages %s: %w", id, err)
		}
		var named []string
		hasDefault := false
		for _, st := range stages.Items {
			if name := aws.ToString(st.StageName); name == "$default" {
				hasDefault = true
			} else {
				named = append(named, name)
			}
		}
		if hasDefault {
			e.URL = s.URL + "/" + id + "/"
			out = append(out, e)
			continue
		}
		for _, st := range named {
			e.URL = s.URL + "/" + id + "/" + st + "/"
			out = append(out, e)
		}
	}
	restAPIs, err := s.restAPIs.GetRestApis(ctx, &apigateway.GetRestApisInput{Limit: aws.Int32(500)})
	if err != nil {
		return nil, fmt.Errorf("apigateway GetRestApis: %w", err)
	}
	for _, a := range restAPIs.Items {
		id := aws.ToString(a.Id)
		e := entry(aws.ToString(a.Name), a.Tags, "rest_api", id)
		stages, err := s.restAPIs.GetStages(ctx, &apigateway.GetStagesInput{RestApiId: a.Id})
		if err != nil {
			return nil, fmt.Errorf("apigateway GetStages %s: %w", id, err)
		}
		for _, st := range stages.Item {
			e.URL = s.URL + "/" + id + "/" + aws.ToString(st.StageName) + "/"
			out = append(out, e)
		}
	}
	fns := lambda.NewListFunctionsPaginator(s.lambda, &lambda.ListFunctionsInput{})
	for fns.HasMorePages() {
		page, err := fns.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("lambda ListFunctions: %w", err)
		}
		for _, f := range page.Functions {
			name := aws.ToString(f.FunctionName)
			// moto answers ListFunctionUrlConfigs 404; the resolver asks
			// GetFunctionUrlConfig too.
			_, err := s.lambda.GetFunctionUrlConfig(ctx, &lambda.GetFunctionUrlConfigInput{FunctionName: f.FunctionName})
			if isNotFound(err) {
				continue // no URL, or deleted meanwhile
			}
			if err != nil {
				return nil, fmt.Errorf("lambda GetFunctionUrlConfig %s: %w", name, err)
			}
			var tags map[string]string
			if t, err := s.lambda.ListTags(ctx, &lambda.ListTagsInput{Resource: f.FunctionArn}); err == nil {
				tags = t.Tags
			}
			e := entry(name, tags, "function_url", name)
			e.URL = s.URL + "/fn/" + name + "/"
			out = append(out, e)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].URL < out[j].URL })
	return out, nil
}

func entry(name string, tags map[string]string, kind, id string) Entry {
	e := Entry{Name: name, Kind: kind, ID: id}
	if fn, ok := tags[IssuerTag]; ok && fn != "" {
		e.Name, e.Issuer = fn, true
	}
	return e
}
