// Package demotest starts make demo's environment for the length of a
// test, for the tests outside package demo that play through it (ffmpeg,
// the browser players). It is a test-helper package, so that package demo
// and the demo command do not link testing.
package demotest

import (
	"context"
	"testing"

	"github.com/securestream/terraform-provider-securestream/internal/demo"
)

// Start starts the demo environment (demo.Start), telling t its progress,
// and stops it, destroying what it applied, when t ends; it fails t when
// the environment cannot start. ctx bounds the start; the stop runs on
// even after ctx is done, as destroy must.
func Start(ctx context.Context, t testing.TB) *demo.Env {
	t.Helper()
	env, err := demo.Start(ctx, demo.Options{Progress: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := env.Close(context.WithoutCancel(ctx)); err != nil {
			t.Error(err)
		}
	})
	return env
}
