package provider

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/securestream/terraform-provider-securestream/internal/keyring"
)

// The key policy of a KMS key securestream_secret creates. The account
// administers the key (so nobody is locked out) but may not use it, nor
// give itself the use of it: only the identity Terraform runs as may seal
// the ring and the issuer's secrets, only it and the roles the user names
// may open them, each only under the encryption context of the issuer's
// function, and only it may grant (Decrypt only, bound to one function's
// secret of one purpose, to an issuer role under role/securestream/).
// Principals are matched by aws:PrincipalArn under the account principal
// rather than named as principals, because KMS refuses a policy naming a
// role that does not exist yet, and the issuer's role is usually created
// after the ring it needs.

// keyAdminActions are what the account may do to the key, listed one by
// one: no wildcard (kms:Create* and kms:Put* would include kms:CreateGrant,
// with which any identity of the account allowed it by IAM could grant
// itself Decrypt), no Encrypt, Decrypt, ReEncrypt, GenerateDataKey or
// CreateGrant, no ReplicateKey (a replica takes a policy of its own).
// kms:PutKeyPolicy stays: without it nobody could ever change the policy
// (the provider needs it to follow decrypt_role_arns and function_name,
// and the account's administrators to recover the key). An administrator
// who rewrites the policy can of course give anyone anything; that is an
// explicit, logged change of the policy, the administrator's power, not a
// loophole of this one.
var keyAdminActions = []string{
	"kms:DescribeKey", "kms:GetKeyPolicy", "kms:ListKeyPolicies", "kms:PutKeyPolicy",
	"kms:EnableKey", "kms:DisableKey", "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion",
	"kms:GetKeyRotationStatus", "kms:ListKeyRotations", "kms:EnableKeyRotation", "kms:DisableKeyRotation", "kms:RotateKeyOnDemand",
	"kms:TagResource", "kms:UntagResource", "kms:ListResourceTags",
	"kms:CreateAlias", "kms:UpdateAlias", "kms:DeleteAlias", "kms:UpdateKeyDescription",
	"kms:ListGrants", "kms:RevokeGrant",
}

// principalPatterns turns the caller's ARN (from sts:GetCallerIdentity)
// into aws:PrincipalArn patterns: an assumed role's session ARN becomes
// its role's ARN, with or without a path (the session ARN drops the path).
func principalPatterns(callerARN string) ([]string, error) {
	parts := strings.SplitN(callerARN, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[4] == "" {
		return nil, fmt.Errorf("%q is not an ARN", callerARN)
	}
	partition, account, res := parts[1], parts[4], parts[5]
	if parts[2] == "sts" && strings.HasPrefix(res, "assumed-role/") {
		role := strings.Split(strings.TrimPrefix(res, "assumed-role/"), "/")[0]
		base := "arn:" + partition + ":iam::" + account + ":role/"
		return []string{base + role, base + "*/" + role}, nil
	}
	return []string{callerARN}, nil
}

// accountOf returns the partition and account of an ARN.
func accountOf(arn string) (partition, account string) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 {
		return "", ""
	}
	return parts[1], parts[4]
}

// keyPolicy is the policy document for the ring's KMS key. functions are
// the encryption contexts allowed (two while a rename re-encrypts).
func keyPolicy(callerARN string, decryptRoles, functions []string) (string, error) {
	caller, err := principalPatterns(callerARN)
	if err != nil {
		return "", err
	}
	partition, account := accountOf(callerARN)
	readers := append([]string(nil), decryptRoles...)
	sort.Strings(readers)
	root := "arn:" + partition + ":iam::" + account + ":root"
	// Every secret is bound to a function and a purpose (keyring.Context).
	bound := map[string]any{"kms:EncryptionContext:" + keyring.ContextFunction: functions,
		"kms:EncryptionContext:" + keyring.ContextPurpose: keyring.Purposes}
	stmt := func(sid string, actions any, principals []string, conditions map[string]any) map[string]any {
		s := map[string]any{"Sid": sid, "Effect": "Allow", "Principal": map[string]string{"AWS": root}, "Action": actions, "Resource": "*"}
		if principals != nil {
			conditions["ArnLike"] = map[string]any{"aws:PrincipalArn": principals}
			s["Condition"] = conditions
		}
		return s
	}
	statements := []any{
		stmt("AccountAdministersTheKey", keyAdminActions, nil, nil),
		stmt("TerraformSealsTheKeyRing", "kms:Encrypt", caller, map[string]any{"StringEquals": bound}),
		// The function alone, no purpose: Terraform re-seals what versions
		// before the purpose sealed (keyring.Reseal). Which purpose a
		// secret opens as is the encryption context the provider asks
		// for, which KMS matches whole.
		stmt("TerraformOpensTheKeyRing", "kms:Decrypt", caller,
			map[string]any{"StringEquals": map[string]any{"kms:EncryptionContext:" + keyring.ContextFunction: functions}}),
		stmt("TerraformGrantsTheIssuerDecrypt", "kms:CreateGrant", caller, map[string]any{
			"ForAllValues:StringEquals": map[string]any{"kms:GrantOperations": []string{"Decrypt"}},
			"StringEquals":              merge(bound, map[string]any{"kms:GrantConstraintType": "EncryptionContextEquals"}),
			"StringLike":                map[string]any{"kms:GranteePrincipal": "arn:" + partition + ":iam::" + account + ":role" + issuerRolePath + "*"},
		}),
	}
	if len(readers) > 0 {
		statements = append(statements, stmt("NamedPrincipalsOpenTheKeyRing", "kms:Decrypt", readers, map[string]any{"StringEquals": bound}))
	}
	doc := map[string]any{"Version": "2012-10-17", "Id": "securestream-key-ring", "Statement": statements}
	b, err := json.Marshal(doc)
	return string(b), err
}

// merge is a and b in a new map.
func merge(a, b map[string]any) map[string]any {
	out := make(map[string]any, len(a)+len(b))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}
