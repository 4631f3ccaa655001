package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
)

// The finders of securestream_revocation_list's KeyValueStore, which the
// CloudFront API names by its name. A store that does not exist is
// *cftypes.EntityNotFound: storeGone says so.

// The store's statuses: PROVISIONING until the edge can read it.
const kvsStatusProvisioning = "PROVISIONING"

var (
	// A new store is READY in seconds: poll soon at first, then every 5
	// seconds (terraform-provider-aws waits the same way).
	kvsReadyPoll = backoff{first: 500 * time.Millisecond, max: 5 * time.Second}
	// CloudFront may refuse to delete a store as in use for a while after
	// the last function let it go: retry, within the delete's time.
	kvsInUseRetry = backoff{first: time.Second, max: 5 * time.Second}
)

// describeStore reads the store's summary with its (control-plane) ETag.
func (r *revocationListResource) describeStore(ctx context.Context, name string) (*cloudfront.DescribeKeyValueStoreOutput, error) {
	return r.clients.CloudFront.DescribeKeyValueStore(ctx, &cloudfront.DescribeKeyValueStoreInput{Name: aws.String(name)})
}

// storeGone reports whether err says the store does not exist.
func storeGone(err error) bool { return isA[*cftypes.EntityNotFound](err) }

// storeMissing says that the KeyValueStore name does not exist.
func storeMissing(name string) string {
	return fmt.Sprintf("The CloudFront KeyValueStore %s does not exist: it was deleted outside Terraform, and the next plan creates it again.", name)
}
