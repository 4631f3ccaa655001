package edgefunc

import (
	"encoding/hex"
	"path/filepath"
	"testing"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/issuance"
	"github.com/securestream/terraform-provider-securestream/internal/testenv"
)

// formatVectors is streamkey's shared vectors of the token format
// (testdata/vectors.json).
type formatVectors struct {
	MaxLifetimeSeconds int64 `json:"max_lifetime_seconds"`
	LeewaySeconds      int64 `json:"leeway_seconds"`
	Keys               []struct {
		KeyID     string `json:"kid"`
		SecretHex string `json:"secret_hex"`
		Seed      bool   `json:"seed"`
	} `json:"keys"`
	Cases []struct {
		Name         string `json:"name"`
		Token        string `json:"token"`
		StreamKey    string `json:"stream_key"`
		StreamPolicy string `json:"stream_policy"`
		Request      struct {
			Now       int64  `json:"now"`
			Path      string `json:"path"`
			Host      string `json:"host"`
			ClientIP  string `json:"client_ip"`
			UserAgent string `json:"user_agent"`
		} `json:"request"`
		Reason string `json:"reason"`
	} `json:"cases"`
}

// loadFormatVectors reads the shared vectors and the edge configuration
// that checks them: their keys, lifetime and leeway, tokens in one header.
func loadFormatVectors(t testing.TB) (Config, formatVectors) {
	t.Helper()
	var vf formatVectors
	testenv.ReadJSON(t, filepath.Join("..", "streamkey", "testdata", "vectors.json"), &vf)
	cfg := Config{Channels: issuance.Channels{Header: "x-stream-token"}, MaxLifetime: time.Duration(vf.MaxLifetimeSeconds) * time.Second,
		Leeway: time.Duration(vf.LeewaySeconds) * time.Second}
	for _, k := range vf.Keys {
		secret, err := hex.DecodeString(k.SecretHex)
		if err != nil {
			t.Fatalf("vector key %s: %v", k.KeyID, err)
		}
		cfg.Keys = append(cfg.Keys, Key{ID: k.KeyID, Secret: secret, Seed: k.Seed})
		if k.Seed {
			cfg.SeedKeyID = k.KeyID
		}
	}
	return cfg, vf
}

// The shared vectors of the token format hold for the rendered function in
// goja and in node, exactly as for the Go reference.
func TestFormatVectors(t *testing.T) {
	cfg, vf := loadFormatVectors(t)
	e := newEngines(t, cfg)
	for _, c := range vf.Cases {
		headers := [][2]string{{"host", c.Request.Host}, {"user-agent", c.Request.UserAgent}}
		if c.StreamKey != "" {
			headers = append(headers, [2]string{"stream-key", c.StreamKey}, [2]string{"stream-policy", c.StreamPolicy})
		} else {
			headers = append(headers, [2]string{"x-stream-token", c.Token})
		}
		ev := newEvent("GET", c.Request.Path, c.Request.ClientIP, headers, nil, nil)
		got := e.check(t, c.Name, ev, time.Unix(c.Request.Now, 0))
		if got != allowOrReason(c.Reason) {
			t.Errorf("%s: the Go model says %s, the vector %s", c.Name, got, c.Reason)
		}
	}
}
