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
package awsclients

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// Services that can be given their own endpoint.
var Services = []string{"apigateway", "cloudfront", "iam", "kms", "lambda", "sts"}

// AssumeRole is a role to assume with the base credentials.
type AssumeRole struct {
	RoleARN, SessionName, ExternalID string
}

// Options is the provider's AWS configuration.
type Options struct {
	Region                    string
	Profile                   string
	AccessKey, SecretKey      string
	SharedConfigFiles         []string
	SharedCredentialsFiles    []string
	AssumeRole                *AssumeRole
	MaxRetries                int // retries after the first attempt, with the SDK's exponential backoff and jitter
	Endpoint                  string
	Endpoints                 map[string]string
	SkipCredentialsValidation bool
	SkipRequestingAccountID   bool
	// UserAgent names the provider and its version in every request.
	UserAgent string
	// HTTPClient, when set, is used for every call (tests).
	HTTPClient *http.Client
}

// Clients are the configured service clients.
type Clients struct {
	Config    aws.Config
	AccountID string
	KMS       *kms.Client
	Lambda    *lambda.Client
	STS       *sts.Client
	opts      Options
}

// Endpoint returns the endpoint configured for service by the provider
// (rules 1 and 2), or "" when the SDK's rules apply.
func (o Options) EndpointFor(service string) string {
	if e := o.Endpoints[service]; e != "" {
		return e
	}
	return o.Endpoint
}

// ValidationTimeout bounds the credentials check at configure time, so that
// an unreachable endpoint gives a diagnostic instead of a hang.
const ValidationTimeout = 20 * time.Second

// New loads the SDK configuration and builds the clients. Unless skipped,
// it checks the credentials with sts:GetCallerIdentity.
func New(ctx context.Context, o Options) (*Clients, error) {
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
	if o.AccessKey != "" || o.SecretKey != "" {
		if o.AccessKey == "" || o.SecretKey == "" {
			return nil, errors.New("access_key and secret_key must be given together")
		}
		loads = append(loads, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(o.AccessKey, o.SecretKey, "")))
	}
	if o.UserAgent != "" {
		loads = append(loads, config.WithAppID(o.UserAgent))
	}
	if o.HTTPClient != nil {
		loads = append(loads, config.WithHTTPClient(o.HTTPClient))
	}
	maxAttempts := max(o.MaxRetries, 0) + 1
	loads = append(loads, config.WithRetryer(func() aws.Retryer {
		return retry.NewStandard(func(so *retry.StandardOptions) { so.MaxAttempts = maxAttempts })
	}))
	cfg, err := config.LoadDefaultConfig(ctx, loads...)
	if err != nil {
		return nil, fmt.Errorf("loading the AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return nil, errors.New("no AWS region: set the provider's region argument, AWS_REGION, or a region in the shared config profile")
	}
	c := &Clients{opts: o}
	if o.AssumeRole != nil && o.AssumeRole.RoleARN != "" {
		stsBase := sts.NewFromConfig(cfg, c.endpoint("sts"))
		cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(stsBase, o.AssumeRole.RoleARN, func(ao *stscreds.AssumeRoleOptions) {
			if o.AssumeRole.SessionName != "" {
				ao.RoleSessionName = o.AssumeRole.SessionName
			}
			if o.AssumeRole.ExternalID != "" {
				ao.ExternalID = aws.String(o.AssumeRole.ExternalID)
			}
		}))
	}
	c.Config = cfg
	c.KMS = kms.NewFromConfig(cfg, func(ko *kms.Options) { c.applyEndpoint("kms", &ko.BaseEndpoint) })
	c.Lambda = lambda.NewFromConfig(cfg, func(lo *lambda.Options) { c.applyEndpoint("lambda", &lo.BaseEndpoint) })
	c.STS = sts.NewFromConfig(cfg, c.endpoint("sts"))

	if !o.SkipCredentialsValidation || !o.SkipRequestingAccountID {
		vctx, cancel := context.WithTimeout(ctx, ValidationTimeout)
		defer cancel()
		id, err := c.STS.GetCallerIdentity(vctx, &sts.GetCallerIdentityInput{}, func(so *sts.Options) {
			so.RetryMaxAttempts = 2
		})
		if err != nil {
			where := "AWS"
			if e := o.EndpointFor("sts"); e != "" {
				where = e
			}
			return nil, fmt.Errorf("sts:GetCallerIdentity against %s failed (%w); check the credentials and the endpoint, "+
				"or set skip_credentials_validation and skip_requesting_account_id for an emulator without STS", where, err)
		}
		c.AccountID = aws.ToString(id.Account)
	}
	return c, nil
}

func (c *Clients) applyEndpoint(service string, base **string) {
	if e := c.opts.EndpointFor(service); e != "" {
		*base = aws.String(e)
	}
}

func (c *Clients) endpoint(service string) func(*sts.Options) {
	return func(so *sts.Options) { c.applyEndpoint(service, &so.BaseEndpoint) }
}
