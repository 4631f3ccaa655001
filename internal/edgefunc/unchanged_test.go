package edgefunc

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/securestream/terraform-provider-securestream/internal/issuance"
)

// updateGolden rewrites testdata/render from the renderer of the day; it is
// how the files were made, from the renderer before the revocation check
// (issue 23) existed.
var updateGolden = os.Getenv("SECURESTREAM_UPDATE_GOLDEN") == "1"

// goldenConfigs are the configurations the other tests render: the
// differential test's three, the format vectors', the benchmark's, the
// size test's, and the switches one by one.
func goldenConfigs(t *testing.T) map[string]Config {
	base, withSeed, seedOff := differentialConfigs()
	reportOnly := base
	reportOnly.ReportOnly = true
	headerOnly := Config{Keys: testKeys()[:1], Channels: issuance.Channels{Header: "x-stream-token"}}
	vectors, _ := loadFormatVectors(t)
	return map[string]Config{
		"differential_base": base, "differential_seed": withSeed, "differential_seed_off": seedOff,
		"report_only": reportOnly, "header_only": headerOnly, "vectors": vectors, "bench": benchConfig(false),
		"size_full_ring": fullRing(),
	}
}

// fullRing is the largest configuration the size test renders: eight keys
// with 32-character ids, the seed key, exempt paths and three origins.
func fullRing() Config {
	return Config{Keys: keysN(8, 32), SeedKeyID: fmt.Sprintf("k%031d", 0), Channels: issuance.DefaultChannels(),
		Exempt: []string{"/favicon.ico", "/posters/*", "/robots.txt"}, CORSOrigins: []string{"https://player.example.com", "https://www.example.com",
			"http://localhost:3000"}}
}

// Without a key value store (Revocation nil) the renderer writes exactly
// the code it wrote before the revocation check existed: a sync handler,
// no cloudfront import, not one byte more.
func TestRenderUnchangedWithoutStore(t *testing.T) {
	for name, cfg := range goldenConfigs(t) {
		code, err := Render(cfg)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		path := filepath.Join("testdata", "render", name+".js")
		if updateGolden {
			if err := os.WriteFile(path, code, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%s: %v (SECURESTREAM_UPDATE_GOLDEN=1 writes it, from the renderer of the day)", name, err)
		}
		if !bytes.Equal(code, want) {
			t.Errorf("%s: without a store the rendered code differs from %s (%d bytes, want %d)", name, path, len(code), len(want))
		}
	}
}

func withRevocation(cfg Config, failClosed bool) Config {
	cfg.Revocation = &Revocation{FailClosed: failClosed}
	return cfg
}

// The revocation check costs at most revocationBytes of code in either
// fail mode, whatever the rest of the configuration; the code with a store
// is an async handler importing cloudfront, the code without one neither.
func TestRevocationSize(t *testing.T) {
	const revocationBytes = 256 // about 230 failing open, 210 failing closed
	for name, cfg := range goldenConfigs(t) {
		without, err := Render(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(without, []byte("cloudfront")) || bytes.Contains(without, []byte("async")) || bytes.Contains(without, []byte("kvs")) {
			t.Errorf("%s: the code without a store mentions the store", name)
		}
		for _, closed := range []bool{false, true} {
			code, err := Render(withRevocation(cfg, closed))
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			added := len(code) - len(without)
			t.Logf("%s, fail closed %v: %d bytes, %d added", name, closed, len(code), added)
			if added <= 0 || added > revocationBytes {
				t.Errorf("%s, fail closed %v: the revocation check adds %d bytes, want 1 to %d", name, closed, added, revocationBytes)
			}
			if !bytes.HasPrefix(code, []byte("import cf from'cloudfront'\nimport crypto from'crypto';")) ||
				!bytes.Contains(code, []byte("async function handler(event){")) {
				t.Errorf("%s: the code with a store does not import cloudfront, each import on a line of its own, or has no async handler", name)
			}
		}
	}
}
