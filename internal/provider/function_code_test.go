package provider

import (
	"strings"
	"testing"
)

// H6: leeway is applied to a key's start (and the maximum-lifetime bound),
// never to its expiry, as the code does; the description says so.
func TestLeewayDescription(t *testing.T) {
	d := functionCodeAttrs()["leeway"].desc
	if strings.Contains(d, "start and expiry") || !strings.Contains(d, "not_before") || !strings.Contains(d, "Expiry has none") {
		t.Errorf("leeway's description: %q; want it to say the leeway applies to not_before and not to the expiry", d)
	}
}
