package provider

// The issuer's front doors, by api_type: an HTTP API (API Gateway v2,
// issuer_http_api.go), a Lambda function URL (issuer_function_url.go) or a
// REST API (issuer_rest_api.go); the first two need the Lambda permission
// of issuer_permission.go, which lets the door, and only it, invoke the
// function.

const (
	apiTypeHTTP        = "http"
	apiTypeFunctionURL = "function_url"
)

// corsMethods and corsHeaders are what a browser may send the issuer.
var (
	corsMethods = []string{"GET", "POST", "OPTIONS"}
	corsHeaders = []string{"authorization", "content-type"}
)
