package provider

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
)

// The finders of securestream_function's CloudFront Function. A function,
// or a stage of it, that does not exist is *cftypes.NoSuchFunctionExists:
// functionGone says so.

// describeFunction reads the summary of the function's DEVELOPMENT stage
// (the one updates write): its ETag, status, comment and ARN.
func (r *functionResource) describeFunction(ctx context.Context, name string) (*cloudfront.DescribeFunctionOutput, error) {
	return r.clients.CloudFront.DescribeFunction(ctx, &cloudfront.DescribeFunctionInput{Name: aws.String(name), Stage: cftypes.FunctionStageDevelopment})
}

// functionCode reads the code of a stage of the function, with its ETag.
func (r *functionResource) functionCode(ctx context.Context, name string, stage cftypes.FunctionStage) (*cloudfront.GetFunctionOutput, error) {
	return r.clients.CloudFront.GetFunction(ctx, &cloudfront.GetFunctionInput{Name: aws.String(name), Stage: stage})
}

// functionGone reports whether err says the function (or the stage) does
// not exist.
func functionGone(err error) bool { return isA[*cftypes.NoSuchFunctionExists](err) }
