package issuer_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/securestream/terraform-provider-securestream/internal/issuer"
	"github.com/securestream/terraform-provider-securestream/internal/keyring"
	"github.com/securestream/terraform-provider-securestream/internal/local/localtest"
	"github.com/securestream/terraform-provider-securestream/internal/sharedref"
	"github.com/securestream/terraform-provider-securestream/internal/streamkeytest"
	"github.com/securestream/terraform-provider-securestream/internal/testenv"
)

// benchIssuer is one issuer the benchmarks compare, under
// aws-lambda-rie: its environment, command, event, and what its answer
// holds.
type benchIssuer struct {
	name    string
	env     []string
	command []string
	event   []byte
	answer  string
}

// benchIssuers are the original Node.js issuer of the blog post (the
// baseline, run by a minimal Runtime API client with aws-sdk v2) and
// ours, on the same request, each with its secret sealed in moto.
func benchIssuers(b *testing.B) []benchIssuer {
	b.Helper()
	testenv.Shared(b) // the original issuer is the baseline
	moto := localtest.StartMoto(b)
	root, _ := filepath.Abs(filepath.Join("..", ".."))
	modules := filepath.Join(root, ".tools", "node_modules")
	if _, err := os.Stat(filepath.Join(modules, "aws-sdk")); err != nil {
		b.Fatal("the original issuer needs aws-sdk v2 from npm: run make bench-tools (npm ci --ignore-scripts of .ci/bench-tools/package-lock.json into .tools)")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		b.Fatal("node is not installed: apt-get install -y nodejs")
	}
	original, err := sharedref.SeedIssuerLambda()
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "original.js"), []byte(original), 0o644); err != nil {
		b.Fatal(err)
	}
	runtimeJS, _ := filepath.Abs(filepath.Join("testdata", "node-runtime.js"))

	// The original decrypts a string secret sealed under its context
	// (function name alone); ours, its key ring sealed for its purpose.
	secretCT := encryptBytes(b, moto.Endpoint, []byte(streamkeytest.SeedSecret))
	ringCT := encryptRing(b, moto.Endpoint, testRing(), keyring.EncryptionContext(functionName))

	originalEvent, _ := json.Marshal(map[string]any{
		"body-json": map[string]string{"playback_url": "https://media.example.com/vod/movie-42/index.m3u8"},
		"params":    map[string]any{"header": map[string]string{"X-Forwarded-For": "198.51.100.23", "User-Agent": "ExoPlayerLib/2.19.1"}},
	})
	common := []string{"AWS_LAMBDA_FUNCTION_NAME=" + functionName, "AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing"}
	return []benchIssuer{
		{"baseline_original_node", append(common, "SECRET="+secretCT, "KMS_ENDPOINT="+moto.Endpoint, "NODE_PATH="+modules),
			[]string{node, runtimeJS, filepath.Join(dir, "original.js")}, originalEvent, `"stream_key"`},
		{"securestream_go", env(moto.Endpoint, ringCT), []string{buildBootstrap(b)}, issuer.ReadEvent(b, "rest_v1_post.json"), `\"token\"`},
	}
}

// BenchmarkColdStart measures the time from starting aws-lambda-rie to
// the first answered invocation — process start, configuration, KMS
// decryption against moto, one request — for the original Node.js issuer
// and for ours (benchIssuers). ns/op is that time.
func BenchmarkColdStart(b *testing.B) {
	for _, c := range benchIssuers(b) {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				rie := localtest.StartRIE(b, c.env, c.command...)
				out := localtest.Invoke(b, rie, c.event)
				rie.Stop()
				if !strings.Contains(string(out), c.answer) {
					b.Fatalf("%s answered %s\n%s", c.name, out, rie.Output())
				}
			}
		})
	}
}

// BenchmarkWarmInvocation measures one invocation of a warm function under
// aws-lambda-rie (the emulator's HTTP round trips included), original and
// ours, on the same events as BenchmarkColdStart.
func BenchmarkWarmInvocation(b *testing.B) {
	for _, c := range benchIssuers(b) {
		rie := localtest.StartRIE(b, c.env, c.command...)
		// The cold start, outside the measurement.
		if out := localtest.Invoke(b, rie, c.event); !strings.Contains(string(out), c.answer) {
			b.Fatalf("%s answered %s\n%s", c.name, out, rie.Output())
		}
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				localtest.Invoke(b, rie, c.event)
			}
		})
		rie.Stop()
	}
}
