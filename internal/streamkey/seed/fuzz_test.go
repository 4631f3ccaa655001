package seed

import (
	"testing"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/streamkey"
	"github.com/securestream/terraform-provider-securestream/internal/streamkeytest"
)

// FuzzVerifySeed checks that whatever it is fed, Verify never panics and
// accepts nothing but a key minted here: one that verifies and was not
// minted is a forgery. The ring is streamkey's fuzz ring: two ss1 keys and
// the seed key.
func FuzzVerifySeed(f *testing.F) {
	r, err := streamkey.NewRing(
		streamkey.Key{ID: "k1", Secret: streamkeytest.Secret("k1", 32), Created: t0},
		streamkey.Key{ID: "k2", Secret: streamkeytest.Secret("k2", 48), Created: t0.Add(time.Hour)},
		streamkey.Key{ID: "seed", Secret: []byte(streamkeytest.SeedSecret), Seed: true},
	)
	if err != nil {
		f.Fatal(err)
	}
	ver := &streamkey.Verifier{Ring: r, Leeway: streamkey.DefaultLeeway}
	q := baseRequest()
	seeds := map[[2]string]bool{}
	for _, ip := range []string{"203.0.113.77", "2001:db8::7"} {
		k := mint(f, r, Grant{PlaybackURL: "https://media.example.com/vod/movie-42/index.m3u8",
			ClientIP: ip, UserAgent: q.UserAgent, Expires: t0.Add(time.Hour)})
		seeds[[2]string{k.StreamKey, k.StreamPolicy}] = true
	}
	for k := range seeds {
		f.Add(k[0], k[1], "/vod/movie-42/seg_1.ts", q.Host, "203.0.113.77", q.UserAgent, q.Now.Unix())
	}
	f.Add("", "eyJ1cmwiOiIvKiIsImV4cGlyZXMiOjF9", "/", "", "", "", int64(0))
	f.Fuzz(func(t *testing.T, key, policy, path, host, ip, ua string, now int64) {
		req := streamkey.Request{Now: time.Unix(now, 0), Path: path, Host: host, ClientIP: ip, UserAgent: ua}
		res := Verify(ver, key, policy, req)
		if res.Reason == streamkey.OK && !seeds[[2]string{key, policy}] {
			// A re-encoded policy (other padding, members, spacing) with the
			// same url and expires is the same grant, not a forgery.
			url, exp, _ := parsePolicy(policy)
			found := false
			for k := range seeds {
				u, e, _ := parsePolicy(k[1])
				found = found || (k[0] == key && u == url && e == exp)
			}
			if !found {
				t.Fatalf("FORGERY: seed key %q policy %q was never minted but verifies", key, policy)
			}
		}
	})
}
