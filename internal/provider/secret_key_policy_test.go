package provider

import (
	"slices"
	"strings"
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
// encrypt, decrypt or grant; Encrypt, Decrypt and CreateGrant go to the
// caller's role, Decrypt also to the named roles, each under the
// function's encryption context, and with its purpose where the secret
// is used (issue 18, L4 and H1).
func TestKeyPolicy(t *testing.T) {
	doc, err := keyPolicy("arn:aws:sts::123456789012:assumed-role/deploy/ci", []string{"arn:aws:iam::123456789012:role/issuer"}, []string{"fn", "old"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := parsePolicy(doc)
	if err != nil {
		t.Fatal(err)
	}
	purposes := []string{"key-ring", "jwt-hs256-key", "origin-secret"}
	seen := map[string]bool{}
	for _, st := range p.Statement {
		seen[st.Sid] = true
		if principal, _ := st.Principal.(map[string]any); principal["AWS"] != "arn:aws:iam::123456789012:root" {
			t.Errorf("%s: principal %v", st.Sid, st.Principal)
		}
		who := policyList(st.Condition["ArnLike"]["aws:PrincipalArn"])
		functions := policyList(st.Condition["StringEquals"]["kms:EncryptionContext:LambdaFunctionName"])
		purpose := policyList(st.Condition["StringEquals"]["kms:EncryptionContext:Purpose"])
		if st.Sid != "AccountAdministersTheKey" && !slices.Equal(functions, []string{"fn", "old"}) {
			t.Errorf("%s: context %v", st.Sid, functions)
		}
		switch st.Sid {
		case "AccountAdministersTheKey":
			// L4: no wildcard (kms:Create* holds kms:CreateGrant), no use.
			for _, a := range policyList(st.Action) {
				if strings.Contains(a, "*") || slices.Contains([]string{"kms:Encrypt", "kms:Decrypt", "kms:CreateGrant", "kms:ReplicateKey"}, a) ||
					strings.HasPrefix(a, "kms:ReEncrypt") || strings.HasPrefix(a, "kms:GenerateDataKey") {
					t.Errorf("the account may %s", a)
				}
			}
			for _, a := range []string{"kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion", "kms:EnableKey", "kms:DisableKey", "kms:RevokeGrant"} {
				if !slices.Contains(policyList(st.Action), a) {
					t.Errorf("the account cannot %s: the key would be unmanageable", a)
				}
			}
			if st.Condition != nil {
				t.Errorf("the administration is conditional: %v", st.Condition)
			}
		case "TerraformSealsTheKeyRing", "TerraformOpensTheKeyRing", "TerraformGrantsTheIssuerDecrypt":
			if !slices.Equal(who, []string{"arn:aws:iam::123456789012:role/deploy", "arn:aws:iam::123456789012:role/*/deploy"}) {
				t.Errorf("%s: principals %v", st.Sid, who)
			}
			want := map[string]string{"TerraformSealsTheKeyRing": "kms:Encrypt", "TerraformOpensTheKeyRing": "kms:Decrypt", "TerraformGrantsTheIssuerDecrypt": "kms:CreateGrant"}[st.Sid]
			if !slices.Equal(policyList(st.Action), []string{want}) {
				t.Errorf("%s: actions %v", st.Sid, st.Action)
			}
			// Terraform opens what earlier versions sealed without a purpose, to re-seal it.
			if st.Sid != "TerraformOpensTheKeyRing" && !slices.Equal(purpose, purposes) {
				t.Errorf("%s: purposes %v", st.Sid, purpose)
			}
			if st.Sid == "TerraformGrantsTheIssuerDecrypt" {
				if ops := policyList(st.Condition["ForAllValues:StringEquals"]["kms:GrantOperations"]); !slices.Equal(ops, []string{"Decrypt"}) {
					t.Errorf("grant operations %v", ops)
				}
				if c := policyList(st.Condition["StringEquals"]["kms:GrantConstraintType"]); !slices.Equal(c, []string{"EncryptionContextEquals"}) {
					t.Errorf("grant constraint %v", c)
				}
				if g := policyList(st.Condition["StringLike"]["kms:GranteePrincipal"]); !slices.Equal(g, []string{"arn:aws:iam::123456789012:role/securestream/*"}) {
					t.Errorf("grantee %v", g)
				}
			}
		case "NamedPrincipalsOpenTheKeyRing":
			if !slices.Equal(who, []string{"arn:aws:iam::123456789012:role/issuer"}) || !slices.Equal(policyList(st.Action), []string{"kms:Decrypt"}) {
				t.Errorf("%s: %v may %v", st.Sid, who, st.Action)
			}
			if !slices.Equal(purpose, purposes) {
				t.Errorf("%s: purposes %v", st.Sid, purpose)
			}
		default:
			t.Errorf("unexpected statement %s", st.Sid)
		}
		if st.Sid != "TerraformGrantsTheIssuerDecrypt" && slices.Contains(policyList(st.Action), "kms:CreateGrant") {
			t.Errorf("%s grants", st.Sid)
		}
	}
	for _, sid := range []string{"AccountAdministersTheKey", "TerraformSealsTheKeyRing", "TerraformOpensTheKeyRing", "TerraformGrantsTheIssuerDecrypt", "NamedPrincipalsOpenTheKeyRing"} {
		if !seen[sid] {
			t.Errorf("no statement %s:\n%s", sid, doc)
		}
	}
}
