package soak

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/demo"
	"github.com/securestream/terraform-provider-securestream/internal/durationtext"
	"github.com/securestream/terraform-provider-securestream/internal/local/cloudfront"
	"github.com/securestream/terraform-provider-securestream/internal/local/emulators"
	"github.com/securestream/terraform-provider-securestream/internal/testenv"
)

// The tests of this package share one demo environment (the local stack,
// examples/local applied): starting it takes a good part of the time
// budget. TestMain destroys it after the tests.
var shared struct {
	once sync.Once
	env  *demo.Env
	cfg  Config
	err  error
	// logf is where the environment's progress goes: the test that is
	// running (a finished test's Logf must not be called).
	logf atomic.Pointer[func(string, ...any)]
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.env != nil {
		stderr := func(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }
		shared.logf.Store(&stderr)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		if err := shared.env.Close(ctx); err != nil {
			fmt.Fprintf(os.Stderr, "closing the demo environment: %v\n", err)
			code = 1
		}
		cancel()
	}
	os.Exit(code)
}

// sharedEnv returns the environment, starting it on first use: the local
// stack with the CloudFront propagation delays (function code, revocation
// store) of the form, and
// examples/local applied with the soak's rotation trigger, activation
// delay and maximum token lifetime. It fails t (never skips) when a tool
// is missing, once the tiers are on.
func sharedEnv(t *testing.T) (*demo.Env, Config) {
	t.Helper()
	testenv.Acceptance(t)
	testenv.Cross(t)
	logf := t.Logf
	shared.logf.Store(&logf)
	shared.once.Do(func() {
		if shared.cfg, shared.err = FromEnv(); shared.err != nil {
			return
		}
		if _, err := exec.LookPath("moto_server"); err != nil {
			shared.err = fmt.Errorf("moto_server is not installed: %s", testenv.MotoInstall)
			return
		}
		if _, err := emulators.LookRIE(); err != nil {
			shared.err = err
			return
		}
		// Start applies examples/local with these from the start
		// (Terraform reads TF_VAR_ from the environment it inherits):
		// rotation_triggers must be set before a change of them rotates.
		// Later applies (Env.Apply) give them all again.
		for name, v := range soakVars(shared.cfg, 0, shared.cfg.ActivationDelay) {
			t.Setenv("TF_VAR_"+name, v)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		progress := func(format string, args ...any) { (*shared.logf.Load())(format, args...) }
		shared.env, shared.err = demo.Start(ctx, demo.Options{Progress: progress,
			CloudFront: cloudfront.Config{PropagationDelay: shared.cfg.Propagation, KVSPropagationDelay: shared.cfg.KVSPropagation}})
		if shared.err == nil {
			shared.err = waitDeployed(ctx, shared.env, time.Minute)
		}
	})
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.env, shared.cfg
}

// soakVars are examples/local's variables for rotation round (the
// rotation trigger) with activation delay ad.
func soakVars(cfg Config, round int, ad time.Duration) map[string]string {
	return map[string]string{
		"rotation_triggers":  fmt.Sprintf("{round=%q}", fmt.Sprint(round)),
		"activation_delay":   durationtext.Short(ad),
		"max_token_lifetime": durationtext.Short(cfg.MaxTokenLifetime),
	}
}
