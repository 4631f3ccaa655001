package provider

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/securestream/terraform-provider-securestream/internal/keyring"
)

const testKeyARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"

// checkIssuerPolicy asserts that a role policy grants the issuer's needs
// and nothing more: kms:Decrypt on the ring's key under the function's
// encryption context, and writing to its own log group.
func checkIssuerPolicy(doc, keyARN, function string) error {
	p, err := parsePolicy(doc)
	if err != nil {
		return fmt.Errorf("the role policy is not JSON: %w", err)
	}
	var actions []string
	for _, s := range p.Statement {
		if s.Effect != "Allow" || s.NotAction != nil || s.NotResource != nil {
			return fmt.Errorf("statement %s: only plain Allow statements are expected", s.Sid)
		}
		res := policyList(s.Resource)
		for _, a := range policyList(s.Action) {
			actions = append(actions, a)
			if strings.Contains(a, "*") {
				return fmt.Errorf("statement %s: wildcard action %s", s.Sid, a)
			}
			switch a {
			case "kms:Decrypt":
				if !slices.Equal(res, []string{keyARN}) {
					return fmt.Errorf("kms:Decrypt on %v, want only %s", res, keyARN)
				}
				if got := policyList(s.Condition["StringEquals"]["kms:EncryptionContext:LambdaFunctionName"]); !slices.Equal(got, []string{function}) {
					return fmt.Errorf("kms:Decrypt's encryption context condition is %q, want %q", got, function)
				}
				// Each secret only as what it is (issue 18, H1).
				if got := policyList(s.Condition["StringEquals"]["kms:EncryptionContext:Purpose"]); !slices.Equal(got, keyring.Purposes) {
					return fmt.Errorf("kms:Decrypt's purpose condition is %q, want %q", got, keyring.Purposes)
				}
			case "logs:CreateLogStream", "logs:PutLogEvents":
				want := fmt.Sprintf("arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/%s:*", function)
				if !slices.Equal(res, []string{want}) {
					return fmt.Errorf("%s on %v, want only %s", a, res, want)
				}
			default:
				return fmt.Errorf("statement %s grants %s, which the issuer does not need", s.Sid, a)
			}
		}
	}
	slices.Sort(actions)
	if want := []string{"kms:Decrypt", "logs:CreateLogStream", "logs:PutLogEvents"}; !slices.Equal(actions, want) {
		return fmt.Errorf("the policy grants %v, want %v", actions, want)
	}
	return nil
}

func TestIssuerPolicyIsLeastPrivilege(t *testing.T) {
	doc, err := issuerPolicy("arn:aws:iam::123456789012:role/securestream/video", "us-east-1", "video", testKeyARN)
	if err != nil {
		t.Fatal(err)
	}
	if err := checkIssuerPolicy(doc, testKeyARN, "video"); err != nil {
		t.Fatal(err)
	}
	if _, err := issuerPolicy("not-an-arn", "us-east-1", "video", testKeyARN); err == nil {
		t.Fatal("a role ARN that is not one was accepted")
	}
}
