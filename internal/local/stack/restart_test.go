package stack

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cfsdk "github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/securestream/terraform-provider-securestream/internal/local/cloudfront"
	"github.com/securestream/terraform-provider-securestream/internal/local/emulators"
)

func cloudFrontClient(s *Stack) *cfsdk.Client {
	return cfsdk.NewFromConfig(emulators.SDKConfig(s.CloudFront.Endpoint))
}

// createFunction makes a CloudFront function in the stack's local
// CloudFront and, when the stack runs moto, a KMS key in it, as an apply
// would. It returns the function as created.
func createFunction(t *testing.T, s *Stack, name string) *cfsdk.CreateFunctionOutput {
	t.Helper()
	ctx := context.Background()
	fn, err := cloudFrontClient(s).CreateFunction(ctx, &cfsdk.CreateFunctionInput{Name: aws.String(name),
		FunctionCode:   []byte(`function handler(event) { return event.request; }`),
		FunctionConfig: &cftypes.FunctionConfig{Comment: aws.String(""), Runtime: cftypes.FunctionRuntimeCloudfrontJs20}})
	if err != nil {
		t.Fatal(err)
	}
	if s.MotoURL != "" {
		if _, err := kms.NewFromConfig(emulators.SDKConfig(s.MotoURL)).CreateKey(ctx, &kms.CreateKeyInput{}); err != nil {
			t.Fatal(err)
		}
	}
	return fn
}

// functionNames lists the local CloudFront's functions.
func functionNames(t *testing.T, s *Stack) []string {
	t.Helper()
	out, err := cloudFrontClient(s).ListFunctions(context.Background(), &cfsdk.ListFunctionsInput{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	if out.FunctionList != nil {
		for _, f := range out.FunctionList.Items {
			names = append(names, aws.ToString(f.Name))
		}
	}
	return names
}

// A restart: moto_server starts empty, so the local CloudFront's state of
// the last run is moved aside, not loaded (the two stay consistent), and
// the stack says so, with what to do with Terraform's state. Without moto
// the state is kept, and it says that too.
func TestRestartKeepsMotoAndCloudFrontConsistent(t *testing.T) {
	dir := t.TempDir()
	stateFile := filepath.Join(dir, "cloudfront.json")
	opts := Options{WithoutAPI: true, CloudFront: cloudfront.Config{StateFile: stateFile}}

	first := startWithMoto(t, opts)
	if !strings.Contains(first.StateNote, "none from an earlier run") {
		t.Errorf("first start: StateNote %q; want it to say there was no earlier state", first.StateNote)
	}
	createFunction(t, first, "before-restart")
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	saved, err := os.ReadFile(stateFile)
	if err != nil || !bytes.Contains(saved, []byte("before-restart")) {
		t.Fatalf("the state file after the first run: %v %s; want the function in it", err, saved)
	}

	second := startWithMoto(t, opts)
	if names := functionNames(t, second); len(names) != 0 {
		t.Errorf("after a restart, the local CloudFront has functions %v while moto_server starts empty; want none", names)
	}
	keys, err := kms.NewFromConfig(emulators.SDKConfig(second.MotoURL)).ListKeys(context.Background(), &kms.ListKeysInput{})
	if err != nil || len(keys.Keys) != 0 {
		t.Fatalf("moto after a restart: %v, %d keys; this test assumes moto starts empty", err, len(keys.Keys))
	}
	m := regexp.MustCompile(`moved aside to (\S+\.bak)`).FindStringSubmatch(second.StateNote)
	if m == nil || !strings.Contains(second.StateNote, "1 function(s)") || !strings.Contains(second.StateNote, "terraform state rm") ||
		!strings.Contains(second.StateNote, "terraform.tfstate") || !strings.Contains(second.StateNote, "moto_server starts empty") {
		t.Fatalf("second start: StateNote %q; want what was dropped, why, where it went and what to do with Terraform's state", second.StateNote)
	}
	if aside, err := os.ReadFile(m[1]); err != nil || !bytes.Equal(aside, saved) {
		t.Errorf("the state moved aside to %s: %v; want the last run's file, unchanged", m[1], err)
	}
	if filepath.Dir(m[1]) != dir {
		t.Errorf("moved aside to %s; want it beside %s", m[1], stateFile)
	}
	createFunction(t, second, "after-restart")
	if err := second.Close(); err != nil {
		t.Fatal(err)
	}

	// Without moto_server, nothing here starts empty: the state is kept.
	alone, err := Start(context.Background(), Options{WithoutMoto: true, CloudFront: cloudfront.Config{StateFile: stateFile}})
	if err != nil {
		t.Fatal(err)
	}
	defer alone.Close()
	if names := functionNames(t, alone); len(names) != 1 || names[0] != "after-restart" {
		t.Errorf("without moto: functions %v; want the kept after-restart", names)
	}
	if !strings.Contains(alone.StateNote, "kept") || !strings.Contains(alone.StateNote, stateFile) {
		t.Errorf("without moto: StateNote %q; want it to say the state was kept", alone.StateNote)
	}
}

// A state file that holds nothing is not moved aside; two restarts in the
// same second do not overwrite each other's copy.
func TestStartStateFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "cloudfront.json")
	if err := os.WriteFile(path, []byte(`{"functions": {}, "distributions": null}`), 0o600); err != nil {
		t.Fatal(err)
	}
	note, err := startState(path, true, time.Now())
	if err != nil || !strings.Contains(note, "holds nothing") {
		t.Fatalf("empty state: %q %v", note, err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("an empty state was moved: %v", err)
	}
	// A state holding only key value stores is not empty: moto's half (the
	// IAM and Lambda objects of the issuer that writes to them) is gone.
	if err := os.WriteFile(path, []byte(`{"functions": {}, "keyValueStores": {"revocations": {}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	note, err = startState(path, false, time.Now())
	if err != nil || !strings.Contains(note, "(1 key value store(s))") {
		t.Errorf("a state with one store, kept: %q %v", note, err)
	}
	now := time.Date(2026, 12, 6, 4, 0, 0, 0, time.UTC)
	var asides []string
	for i := range 2 {
		if err := os.WriteFile(path, []byte(`{"functions": {"f": {}}}`), 0o600); err != nil {
			t.Fatal(err)
		}
		note, err := startState(path, true, now)
		m := regexp.MustCompile(`moved aside to (\S+\.bak)`).FindStringSubmatch(note)
		if err != nil || m == nil {
			t.Fatalf("restart %d: %q %v", i, note, err)
		}
		asides = append(asides, m[1])
	}
	if asides[0] != path+".20261206T040000Z.bak" || asides[1] != path+".20261206T040000Z.1.bak" {
		t.Errorf("moved aside to %v", asides)
	}
	for _, a := range asides {
		if _, err := os.Stat(a); err != nil {
			t.Error(err)
		}
	}
	if _, err := os.Stat(path); err == nil {
		t.Error("the state file is still in place after being moved aside")
	}
}
