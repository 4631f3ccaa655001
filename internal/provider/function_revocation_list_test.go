package provider

import (
	"testing"
)

// A state written before revocation_list existed (schema version 1, which
// the new optional arguments keep) reads with them null: no upgrader, no
// change planned for a function without a store.
func TestFunctionStateWithoutRevocationList(t *testing.T) {
	attrs := upgradeState(t, NewFunctionResource(), "securestream_function", 1,
		`{"id": "video-edge", "name": "video-edge", "comment": "securestream edge function", "publish": true, "key_ring": {"ciphertext": "c", "kms_key_id": "k", "function_name": "f"}}`)
	if got := stringAt(t, attrs["name"]); got != "video-edge" {
		t.Errorf("name %q", got)
	}
	for _, a := range []string{"revocation_list", "revocation_fail_closed"} {
		if v, ok := attrs[a]; !ok || !v.IsNull() {
			t.Errorf("%s: %v (present %v); want null", a, v, ok)
		}
	}
}
