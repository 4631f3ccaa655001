//go:build unix

package stack

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/securestream/terraform-provider-securestream/internal/local/cloudfront"
)

// Two stacks on one state file: the second is refused, saying why, before
// it touches the first one's state; once the first stops, it starts.
func TestOneStackPerStateFile(t *testing.T) {
	stateFile := filepath.Join(t.TempDir(), "cloudfront.json")
	opts := Options{WithoutMoto: true, CloudFront: cloudfront.Config{StateFile: stateFile}}
	first, err := Start(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	createFunction(t, first, "first")
	saved, err := os.ReadFile(stateFile)
	if err != nil {
		t.Fatal(err)
	}
	second, err := Start(context.Background(), opts)
	if err == nil {
		second.Close()
		t.Fatal("a second stack started on the state file of a running one")
	}
	if !strings.Contains(err.Error(), "another local stack") || !strings.Contains(err.Error(), "-state") {
		t.Errorf("the second stack's error: %v; want it to say another one runs and how to give this one its own state", err)
	}
	if now, err := os.ReadFile(stateFile); err != nil || !bytes.Equal(now, saved) {
		t.Errorf("the first stack's state changed under it: %v", err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := Start(context.Background(), opts)
	if err != nil {
		t.Fatalf("after the first stopped: %v", err)
	}
	again.Close()
}
