package provider

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// The key policy of a KMS key securestream_secret creates. The account
// administers the key (as in AWS's default policy, so nobody is locked
// out) but may not use it; only the identity Terraform runs as may seal the
// ring, and only it and the roles the user names may open it, each only
// under the encryption context of the issuer's function. Principals are
// matched by aws:PrincipalArn under the account principal rather than
// named as principals, because KMS refuses a policy naming a role that
// does not exist yet, and the issuer's role is usually created after the
// ring it needs.

// keyAdminActions are the management actions of AWS's default key policy
// for key administrators: no Encrypt, Decrypt, ReEncrypt or GenerateDataKey.
var keyAdminActions = []string{
	"kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*", "kms:Update*", "kms:Revoke*",
	"kms:Disable*", "kms:Get*", "kms:Delete*", "kms:TagResource", "kms:UntagResource",
	"kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion", "kms:RotateKeyOnDemand",
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
	readers := append(append([]string(nil), caller...), decryptRoles...)
	sort.Strings(readers)
	account = "arn:" + partition + ":iam::" + account + ":root"
	context := map[string]any{"kms:EncryptionContext:LambdaFunctionName": functions}
	stmt := func(sid string, actions any, principals []string) map[string]any {
		s := map[string]any{"Sid": sid, "Effect": "Allow", "Principal": map[string]string{"AWS": account}, "Action": actions, "Resource": "*"}
		if principals != nil {
			s["Condition"] = map[string]any{"ArnLike": map[string]any{"aws:PrincipalArn": principals}, "StringEquals": context}
		}
		return s
	}
	doc := map[string]any{
		"Version": "2012-10-17",
		"Id":      "securestream-key-ring",
		"Statement": []any{
			stmt("AccountAdministersTheKey", keyAdminActions, nil),
			stmt("TerraformSealsTheKeyRing", "kms:Encrypt", caller),
			stmt("NamedPrincipalsOpenTheKeyRing", "kms:Decrypt", readers),
		},
	}
	b, err := json.Marshal(doc)
	return string(b), err
}
