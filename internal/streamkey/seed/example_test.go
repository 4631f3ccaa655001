package seed_test

import (
	"fmt"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/streamkey"
	"github.com/securestream/terraform-provider-securestream/internal/streamkey/seed"
)

// Keys minted by the original issuer of the blog post keep working.
func ExampleMintWithSecret() {
	key, err := seed.MintWithSecret([]byte("k3y-for-tests-0123456789abcdef0123456789"), seed.Grant{
		PlaybackURL: "https://d111111abcdef8.cloudfront.net/transcoded-out/high/index.m3u8",
		ClientIP:    "203.0.113.9",
		UserAgent:   "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
		Expires:     time.Unix(1_767_319_777, 0),
	})
	if err != nil {
		panic(err)
	}
	fmt.Println("stream_key:   ", key.StreamKey)
	fmt.Println("stream_policy:", key.StreamPolicy)
	// Output:
	// stream_key:    fliMPjYzeHfbDLFwN7lLK1sdHr5kyx9lUnLg+tXRhvs=
	// stream_policy: eyJ1cmwiOiIvdHJhbnNjb2RlZC1vdXQvaGlnaC8qIiwiZXhwaXJlcyI6MTc2NzMxOTc3N30=
}

// A ring keeps the original deployment's secret as its seed key, beside
// the ss1 keys; the edge checks seed-format keys with it.
func ExampleVerify() {
	ring, err := streamkey.NewRing(
		streamkey.Key{ID: "2026a", Secret: []byte("example-secret-of-at-least-32-bytes!")},
		streamkey.Key{ID: "original", Secret: []byte("k3y-for-tests-0123456789abcdef0123456789"), Seed: true},
	)
	if err != nil {
		panic(err)
	}
	issued := time.Unix(1_767_225_600, 0)
	key, err := seed.Mint(ring, seed.Grant{
		PlaybackURL: "https://media.example.com/vod/movie-42/index.m3u8",
		ClientIP:    "203.0.113.9",
		UserAgent:   "ExoPlayerLib/2.19.1",
		Expires:     issued.Add(24 * time.Hour),
	})
	if err != nil {
		panic(err)
	}
	ver := &streamkey.Verifier{Ring: ring, MaxLifetime: 24 * time.Hour}
	req := streamkey.Request{
		Now: issued.Add(time.Minute), Path: "/vod/movie-42/720p/seg_00001.ts", Host: "media.example.com",
		ClientIP: "203.0.113.9", UserAgent: "ExoPlayerLib/2.19.1",
	}
	fmt.Println("segment:", seed.Verify(ver, key.StreamKey, key.StreamPolicy, req).Reason)

	other := req
	other.Path = "/vod/movie-43/index.m3u8"
	fmt.Println("another title:", seed.Verify(ver, key.StreamKey, key.StreamPolicy, other).Reason)

	moved := req
	moved.ClientIP = "203.0.113.10"
	fmt.Println("another address:", seed.Verify(ver, key.StreamKey, key.StreamPolicy, moved).Reason)
	// Output:
	// segment: ok
	// another title: path
	// another address: bad_mac
}
