package provider

import (
	"encoding/json"
	"fmt"
)

// testPolicy is an IAM or KMS policy document as the policy checks read it:
// the fields any of them looks at.
type testPolicy struct {
	Statement []struct {
		Effect, Sid string
		Principal   any
		Action      any
		NotAction   any
		Resource    any
		NotResource any
		Condition   map[string]map[string]any
	}
}

func parsePolicy(doc string) (testPolicy, error) {
	var p testPolicy
	err := json.Unmarshal([]byte(doc), &p)
	return p, err
}

// policyList is a policy value that may be one string or a list of them,
// as a list.
func policyList(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, e := range v {
			out = append(out, fmt.Sprint(e))
		}
		return out
	}
	return nil
}
