package issuer_test

import (
	"encoding/json"
	"testing"

	"github.com/securestream/terraform-provider-securestream/internal/local/emulators"
	"github.com/securestream/terraform-provider-securestream/internal/local/localtest"
)

// proxyAnswer is the function's answer to a proxy event.
type proxyAnswer struct {
	StatusCode int               `json:"statusCode"`
	Headers    map[string]string `json:"headers"`
	Body       string            `json:"body"`
}

// invokeProxy posts ev to the function under rie and decodes its answer,
// failing t when it is not a proxy response.
func invokeProxy(t testing.TB, rie *emulators.RIE, ev []byte) proxyAnswer {
	t.Helper()
	var a proxyAnswer
	out := localtest.Invoke(t, rie, ev)
	if err := json.Unmarshal(out, &a); err != nil {
		t.Fatalf("the function's answer is not a proxy response: %s\n%s", out, rie.Output())
	}
	return a
}
