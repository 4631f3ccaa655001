package streamkey_test

import (
	"testing"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/sharedref"
	"github.com/securestream/terraform-provider-securestream/internal/streamkey"
	"github.com/securestream/terraform-provider-securestream/internal/streamkey/seed"
)

// The shared vectors hold seed-format cases too; package seed lends the
// internal tests what they need to build and check them (see SeedRequest).
func init() {
	streamkey.SeedRequest = seedRequest
	streamkey.VerifySeed = seed.Verify
}

func seedRequest(t testing.TB, v sharedref.SeedVector) (streamkey.Request, string) {
	t.Helper()
	host, path, err := seed.URLHostPath(v.PlaybackURL)
	if err != nil {
		t.Fatal(err)
	}
	k, err := seed.MintWithSecret([]byte(v.Secret), seed.Grant{PlaybackURL: v.PlaybackURL, ClientIP: v.ClientIP,
		UserAgent: v.UserAgent, Expires: time.Unix(v.IssuedAt+v.TTLSeconds, 0)})
	if err != nil {
		t.Fatal(err)
	}
	return streamkey.Request{Now: time.Unix(v.IssuedAt+60, 0), Path: path, Host: host, ClientIP: v.ClientIP, UserAgent: v.UserAgent}, k.Path
}
