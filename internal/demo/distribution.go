package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cfsdk "github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront/types"

	"github.com/securestream/terraform-provider-securestream/internal/local/cloudfront"
	"github.com/securestream/terraform-provider-securestream/internal/local/origin"
)

// cachingDisabled is the id of CloudFront's managed CachingDisabled cache
// policy (the local CloudFront caches nothing either way).
const cachingDisabled = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"

// createDistribution creates, through the unmodified AWS SDK, the
// distribution a user would make with the AWS provider: one custom
// origin (the local origin, over HTTP on its port) and a default cache
// behavior for GET, HEAD and OPTIONS. OPTIONS only for the CORS preflights
// of the browser test's player (internal/player), which sends the key in a
// header: CloudFront refuses a method the behavior does not allow before
// the function runs, and the function answers preflights itself, never
// forwarding them. The edge function is attached to it later, by Terraform. It
// returns the distribution's id and its edge's URL; comment says what the
// distribution is for.
func createDistribution(ctx context.Context, cf *cloudfront.Server, o *origin.Server, comment string) (id, edgeURL string, err error) {
	client := cfsdk.NewFromConfig(aws.Config{Region: "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")},
		func(opt *cfsdk.Options) { opt.BaseEndpoint = aws.String(cf.Endpoint) })
	methods := &types.AllowedMethods{Quantity: aws.Int32(3), Items: []types.Method{types.MethodGet, types.MethodHead, types.MethodOptions},
		CachedMethods: &types.CachedMethods{Quantity: aws.Int32(2), Items: []types.Method{types.MethodGet, types.MethodHead}}}
	out, err := client.CreateDistribution(ctx, &cfsdk.CreateDistributionInput{DistributionConfig: &types.DistributionConfig{
		CallerReference: aws.String(fmt.Sprintf("securestream-demo-%d", time.Now().UnixNano())),
		Comment:         aws.String(comment),
		Enabled:         aws.Bool(true),
		Origins: &types.Origins{Quantity: aws.Int32(1), Items: []types.Origin{{
			Id: aws.String("video"), DomainName: aws.String(o.Host),
			CustomOriginConfig: &types.CustomOriginConfig{HTTPPort: aws.Int32(int32(o.Port)), HTTPSPort: aws.Int32(443), //nolint:gosec // a TCP port
				OriginProtocolPolicy: types.OriginProtocolPolicyHttpOnly},
		}}},
		DefaultCacheBehavior: &types.DefaultCacheBehavior{
			TargetOriginId:       aws.String("video"),
			ViewerProtocolPolicy: types.ViewerProtocolPolicyAllowAll,
			CachePolicyId:        aws.String(cachingDisabled),
			AllowedMethods:       methods,
		},
	}})
	if err != nil {
		return "", "", fmt.Errorf("cloudfront CreateDistribution (local CloudFront at %s): %w", cf.Endpoint, err)
	}
	id = aws.ToString(out.Distribution.Id)
	if edgeURL = cf.EdgeURL(id); edgeURL == "" {
		return "", "", fmt.Errorf("the local CloudFront gave distribution %s no edge listener", id)
	}
	return id, edgeURL, nil
}
