package cloudfront

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cf "github.com/aws/aws-sdk-go-v2/service/cloudfront"

	"github.com/securestream/terraform-provider-securestream/internal/streamkey"
)

// The edge serves a distribution under its own DomainName too (as
// CloudFront does: d<random>.cloudfront.net, which no web page can rebind
// to loopback), and the function sees it as the Host, so that a key bound
// to the distribution's domain (an issuer whose allowed_hosts is
// aws_cloudfront_distribution.domain_name, as in examples/complete) plays
// through the local edge. Another distribution's domain stays refused
// (TestForeignHostRefused).
func TestEdgeServesOwnDomain(t *testing.T) {
	st := startStack(t, Config{})
	d, err := sdk(st.s).GetDistribution(ctx, &cf.GetDistributionInput{Id: aws.String(st.id)})
	if err != nil {
		t.Fatal(err)
	}
	domain := aws.ToString(d.Distribution.DomainName)
	tok, err := st.ring.Mint(testKey.ID, streamkey.Grant{Expires: time.Now().Add(time.Hour), Paths: []string{"/media/*"}, Host: domain})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, url, host string
		want            int
	}{
		{"shared edge, own domain", st.s.EdgeEndpoint + "/media/a.ts", domain, 200},
		{"shared edge, own domain with a port", st.s.EdgeEndpoint + "/media/a.ts", domain + ":443", 200},
		{"distribution's port, own domain", st.edge + "/media/a.ts", domain, 200},
		{"another host than the key's", st.s.EdgeEndpoint + "/media/a.ts", st.id + ".cloudfront.local", 403},
		{"another distribution's domain", st.s.EdgeEndpoint + "/media/a.ts", "d111111abcdef8.cloudfront.net", 403},
	} {
		resp, body := get(t, c.url, map[string]string{"Host": c.host, "X-Stream-Token": tok})
		if resp.StatusCode != c.want {
			t.Errorf("%s (Host %s): %d %s (x-stream-key-error %q); want %d", c.name, c.host, resp.StatusCode, body, resp.Header.Get("X-Stream-Key-Error"), c.want)
		}
	}
}
