package edgefunc

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/cfruntime"
	"github.com/securestream/terraform-provider-securestream/internal/issuance"
	"github.com/securestream/terraform-provider-securestream/internal/streamkey"
)

type badInput struct {
	Name    string          `json:"name"`
	Reason  string          `json:"reason"`
	Config  string          `json:"config"`
	URI     string          `json:"uri"`
	IP      *string         `json:"ip"`
	Headers [][2]string     `json:"headers"`
	Query   [][2]string     `json:"query"`
	Cookies [][2]string     `json:"cookies"`
	NoUA    bool            `json:"noua"`
	NoHost  bool            `json:"nohost"`
	Event   json.RawMessage `json:"event"`
}

// Every hostile or broken request gets a 4xx and never makes the function
// throw (a 503 at the edge) or return something CloudFront refuses (502).
func TestBadInputs(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "bad_inputs.json"))
	if err != nil {
		t.Fatal(err)
	}
	var corpus struct {
		Cases []badInput `json:"cases"`
	}
	if err := json.Unmarshal(b, &corpus); err != nil {
		t.Fatal(err)
	}
	if len(corpus.Cases) < 40 {
		t.Fatalf("the corpus has %d cases; keep at least 40", len(corpus.Cases))
	}
	keys := testKeys()
	plain := Config{Keys: keys[:2], Channels: issuance.DefaultChannels(), MaxLifetime: time.Hour, Leeway: 30 * time.Second}
	seed := plain
	seed.Keys, seed.SeedKeyID = keys, "legacy"
	engs := map[string]*engines{"": newEngines(t, plain), "seed": newEngines(t, seed)}

	now := time.Unix(1_767_226_000, 0)
	ring, _ := streamkey.NewRing(streamkey.Key{ID: keys[0].ID, Secret: keys[0].Secret})
	honest, err := ring.Mint(keys[0].ID, streamkey.Grant{Expires: now.Add(30 * time.Minute), Paths: []string{"/vod/m/*"},
		Host: "media.example.com", IPBinding: streamkey.IPSubnet, ClientIP: "203.0.113.9", BindUserAgent: true, UserAgent: "ExoPlayerLib/2.19.1"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range corpus.Cases {
		e := engs[c.Config]
		if c.Event != nil {
			for engine, r := range e.runJSON(t, c.Event, now) {
				if r.Outcome != cfruntime.Respond || r.Status < 400 || r.Status > 499 {
					t.Errorf("%s: %s gives %s %d %s", c.Name, engine, r.Outcome, r.Status, r.Error)
				}
			}
			continue
		}
		fix := func(kv [][2]string) [][2]string {
			out := make([][2]string, len(kv))
			for i, p := range kv {
				out[i] = [2]string{p[0], strings.ReplaceAll(p[1], "$honest", honest)}
			}
			return out
		}
		headers := fix(c.Headers)
		if !c.NoUA {
			headers = append(headers, [2]string{"user-agent", "ExoPlayerLib/2.19.1"})
		}
		if !c.NoHost {
			headers = append(headers, [2]string{"host", "media.example.com"})
		}
		ip := "203.0.113.77"
		if c.IP != nil {
			ip = *c.IP
		}
		uri := c.URI
		if uri == "" {
			uri = "/vod/m/720p/seg_1.ts"
		}
		got := e.check(t, c.Name, newEvent("GET", uri, ip, headers, fix(c.Query), fix(c.Cookies)), now)
		if got != c.Reason {
			t.Errorf("%s: reason %s, the corpus says %s", c.Name, got, c.Reason)
		}
	}
}
