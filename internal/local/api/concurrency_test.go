package api

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// scalingAPI runs a local API, with the stand-in emulator, over a function
// "issuer" that reserves a concurrency of reserved (none when negative);
// starts counts the instances it started.
func scalingAPI(t *testing.T, rie string, maxConcurrency, reserved int) (*Server, *atomic.Int32) {
	t.Helper()
	pkg, path := stubPackage(t)
	endpoint := fakeLambda(t, "issuer", pkg, map[string]string{"SECURESTREAM_AUTH": "none"}, reserved)
	return startCounting(t, Options{Endpoint: endpoint, Package: path, RIE: rie, MaxConcurrency: maxConcurrency})
}

// Invocations run at once, as Lambda scales out: while every instance is
// busy another starts, up to the function's reserved concurrency or, when
// it reserves none, MaxConcurrency; a request beyond waits for a free
// instance. Instances stay warm for the next requests.
func TestConcurrentInvocationsScaleOut(t *testing.T) {
	rie := fakeRIE(t)
	gate := filepath.Join(t.TempDir(), "open")
	t.Setenv("FAKERIE_GATE", gate) // the stand-ins inherit it: invocations wait until gate exists
	for _, tc := range []struct {
		name                     string
		maxConcurrency, reserved int
		want                     int32
	}{
		{"MaxConcurrency bounds a function without reserved concurrency", 3, -1, 3},
		{"reserved concurrency bounds it", 5, 2, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_ = os.Remove(gate)
			s, starts := scalingAPI(t, rie, tc.maxConcurrency, tc.reserved)
			n := int(tc.want) + 2
			var wg sync.WaitGroup
			results := make([]string, n)
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					resp, err := http.Post(s.URL+"/fn/issuer/", "application/json", strings.NewReader("{}"))
					if err != nil {
						results[i] = err.Error()
						return
					}
					defer resp.Body.Close()
					b, _ := io.ReadAll(resp.Body)
					results[i] = fmt.Sprintf("%d %.200s", resp.StatusCode, b)
				}()
			}
			deadline := time.Now().Add(time.Minute) // a hang guard: starting a stand-in takes milliseconds
			for starts.Load() < tc.want && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			if got := starts.Load(); got != tc.want {
				t.Errorf("%d requests in flight at once started %d instances; want %d", n, got, tc.want)
			}
			if err := os.WriteFile(gate, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			wg.Wait()
			for i, r := range results {
				if !strings.HasPrefix(r, "200 ") {
					t.Errorf("request %d: %s; want 200", i, r)
				}
			}
			for range 3 { // the warm instances answer the next ones
				if status, body := post(t, s.URL+"/fn/issuer/", "{}", ""); status != http.StatusOK {
					t.Errorf("a later request: %d %s", status, body)
				}
			}
			if got := starts.Load(); got != tc.want {
				t.Errorf("%d instances started in all; want %d (no more than the limit, and none for the later requests)", got, tc.want)
			}
		})
	}
}

// A function that reserves a concurrency of 0 is throttled, as Lambda
// throttles it: 429 with the reason, and nothing starts.
func TestReservedConcurrencyZeroThrottles(t *testing.T) {
	s, starts := scalingAPI(t, fakeRIE(t), 3, 0)
	status, body := post(t, s.URL+"/fn/issuer/", "{}", "")
	if status != http.StatusTooManyRequests || !strings.Contains(body, "reserves a concurrency of 0") || !strings.Contains(body, "reserved_concurrency") {
		t.Errorf("%d %s; want 429 saying why and what to change", status, body)
	}
	if n := starts.Load(); n != 0 {
		t.Errorf("%d instances started", n)
	}
}
