package issuer

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Every hostile or broken request gets the right 4xx, never a 5xx, and
// nothing panics.
func TestBadRequests(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "bad_requests.json"))
	if err != nil {
		t.Fatal(err)
	}
	var corpus struct {
		Cases []struct {
			Name    string            `json:"name"`
			Status  int               `json:"status"`
			Method  string            `json:"method"`
			Mode    string            `json:"mode"`
			Body    *string           `json:"body"`
			Headers map[string]string `json:"headers"`
			Query   map[string]string `json:"query"`
			Event   json.RawMessage   `json:"event"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(b, &corpus); err != nil {
		t.Fatal(err)
	}
	if len(corpus.Cases) < 30 {
		t.Fatalf("the corpus has %d cases; keep at least 30", len(corpus.Cases))
	}
	plain, logs := newIssuer(t, baseEnv(t))
	jwtIssuer, jwtLogs := newIssuer(t, jwtEnv(t))
	tokens := testJWTs()
	for _, c := range corpus.Cases {
		is := plain
		if c.Mode == "jwt" {
			is = jwtIssuer
		}
		ev := c.Event
		if ev == nil {
			var base map[string]any
			_ = json.Unmarshal(readEvent(t, "rest_v1_post.json"), &base)
			base["httpMethod"] = c.Method
			base["multiValueHeaders"] = nil
			base["body"] = nil
			if c.Body != nil {
				base["body"] = *c.Body
			}
			h := base["headers"].(map[string]any)
			for k, v := range c.Headers {
				for name, tok := range tokens {
					v = strings.ReplaceAll(v, "$jwt:"+name, tok)
				}
				h[k] = v
			}
			if c.Query != nil {
				base["queryStringParameters"] = c.Query
			}
			ev, _ = json.Marshal(base)
		}
		res, err := is.Handle(context.Background(), ev)
		switch {
		case c.Status == -1:
			if err == nil {
				t.Errorf("%s: answered %d, want an invocation error", c.Name, res.StatusCode)
			}
		case err != nil:
			t.Errorf("%s: %v", c.Name, err)
		case res.StatusCode != c.Status:
			t.Errorf("%s: status %d, want %d (%s)", c.Name, res.StatusCode, c.Status, res.Body)
		case res.StatusCode >= 400:
			var body map[string]string
			if json.Unmarshal([]byte(res.Body), &body) != nil || body["error"] == "" || body["message"] == "" {
				t.Errorf("%s: the error body is not {error, message}: %s", c.Name, res.Body)
			}
			if res.StatusCode == 401 && res.Headers["www-authenticate"] == "" {
				t.Errorf("%s: a 401 without WWW-Authenticate", c.Name)
			}
		}
	}
	for _, l := range []string{logs.String(), jwtLogs.String()} {
		for _, tok := range tokens {
			if sig := strings.Split(tok, ".")[2]; sig != "" && strings.Contains(l, sig) {
				t.Error("a bearer token reached the log")
			}
		}
		if strings.Contains(l, `"level":"error"`) {
			t.Errorf("an error was logged:\n%s", l)
		}
	}
}
