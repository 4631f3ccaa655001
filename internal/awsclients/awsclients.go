// Package awsclients builds the AWS SDK clients the provider uses from its
// configuration: credentials, region, retries, assume-role, and an
// endpoint for each service so that the same configuration runs against
// AWS, LocalStack or moto.
//
// Endpoint precedence, most specific first:
//
//  1. the provider's endpoints { <service> = ... } argument;
//  2. the provider's endpoint argument (one URL for every service);
//  3. AWS_ENDPOINT_URL_<SERVICE> (for example AWS_ENDPOINT_URL_KMS);
//  4. AWS_ENDPOINT_URL;
//  5. the shared config file's services section and endpoint_url;
//  6. AWS's own endpoint for the region.
//
// 3 to 6 are the SDK's own rules, which apply when 1 and 2 are unset.
//
// Every attempt of every call is bounded (Timeouts), and a call that cannot
// reach its endpoint fails with an UnreachableError naming the call and the
// endpoint. New's errors are SetupErrors, which say what is wrong with the
// settings and which argument is at fault.
package awsclients

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/middleware"
)

// Services that can be given their own endpoint.
var Services = []string{"apigateway", "cloudfront", "iam", "kms", "lambda", "logs", "sts"}

// AssumeRole is a role to assume with the base credentials.
type AssumeRole struct {
	RoleARN, SessionName, ExternalID string
}

// Options is the provider's AWS configuration.
type Options struct {
	Region                 string
	Profile                string
	AccessKey, SecretKey   string
	SharedConfigFiles      []string
	SharedCredentialsFiles []string
	AssumeRole             *AssumeRole
	MaxRetries             int // retries after the first attempt, with the SDK's exponential backoff and jitter
	Endpoint               string
	Endpoints              map[string]string
	// SkipCredentialsValidation skips the sts:GetCallerIdentity call New
	// makes; the first call a resource makes then meets bad credentials.
	SkipCredentialsValidation bool
	// SkipRequestingAccountID changes nothing: the account ID is only
	// learnt as part of the credentials check. It is kept for
	// configurations written for the AWS provider.
	SkipRequestingAccountID bool
	// Timeouts bound each attempt of a call; zero means DefaultTimeouts.
	Timeouts Timeouts
	// UserAgent names the provider and its version in every request.
	UserAgent string
	// HTTPClient, when set, is used for every call instead of one bounded
	// by Timeouts (tests).
	HTTPClient *http.Client
}

// Clients are the configured service clients.
type Clients struct {
	Config aws.Config
	// AccountID is the caller's account, when the credentials were checked.
	AccountID string
	KMS       *kms.Client
	// CloudFront is the global CloudFront API (functions, distributions).
	CloudFront *cloudfront.Client
	Lambda     *lambda.Client
	STS        *sts.Client
	// IAM, Logs and the two API Gateway APIs are securestream_issuer's;
	// both API Gateway clients use the apigateway endpoint.
	IAM          *iam.Client
	Logs         *cloudwatchlogs.Client
	APIGatewayV2 *apigatewayv2.Client
	APIGateway   *apigateway.Client
	opts         Options
}

// EndpointFor returns the endpoint configured for service by the provider
// (rules 1 and 2), or "" when the SDK's rules apply.
func (o Options) EndpointFor(service string) string {
	if e := o.Endpoints[service]; e != "" {
		return e
	}
	return o.Endpoint
}

// Timeouts bound each attempt of an AWS call, so that an endpoint that
// accepts connections and never answers fails the call instead of hanging
// Terraform. A call makes MaxRetries+1 attempts.
type Timeouts struct {
	Dial           time.Duration // to open the TCP connection
	TLSHandshake   time.Duration // for the TLS handshake, on https endpoints
	ResponseHeader time.Duration // from the request sent to the response's first line and headers
	Attempt        time.Duration // for the whole attempt, the response body included
}

// DefaultTimeouts are the provider's. AWS answers these calls in well under
// a second; the bounds are for endpoints that are wrong or down. With the
// default 2 retries, a silent endpoint fails a call in about 50 s: 3
// attempts of 15 s and up to 6 s of backoff between them.
var DefaultTimeouts = Timeouts{Dial: 10 * time.Second, TLSHandshake: 10 * time.Second, ResponseHeader: 15 * time.Second, Attempt: 30 * time.Second}

// validationAttempts is how many times the credentials check at configure
// time is tried: a silent endpoint fails it in about 32 s.
const validationAttempts = 2

// New loads the SDK configuration and builds the clients. Unless
// o.SkipCredentialsValidation, it checks the credentials with
// sts:GetCallerIdentity. Its errors are *SetupError.
func New(ctx context.Context, o Options) (*Clients, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	var loads []func(*config.LoadOptions) error
	if o.Region != "" {
		loads = append(loads, config.WithRegion(o.Region))
	}
	if o.Profile != "" {
		loads = append(loads, config.WithSharedConfigProfile(o.Profile))
	}
	if len(o.SharedConfigFiles) > 0 {
		loads = append(loads, config.WithSharedConfigFiles(o.SharedConfigFiles))
	}
	if len(o.SharedCredentialsFiles) > 0 {
		loads = append(loads, config.WithSharedCredentialsFiles(o.SharedCredentialsFiles))
	}
	if o.AccessKey != "" {
		loads = append(loads, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(o.AccessKey, o.SecretKey, "")))
	}
	if o.UserAgent != "" {
		loads = append(loads, config.WithAppID(o.UserAgent))
	}
	if o.HTTPClient != nil {
		loads = append(loads, config.WithHTTPClient(o.HTTPClient))
	} else {
		loads = append(loads, config.WithHTTPClient(boundedHTTPClient(o.timeouts())))
	}
	maxAttempts := max(o.MaxRetries, 0) + 1
	loads = append(loads, config.WithRetryer(func() aws.Retryer {
		return retry.NewStandard(func(so *retry.StandardOptions) { so.MaxAttempts = maxAttempts })
	}))
	loads = append(loads, config.WithAPIOptions([]func(*middleware.Stack) error{o.explainUnreachable}))
	cfg, err := config.LoadDefaultConfig(ctx, loads...)
	if err != nil {
		return nil, loadError(o, err)
	}
	if cfg.Region == "" {
		return nil, &SetupError{Problem: ProblemRegion, Setting: "region",
			Err: errors.New("no AWS region is set: set the provider's region argument, AWS_REGION, or a region in the shared config profile")}
	}
	// The marks tell a failure to get credentials from a call's failure.
	if cfg.Credentials != nil {
		cfg.Credentials = markCredentials{cfg.Credentials, false}
	}
	c := &Clients{opts: o}
	if o.AssumeRole != nil && o.AssumeRole.RoleARN != "" {
		stsBase := sts.NewFromConfig(cfg, c.endpoint("sts"))
		cfg.Credentials = aws.NewCredentialsCache(markCredentials{stscreds.NewAssumeRoleProvider(stsBase, o.AssumeRole.RoleARN, func(ao *stscreds.AssumeRoleOptions) {
			if o.AssumeRole.SessionName != "" {
				ao.RoleSessionName = o.AssumeRole.SessionName
			}
			if o.AssumeRole.ExternalID != "" {
				ao.ExternalID = aws.String(o.AssumeRole.ExternalID)
			}
		}), true})
	}
	c.Config = cfg
	c.KMS = kms.NewFromConfig(cfg, func(ko *kms.Options) { c.applyEndpoint("kms", &ko.BaseEndpoint) })
	c.CloudFront = cloudfront.NewFromConfig(cfg, func(co *cloudfront.Options) { c.applyEndpoint("cloudfront", &co.BaseEndpoint) })
	c.Lambda = lambda.NewFromConfig(cfg, func(lo *lambda.Options) { c.applyEndpoint("lambda", &lo.BaseEndpoint) })
	c.STS = sts.NewFromConfig(cfg, c.endpoint("sts"))
	c.IAM = iam.NewFromConfig(cfg, func(io *iam.Options) { c.applyEndpoint("iam", &io.BaseEndpoint) })
	c.Logs = cloudwatchlogs.NewFromConfig(cfg, func(lo *cloudwatchlogs.Options) { c.applyEndpoint("logs", &lo.BaseEndpoint) })
	c.APIGatewayV2 = apigatewayv2.NewFromConfig(cfg, func(ao *apigatewayv2.Options) { c.applyEndpoint("apigateway", &ao.BaseEndpoint) })
	c.APIGateway = apigateway.NewFromConfig(cfg, func(ao *apigateway.Options) { c.applyEndpoint("apigateway", &ao.BaseEndpoint) })

	// Nothing at configure time needs the account ID; securestream_secret
	// asks STS for the caller's identity itself when it writes a key policy.
	if !o.SkipCredentialsValidation {
		id, err := c.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}, func(so *sts.Options) {
			so.RetryMaxAttempts = min(maxAttempts, validationAttempts)
		})
		if err != nil {
			return nil, validationError(o, err)
		}
		c.AccountID = aws.ToString(id.Account)
	}
	return c, nil
}

// timeouts are the bounds of each attempt; zero when the caller's
// HTTPClient sets them.
func (o Options) timeouts() Timeouts {
	switch {
	case o.HTTPClient != nil:
		return Timeouts{}
	case o.Timeouts == (Timeouts{}):
		return DefaultTimeouts
	}
	return o.Timeouts
}

// boundedHTTPClient is the SDK's HTTP client with every wait bounded.
func boundedHTTPClient(t Timeouts) *awshttp.BuildableClient {
	return awshttp.NewBuildableClient().
		WithDialerOptions(func(d *net.Dialer) { d.Timeout = t.Dial }).
		WithTransportOptions(func(tr *http.Transport) {
			tr.TLSHandshakeTimeout = t.TLSHandshake
			tr.ResponseHeaderTimeout = t.ResponseHeader
		}).
		WithTimeout(t.Attempt)
}
func (c *Clients) applyEndpoint(service string, base **string) {
	if e := c.opts.EndpointFor(service); e != "" {
		*base = aws.String(e)
	}
}

func (c *Clients) endpoint(service string) func(*sts.Options) {
	return func(so *sts.Options) { c.applyEndpoint(service, &so.BaseEndpoint) }
}
