package cloudfront

import (
	"context"
	"fmt"
	"net/url"

	kvs "github.com/aws/aws-sdk-go-v2/service/cloudfrontkeyvaluestore"
	smithyendpoints "github.com/aws/smithy-go/endpoints"
)

// KVSEndpointResolver points aws-sdk-go-v2's cloudfrontkeyvaluestore
// client at the local CloudFront's data plane, endpoint being
// Server.Endpoint:
//
//	client := cloudfrontkeyvaluestore.NewFromConfig(cfg, func(o *cloudfrontkeyvaluestore.Options) {
//		o.EndpointResolverV2 = cloudfront.KVSEndpointResolver(srv.Endpoint)
//	})
//
// BaseEndpoint does not work for this client: its endpoint rules put the
// store ARN's account id in front of the host (http://127.0.0.1:8080
// becomes http://123456789012.127.0.0.1:8080, a name that does not
// resolve). The client still signs with SigV4A, which the local data
// plane accepts by the Authorization header's shape.
func KVSEndpointResolver(endpoint string) kvs.EndpointResolverV2 {
	return kvsResolver{endpoint: endpoint}
}

type kvsResolver struct{ endpoint string }

func (r kvsResolver) ResolveEndpoint(_ context.Context, _ kvs.EndpointParameters) (smithyendpoints.Endpoint, error) {
	u, err := url.Parse(r.endpoint)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return smithyendpoints.Endpoint{}, fmt.Errorf("cloudfront-keyvaluestore endpoint %q: give the local CloudFront's URL (Server.Endpoint, http://127.0.0.1:PORT)", r.endpoint)
	}
	return smithyendpoints.Endpoint{URI: *u}, nil
}
