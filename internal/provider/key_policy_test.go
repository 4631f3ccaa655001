package provider

import (
	"encoding/json"
	"slices"
	"testing"
)

func TestPrincipalPatterns(t *testing.T) {
	for arn, want := range map[string][]string{
		"arn:aws:sts::123456789012:assumed-role/deploy/ci-42": {"arn:aws:iam::123456789012:role/deploy", "arn:aws:iam::123456789012:role/*/deploy"},
		"arn:aws-cn:sts::123456789012:assumed-role/x/y":       {"arn:aws-cn:iam::123456789012:role/x", "arn:aws-cn:iam::123456789012:role/*/x"},
		"arn:aws:iam::123456789012:user/ops/alice":            {"arn:aws:iam::123456789012:user/ops/alice"},
		"arn:aws:iam::123456789012:root":                      {"arn:aws:iam::123456789012:root"},
	} {
		got, err := principalPatterns(arn)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("%s: %v %v; want %v", arn, got, err, want)
		}
	}
	if _, err := principalPatterns("not-an-arn"); err == nil {
		t.Error("a non-ARN was accepted")
	}
}

// The policy: the account administers the key but no statement lets it
// encrypt or decrypt unconditionally; Decrypt goes to the caller's role and
// the named roles, Encrypt to the caller only, both under the function's
// encryption context.
func TestKeyPolicy(t *testing.T) {
	doc, err := keyPolicy("arn:aws:sts::123456789012:assumed-role/deploy/ci", []string{"arn:aws:iam::123456789012:role/issuer"}, []string{"fn", "old"})
	if err != nil {
		t.Fatal(err)
	}
	var p struct {
		Statement []struct {
			Sid       string
			Principal map[string]string
			Action    any
			Condition map[string]map[string][]string
		}
	}
	if err := json.Unmarshal([]byte(doc), &p); err != nil {
		t.Fatal(err)
	}
	if len(p.Statement) != 3 {
		t.Fatalf("%d statements: %s", len(p.Statement), doc)
	}
	for _, st := range p.Statement {
		if st.Principal["AWS"] != "arn:aws:iam::123456789012:root" {
			t.Errorf("%s: principal %v", st.Sid, st.Principal)
		}
		switch st.Sid {
		case "AccountAdministersTheKey":
			for _, a := range st.Action.([]any) {
				if a == "kms:Decrypt" || a == "kms:Encrypt" || a == "kms:*" {
					t.Errorf("the account may %s", a)
				}
			}
		case "TerraformSealsTheKeyRing", "NamedPrincipalsOpenTheKeyRing":
			who := st.Condition["ArnLike"]["aws:PrincipalArn"]
			if !slices.Contains(who, "arn:aws:iam::123456789012:role/deploy") {
				t.Errorf("%s: the caller's role is missing: %v", st.Sid, who)
			}
			if hasIssuer := slices.Contains(who, "arn:aws:iam::123456789012:role/issuer"); hasIssuer != (st.Sid == "NamedPrincipalsOpenTheKeyRing") {
				t.Errorf("%s: the issuer's role: %v", st.Sid, who)
			}
			if ctx := st.Condition["StringEquals"]["kms:EncryptionContext:LambdaFunctionName"]; !slices.Equal(ctx, []string{"fn", "old"}) {
				t.Errorf("%s: context %v", st.Sid, ctx)
			}
		default:
			t.Errorf("unexpected statement %s", st.Sid)
		}
	}
}
