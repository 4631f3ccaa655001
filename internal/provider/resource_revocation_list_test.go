package provider

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
	kvs "github.com/aws/aws-sdk-go-v2/service/cloudfrontkeyvaluestore"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	localcf "github.com/securestream/terraform-provider-securestream/internal/local/cloudfront"
)

// revocationListHCL is securestream_revocation_list.r named store, with
// body added to its arguments.
func revocationListHCL(store, body string) string {
	return fmt.Sprintf(`
resource "securestream_revocation_list" "r" {
  name = %q
  %s
}
`, store, body)
}

var storeARNRE = regexp.MustCompile(`^arn:aws:cloudfront::[0-9]{12}:key-value-store/[0-9a-fA-F-]{36}$`)

// describeStore is CloudFront's KeyValueStore name, with its ETag.
func (e *cfEnv) describeStore(name string) (*cloudfront.DescribeKeyValueStoreOutput, error) {
	return e.client.DescribeKeyValueStore(context.Background(), &cloudfront.DescribeKeyValueStoreInput{Name: aws.String(name)})
}

// deleteStore deletes the store name outside Terraform.
func (e *cfEnv) deleteStore(t *testing.T, name string) {
	t.Helper()
	d, err := e.describeStore(name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.DeleteKeyValueStore(context.Background(), &cloudfront.DeleteKeyValueStoreInput{Name: aws.String(name), IfMatch: d.ETag}); err != nil {
		t.Fatal(err)
	}
}

// storeMatches checks CloudFront's store against the state of
// securestream_revocation_list.r: the same id, ARN and comment, READY.
func (e *cfEnv) storeMatches(comment string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		a, err := attrs(s, "securestream_revocation_list.r")
		if err != nil {
			return err
		}
		d, err := e.describeStore(a["name"])
		if err != nil {
			return err
		}
		kv := d.KeyValueStore
		if aws.ToString(kv.ARN) != a["arn"] || aws.ToString(kv.Id) != a["id"] || aws.ToString(kv.Comment) != comment ||
			aws.ToString(kv.Status) != "READY" || a["status"] != "READY" || !strings.HasSuffix(a["arn"], "/"+a["id"]) {
			return fmt.Errorf("CloudFront's store %+v; state %v; want comment %q, READY", kv, a, comment)
		}
		return nil
	}
}

// checkStoresDestroyed: every revocation list of the state is gone.
func (e *cfEnv) checkStoresDestroyed(s *terraform.State) error {
	for addr, rs := range s.RootModule().Resources {
		if rs.Type != "securestream_revocation_list" {
			continue
		}
		if _, err := e.describeStore(rs.Primary.Attributes["name"]); !isA[*cftypes.EntityNotFound](err) {
			return fmt.Errorf("%s: the store %s is still there (%v)", addr, rs.Primary.Attributes["name"], err)
		}
	}
	return nil
}

// The store is made READY, its comment updated in place, imported by
// name; deleted outside Terraform it leaves the state with a warning and
// the next apply makes it again; destroy deletes it.
func TestAccRevocationList_lifecycle(t *testing.T) {
	e := newCFEnv(t, localcf.Config{})
	store := name("revoked")
	var arn1 string
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             e.checkStoresDestroyed,
		Steps: []resource.TestStep{
			{
				Config: e.provider() + revocationListHCL(store, ""),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("securestream_revocation_list.r", tfjsonpath.New("arn"), knownvalue.StringRegexp(storeARNRE)),
					statecheck.ExpectKnownValue("securestream_revocation_list.r", tfjsonpath.New("comment"), knownvalue.StringExact(defaultRevocationListComment)),
				},
				Check: resource.ComposeTestCheckFunc(e.storeMatches(defaultRevocationListComment), capture("securestream_revocation_list.r", "arn", &arn1)),
			},
			{
				// The comment changes in place: the same store, ARN and id.
				Config: e.provider() + revocationListHCL(store, `comment = "revoked video sessions"`),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("securestream_revocation_list.r", plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue("securestream_revocation_list.r", tfjsonpath.New("arn"), knownvalue.StringFunc(func(v string) error {
						if v != arn1 {
							return fmt.Errorf("planned ARN %s; want the store's %s", v, arn1)
						}
						return nil
					})),
				}},
				Check: resource.ComposeTestCheckFunc(e.storeMatches("revoked video sessions"),
					resource.TestCheckResourceAttrPtr("securestream_revocation_list.r", "arn", &arn1)),
			},
			{
				ResourceName:                         "securestream_revocation_list.r",
				ImportState:                          true,
				ImportStateVerify:                    true,
				ImportStateId:                        store,
				ImportStateVerifyIdentifierAttribute: "name",
				ImportStateVerifyIgnore:              []string{"timeouts"},
			},
			{
				// An import block plans no change, and so does the
				// configuration Terraform generates.
				ResourceName:    "securestream_revocation_list.r",
				ImportState:     true,
				ImportStateKind: resource.ImportBlockWithID,
				ImportStateId:   store,
			},
			{
				ResourceName:    "securestream_revocation_list.r",
				ImportState:     true,
				ImportStateKind: resource.ImportBlockWithID,
				ImportStateId:   store,
				GenerateConfig:  true,
				Config:          e.provider(),
			},
			{
				// An import id that is no store's name, and one that is not
				// a name at all.
				ResourceName:  "securestream_revocation_list.r",
				ImportState:   true,
				ImportStateId: store + "-none",
				ExpectError:   regexp.MustCompile(`(?s)cloudfront:DescribeKeyValueStore.*No CloudFront KeyValueStore is named`),
			},
			{
				ResourceName:  "securestream_revocation_list.r",
				ImportState:   true,
				ImportStateId: "arn:aws:cloudfront::123456789012:key-value-store/x",
				ExpectError:   regexp.MustCompile(`(?s)Unexpected import id.*not a KeyValueStore\s+name`),
			},
			{
				// Drift: deleted outside Terraform. The refresh drops it
				// (with a warning), the plan makes it again, with a new ARN.
				PreConfig: func() { e.deleteStore(t, store) },
				Config:    e.provider() + revocationListHCL(store, `comment = "revoked video sessions"`),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("securestream_revocation_list.r", plancheck.ResourceActionCreate),
				}},
				Check: resource.ComposeTestCheckFunc(e.storeMatches("revoked video sessions"), func(s *terraform.State) error {
					if a, _ := attrs(s, "securestream_revocation_list.r"); a["arn"] == arn1 {
						return fmt.Errorf("the store made again has the old ARN %s", arn1)
					}
					return nil
				}),
			},
		},
	})
}

// associateStore creates (or, when it exists, updates) the CloudFront
// Function fn outside Terraform, associated with the store arn ("": none).
func (e *cfEnv) associateStore(t *testing.T, fn, arn string) {
	t.Helper()
	ctx := context.Background()
	cfg := cfFunctionConfig(types.StringValue("theirs"), optional(arn))
	code := []byte("function handler(e) { return e.request; }")
	d, err := e.client.DescribeFunction(ctx, &cloudfront.DescribeFunctionInput{Name: aws.String(fn)})
	if isA[*cftypes.NoSuchFunctionExists](err) {
		_, err = e.client.CreateFunction(ctx, &cloudfront.CreateFunctionInput{Name: aws.String(fn), FunctionCode: code, FunctionConfig: cfg})
	} else if err == nil {
		_, err = e.client.UpdateFunction(ctx, &cloudfront.UpdateFunctionInput{Name: aws.String(fn), IfMatch: d.ETag, FunctionCode: code, FunctionConfig: cfg})
	}
	if err != nil {
		t.Fatal(err)
	}
}

// Destroy refuses while a function associates the store, naming the
// function, the call and the fix, both when it finds the function itself
// and when only CloudFront's answer says so; once the association is
// removed the destroy goes through.
func TestAccRevocationList_destroyRefusedWhileInUse(t *testing.T) {
	e := newCFEnv(t, localcf.Config{})
	store, other := name("revoked"), name("theirs")
	var arn string
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             e.checkStoresDestroyed,
		Steps: []resource.TestStep{
			{
				Config: e.provider() + revocationListHCL(store, ""),
				Check:  capture("securestream_revocation_list.r", "arn", &arn),
			},
			{
				// The list leaves the configuration while a function
				// outside Terraform associates it: refused, and kept.
				PreConfig:   func() { e.associateStore(t, other, arn) },
				Config:      e.provider(),
				ExpectError: regexp.MustCompile(`(?s)The revocation list is in use.*securestream_revocation_list ` + store + `.*cloudfront:DeleteKeyValueStore.*` + other + `.*Remove\s+revocation_list`),
			},
			{
				// ListFunctions refused: CloudFront's own answer is
				// translated, with its words (the local CloudFront names the
				// function).
				PreConfig: func() {
					e.cf.Fail("ListFunctions", 1, "AccessDenied")
					e.cf.Fail("ListFunctions", 2, "AccessDenied")
				},
				Config:      e.provider(),
				ExpectError: regexp.MustCompile(`(?s)cloudfront:DeleteKeyValueStore failed.*CannotDeleteEntityWhileInUse.*` + other + `.*cloudfront:ListFunctions`),
			},
			{
				// The store is still there, unchanged.
				Config: e.provider() + revocationListHCL(store, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectEmptyPlan(),
				}},
				Check: e.storeMatches(defaultRevocationListComment),
			},
			{
				// The association removed: the destroy goes through, past an
				// in-use answer that outlives it (a change still reaching
				// CloudFront), which it retries.
				PreConfig: func() {
					e.associateStore(t, other, "")
					e.cf.Fail("DeleteKeyValueStore", 1, "CannotDeleteEntityWhileInUse")
				},
				Config: e.provider(),
				Check: func(*terraform.State) error {
					if _, err := e.describeStore(store); !isA[*cftypes.EntityNotFound](err) {
						return fmt.Errorf("the store %s is still there (%v)", store, err)
					}
					return nil
				},
			},
		},
	})
}

// functionStore is the store the stage of the function fn associates ("" for none).
func (e *cfEnv) functionStore(fn string, stage cftypes.FunctionStage) (string, error) {
	d, err := e.client.DescribeFunction(context.Background(), &cloudfront.DescribeFunctionInput{Name: aws.String(fn), Stage: stage})
	if err != nil {
		return "", err
	}
	return storeOf(d.FunctionSummary.FunctionConfig).ValueString(), nil
}

// functionCode is the code of the stage of the function fn.
func (e *cfEnv) functionCode(fn string, stage cftypes.FunctionStage) (string, error) {
	out, err := e.client.GetFunction(context.Background(), &cloudfront.GetFunctionInput{Name: aws.String(fn), Stage: stage})
	if err != nil {
		return "", err
	}
	return string(out.FunctionCode), nil
}

// revoke writes the revocation of the session sid into the store arn, as
// the issuer does (data plane, with the store's ETag), until an hour from
// now.
func (e *cfEnv) revoke(arn, sid string) error {
	ctx := context.Background()
	c := kvs.NewFromConfig(e.clients.Config, func(o *kvs.Options) { o.EndpointResolverV2 = localcf.KVSEndpointResolver(e.cf.Endpoint) })
	d, err := c.DescribeKeyValueStore(ctx, &kvs.DescribeKeyValueStoreInput{KvsARN: aws.String(arn)})
	if err != nil {
		return err
	}
	_, err = c.PutKey(ctx, &kvs.PutKeyInput{KvsARN: aws.String(arn), IfMatch: d.ETag, Key: aws.String("r:" + sid),
		Value: aws.String(strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10))})
	return err
}

// revocationCheck is how the rendered (minified) code reads the store: the
// module import and cf.kvs(), which code without a store never has.
var revocationCheck = []string{"import cf from'cloudfront'", "cf.kvs("}

// sessionKey is data "securestream_stream_key" sid: a key of the session
// sid for the test's client, valid now.
func sessionKey(sid string) string {
	return streamKeyBlock("data", sid, `activation_delay = "0s"`, `playback_url = "https://video.example.com/live/a/index.m3u8"`,
		`client_ip = "127.0.0.1"`, `user_agent = "Player/1.0"`, `bind_host = false`, fmt.Sprintf("session_id = %q", sid))
}

// The function's stores: both stages associate the store of
// revocation_list, whose ARN is the list's; the code of both stages, and
// the data source's, has the revocation check; revocation_fail_closed
// re-renders; an association removed outside Terraform is put back;
// import reads it back; removing revocation_list removes both.
func TestAccFunction_revocationList(t *testing.T) {
	e := newCFEnv(t, localcf.Config{})
	dist := e.distribution(t)
	fn, issuer, store, store2 := name("edge"), name("issuer"), name("revoked"), name("revoked")
	// The list as the example has it: create_before_destroy, so that
	// Terraform updates the functions that name it before it deletes it
	// (otherwise it deletes first, which CloudFront refuses).
	cbd := "lifecycle {\n    create_before_destroy = true\n  }"
	cfgNamed := func(store, extra string) string {
		return functionConfig(e, fn, issuer, "1", extra, assocOn(dist)) + revocationListHCL(store, cbd) +
			functionCodeData("securestream_secret.s.key_ring", extra) + sessionKey("revoked") + sessionKey("kept")
	}
	cfg := func(extra string) string { return cfgNamed(store, extra) }
	cfgWithout := func(extra string) string { // the same without the list
		return functionConfig(e, fn, issuer, "1", extra, assocOn(dist)) +
			functionCodeData("securestream_secret.s.key_ring", extra) + sessionKey("revoked") + sessionKey("kept")
	}
	const withList = "revocation_list = securestream_revocation_list.r.arn"
	// deployed checks both stages: the store (or none) and whether the
	// code has the check; and the data source's code the same.
	deployed := func(associated bool) resource.TestCheckFunc {
		return func(s *terraform.State) error {
			a, _ := attrs(s, "securestream_function.f")
			list, _ := attrs(s, "securestream_revocation_list.r")
			data, _ := attrs(s, "data.securestream_function_code.c")
			want := ""
			if associated {
				want = list["arn"]
				if a["revocation_list"] != want {
					return fmt.Errorf("state revocation_list %q; want the list's ARN %s", a["revocation_list"], want)
				}
			} else if a["revocation_list"] != "" {
				return fmt.Errorf("state revocation_list %q; want none", a["revocation_list"])
			}
			for _, stage := range []cftypes.FunctionStage{cftypes.FunctionStageDevelopment, cftypes.FunctionStageLive} {
				got, err := e.functionStore(fn, stage)
				if err != nil || got != want {
					return fmt.Errorf("%s associates %q (%v); want %q", stage, got, err, want)
				}
				code, err := e.functionCode(fn, stage)
				if err != nil {
					return err
				}
				for _, c := range [][2]string{{string(stage), code}, {"the data source", data["code"]}} {
					for _, marker := range revocationCheck {
						if strings.Contains(c[1], marker) != associated {
							return fmt.Errorf("%s's code has %q: %v; want %v", c[0], marker, !associated, associated)
						}
					}
				}
			}
			if data["code_sha256"] != a["code_sha256"] {
				return fmt.Errorf("the data source renders %s, the function %s", data["code_sha256"], a["code_sha256"])
			}
			return nil
		}
	}
	// edge fetches a segment with the key of the session sid, and wants
	// the status.
	edge := func(sid string, want int) resource.TestCheckFunc {
		return func(s *terraform.State) error {
			a, err := attrs(s, "data.securestream_stream_key."+sid)
			if err != nil {
				return err
			}
			got, err := e.get(dist, "/live/a/seg1.ts", map[string]string{"User-Agent": "Player/1.0", "x-stream-token": a["token"]})
			if err != nil || got != want {
				return fmt.Errorf("GET with the key of session %s: %d %v; want %d", sid, got, err, want)
			}
			return nil
		}
	}
	var open, closed, listARN string
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy: func(s *terraform.State) error {
			if err := e.checkDestroyed(fn, dist)(s); err != nil {
				return err
			}
			return e.checkStoresDestroyed(s)
		},
		Steps: []resource.TestStep{
			{
				// A store that does not exist: CloudFront refuses the
				// function, and the error names revocation_list.
				Config:      cfg(`revocation_list = "arn:aws:cloudfront::123456789012:key-value-store/00000000-0000-0000-0000-000000000000"`),
				ExpectError: regexp.MustCompile(`(?s)cloudfront:CreateFunction failed.*InvalidArgument.*KeyValueStore\s+association:\s+revocation_list`),
			},
			{
				Config: cfg(withList),
				Check: resource.ComposeTestCheckFunc(deployed(true), capture("securestream_function.f", "code_sha256", &open),
					capture("securestream_revocation_list.r", "arn", &listARN),
					// The edge reads the store: a revoked session is refused,
					// another passes; a store it cannot read fails open.
					edge("revoked", 200), edge("kept", 200),
					func(*terraform.State) error { return e.revoke(listARN, "revoked") },
					edge("revoked", 403), edge("kept", 200),
					func(*terraform.State) error { e.cf.FailKVSReads(store, errors.New("unreadable")); return nil },
					edge("revoked", 200), edge("kept", 200),
					func(*terraform.State) error { e.cf.FailKVSReads(store, nil); return nil }),
			},
			{
				// Fail closed: other code, the same store.
				Config: cfg(withList + "\n  revocation_fail_closed = true"),
				Check: resource.ComposeTestCheckFunc(deployed(true), capture("securestream_function.f", "code_sha256", &closed),
					edge("revoked", 403), edge("kept", 200),
					func(*terraform.State) error { e.cf.FailKVSReads(store, errors.New("unreadable")); return nil },
					edge("kept", 403),
					func(*terraform.State) error { e.cf.FailKVSReads(store, nil); return nil },
					func(*terraform.State) error {
						if closed == open {
							return fmt.Errorf("revocation_fail_closed did not change the code (%s)", open)
						}
						return nil
					}),
			},
			{
				// Drift: the association removed outside Terraform (the
				// code left as it is). The plan shows it; the apply puts it
				// back.
				PreConfig: func() {
					ctx := context.Background()
					d, err := e.client.DescribeFunction(ctx, &cloudfront.DescribeFunctionInput{Name: aws.String(fn)})
					if err != nil {
						t.Fatal(err)
					}
					code, err := e.functionCode(fn, cftypes.FunctionStageDevelopment)
					if err != nil {
						t.Fatal(err)
					}
					if _, err := e.client.UpdateFunction(ctx, &cloudfront.UpdateFunctionInput{Name: aws.String(fn), IfMatch: d.ETag, FunctionCode: []byte(code),
						FunctionConfig: cfFunctionConfig(types.StringValue("securestream edge function"), types.StringNull())}); err != nil {
						t.Fatal(err)
					}
				},
				Config: cfg(withList + "\n  revocation_fail_closed = true"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("securestream_function.f", plancheck.ResourceActionUpdate),
				}},
				Check: deployed(true),
			},
			{
				// Import reads the association back.
				ResourceName:      "securestream_function.f",
				ImportState:       true,
				ImportStateVerify: true,
				ImportStateId:     fn,
				ImportStateVerifyIgnore: []string{"key_ring", "association", "key_ids", "timeouts",
					"revocation_fail_closed"}, // in the code only, as the other settings
			},
			{
				// A new name replaces the store: the new one is made, the
				// function moves to it, then the old one is deleted. The
				// new store is empty: the session passes again. The code
				// stays: a 412 of the publish is not taken for a publish
				// whose answer was lost (LIVE holds that code already, with
				// the old store).
				PreConfig: func() { e.cf.Fail("PublishFunction", 1, "PreconditionFailed") },
				Config:    cfgNamed(store2, withList+"\n  revocation_fail_closed = true"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("securestream_revocation_list.r", plancheck.ResourceActionCreateBeforeDestroy),
					plancheck.ExpectResourceAction("securestream_function.f", plancheck.ResourceActionUpdate),
				}},
				Check: resource.ComposeTestCheckFunc(deployed(true), edge("revoked", 200), func(s *terraform.State) error {
					if a, _ := attrs(s, "securestream_revocation_list.r"); a["arn"] == listARN || a["name"] != store2 {
						return fmt.Errorf("the list is still %s (%s)", a["name"], a["arn"])
					}
					if _, err := e.describeStore(store); !isA[*cftypes.EntityNotFound](err) {
						return fmt.Errorf("the old store %s is still there (%v)", store, err)
					}
					return nil
				}, capture("securestream_revocation_list.r", "arn", &listARN)),
			},
			{
				// Without revocation_list, and without the list, in one
				// apply: Terraform updates the function (no association, no
				// check) before it destroys the list, which goes through.
				Config: cfgWithout(""),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("securestream_function.f", plancheck.ResourceActionUpdate),
					plancheck.ExpectResourceAction("securestream_revocation_list.r", plancheck.ResourceActionDestroy),
				}},
				Check: resource.ComposeTestCheckFunc(deployed(false), edge("revoked", 200), func(*terraform.State) error {
					users, err := storeUsers(context.Background(), e.client, listARN)
					if err != nil || len(users) != 0 {
						return fmt.Errorf("functions that still associate the store: %v %v", users, err)
					}
					if _, err := e.describeStore(store2); !isA[*cftypes.EntityNotFound](err) {
						return fmt.Errorf("the store %s is still there (%v)", store2, err)
					}
					return nil
				}),
			},
			{
				// revocation_fail_closed alone is refused at plan.
				Config:      cfgWithout("revocation_fail_closed = true"),
				ExpectError: regexp.MustCompile(`revocation_fail_closed needs revocation_list`),
			},
		},
	})
}
