package provider

import (
	"context"
	"fmt"
	"regexp"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/securestream/terraform-provider-securestream/internal/local/faultproxy"
)

// Lambda's answers while IAM propagates a new role and while an update
// of the function is in progress, as AWS words them.
const (
	roleNotAssumable = "The role defined for the function cannot be assumed by Lambda."
	updateInProgress = "The operation cannot be performed at this time. An update is in progress for resource: arn:aws:lambda:us-east-1:123456789012:function:%s"
)

// An issuer created while IAM has not yet propagated its new role, and
// created and updated while Lambda answers ResourceConflictException
// (another update in progress), converges: each such call is retried with
// a bounded backoff, no object is made twice, and the plan after is empty.
// A conflict that never passes ends at the update's timeout with the call
// and the fix, and the next apply converges.
func TestAccFaults_issuerLambdaConflicts(t *testing.T) {
	e := newAccEnv(t)
	if e.endpoint == "" {
		t.Fatal("this test injects faults through a proxy in front of moto: unset SECURESTREAM_ACC_ENDPOINT=aws")
	}
	cfg, p, fn := issuerBehindProxy(t, e, apiTypeFunctionURL)
	conflict := fmt.Sprintf(updateInProgress, fn)
	calls := func(want map[string]int) resource.TestCheckFunc {
		return func(*terraform.State) error {
			got := p.Counts()
			for op, n := range want {
				if got[op] != n {
					return fmt.Errorf("%s was called %d times; want %d (the failed calls and one that went through)", op, got[op], n)
				}
			}
			return nil
		}
	}
	// Exactly one function of the name, configured as planned.
	function := func(memory, concurrency int32) resource.TestCheckFunc {
		return func(*terraform.State) error {
			out, err := e.clients.Lambda.GetFunction(context.Background(), &lambda.GetFunctionInput{FunctionName: aws.String(fn)})
			if err != nil {
				return err
			}
			if aws.ToInt32(out.Configuration.MemorySize) != memory {
				return fmt.Errorf("memory %d; want %d", aws.ToInt32(out.Configuration.MemorySize), memory)
			}
			if concurrency > 0 && (out.Concurrency == nil || aws.ToInt32(out.Concurrency.ReservedConcurrentExecutions) != concurrency) {
				return fmt.Errorf("reserved concurrency %v; want %d", out.Concurrency, concurrency)
			}
			list, err := e.clients.Lambda.ListFunctions(context.Background(), &lambda.ListFunctionsInput{})
			if err != nil {
				return err
			}
			if len(list.Functions) != 1 {
				return fmt.Errorf("%d functions; want 1", len(list.Functions))
			}
			return nil
		}
	}
	updated := "  memory_size          = 512\n  reserved_concurrency = 2\n"
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             e.checkIssuerDestroyed,
		Steps: []resource.TestStep{
			{
				PreConfig: func() {
					p.Reset()
					p.Inject(faultproxy.Fault{Op: "lambda:CreateFunction", Nth: 1, Times: 3, Code: "InvalidParameterValueException", Message: roleNotAssumable})
					p.Inject(faultproxy.Fault{Op: "lambda:CreateFunctionUrlConfig", Nth: 1, Times: 2, Code: "ResourceConflictException", Message: conflict})
					p.Inject(faultproxy.Fault{Op: "lambda:AddPermission", Nth: 1, Times: 2, Code: "ResourceConflictException", Message: conflict})
				},
				Config: cfg(),
				Check: resource.ComposeTestCheckFunc(
					calls(map[string]int{"lambda:CreateFunction": 4, "lambda:CreateFunctionUrlConfig": 3, "lambda:AddPermission": 3, "iam:CreateRole": 1}),
					function(256, 0),
				),
			},
			{
				PreConfig: func() {
					p.Reset()
					p.Inject(faultproxy.Fault{Op: "lambda:UpdateFunctionConfiguration", Nth: 1, Times: 3, Code: "ResourceConflictException", Message: conflict})
					p.Inject(faultproxy.Fault{Op: "lambda:PutFunctionConcurrency", Nth: 1, Times: 2, Code: "ResourceConflictException", Message: conflict})
				},
				Config: cfg(updated),
				Check: resource.ComposeTestCheckFunc(
					calls(map[string]int{"lambda:UpdateFunctionConfiguration": 4, "lambda:PutFunctionConcurrency": 3}),
					function(512, 2),
				),
			},
			{PreConfig: p.Reset, Config: cfg(updated), PlanOnly: true},
			{
				// A conflict that never passes: the retries end with the
				// update's timeout, and the diagnostic says what to do.
				PreConfig: func() {
					p.Inject(faultproxy.Fault{Op: "lambda:UpdateFunctionConfiguration", Code: "ResourceConflictException", Message: conflict})
				},
				Config:      cfg("  memory_size = 1024\n  reserved_concurrency = 2\n  timeouts = {\n    update = \"2s\"\n  }\n"),
				ExpectError: regexp.MustCompile(`(?s)lambda:UpdateFunctionConfiguration failed.*update is in progress.*raise\s+timeouts\.create\s+or\s+timeouts\.update`),
			},
			{
				PreConfig: p.Reset,
				Config:    cfg("  memory_size = 1024\n  reserved_concurrency = 2\n"),
				Check:     function(1024, 2),
			},
		},
	})
}
