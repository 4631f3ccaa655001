package provider

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/securestream/terraform-provider-securestream/internal/keyring"
	localcf "github.com/securestream/terraform-provider-securestream/internal/local/cloudfront"
	"github.com/securestream/terraform-provider-securestream/internal/local/faultproxy"
	"github.com/securestream/terraform-provider-securestream/internal/local/localtest"
)

// Destroy never needs the key ring and never plans a rotation (issue 20,
// item 7). terraform destroy first refreshes with a normal plan of the
// configuration (which the provider cannot tell from any other plan), so
// no plan of a resource may fail because the ring cannot be opened or a
// rotation would not fit: those are warnings at plan, and errors of the
// apply that needs the ring.

// The ring's KMS key disabled: the secret and the edge function are
// destroyed, also with a second function in the configuration that was
// never created.
func TestAccDestroy_ringUnopenable(t *testing.T) {
	e := newCFEnv(t, localcf.Config{})
	dist := e.distribution(t)
	// moto's kms:Decrypt ignores the key's state: the proxy answers as
	// KMS does for a disabled key.
	p := localtest.StartFaultProxy(t, e.endpoint)
	fn, edge, edge2 := name("issuer"), name("edge"), name("edge")
	cfg := func(second bool) string {
		c := testProvider(p.URL, cloudfrontEndpoint(e.cf.Endpoint)) + secretHCL(fn, "") + functionHCL("f", edge, assocOn(dist))
		if second {
			c += functionHCL("g", edge2, "")
		}
		return c
	}
	var keyID, keyARN string
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             e.checkNothingLeft(dist),
		Steps: []resource.TestStep{
			{
				Config: cfg(false),
				Check: func(s *terraform.State) error {
					a, err := attrs(s, "securestream_secret.s")
					keyID, keyARN = a["id"], a["kms_key_arn"]
					return err
				},
			},
			{
				PreConfig: func() {
					if _, err := e.clients.KMS.DisableKey(context.Background(), &kms.DisableKeyInput{KeyId: aws.String(keyID)}); err != nil {
						t.Fatal(err)
					}
					for _, op := range []string{"kms:Decrypt", "kms:Encrypt"} {
						p.Inject(faultproxy.Fault{Op: op, Match: keyID, Code: "DisabledException", Message: keyARN + " is disabled."})
					}
				},
				Config:  cfg(true),
				Destroy: true,
			},
		},
	})
}

// Rotated to a full ring with rotation_triggers, then destroyed with a
// configuration that would rotate again: the destroy goes through, without
// -refresh=false.
func TestAccDestroy_ringFull(t *testing.T) {
	e := newAccEnv(t)
	clock := &testClock{}
	fn := name("issuer")
	cfg := func(epoch int) string {
		return secretConfig(e, fmt.Sprintf("function_name = %q\nmax_token_lifetime = \"24h\"\nrotation_triggers = { epoch = \"%d\" }", fn, epoch))
	}
	steps := []resource.TestStep{{Config: cfg(1)}}
	for i := 2; i <= keyring.MaxKeys; i++ {
		steps = append(steps, resource.TestStep{PreConfig: func() { clock.advance(time.Hour) }, Config: cfg(i)})
	}
	steps[len(steps)-1].Check = e.checkRing("securestream_secret.s", keyring.MaxKeys)
	steps = append(steps, resource.TestStep{Config: cfg(keyring.MaxKeys + 1), Destroy: true})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: factoriesWithClock(clock),
		CheckDestroy:             e.checkDestroyed,
		Steps:                    steps,
	})
}
