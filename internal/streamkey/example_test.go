package streamkey_test

import (
	"fmt"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/streamkey"
)

func exampleRing() *streamkey.Ring {
	ring, err := streamkey.NewRing(
		streamkey.Key{ID: "2026a", Secret: []byte("example-secret-of-at-least-32-bytes!"), Created: time.Unix(1_767_225_600, 0)},
	)
	if err != nil {
		panic(err)
	}
	return ring
}

// A player asks for a stream key for a manifest; the key covers the
// manifest's directory, the host, the viewer's /24 and its user agent.
func ExampleRing_Mint() {
	ring := exampleRing()
	issued := time.Unix(1_767_225_600, 0) // 2026-01-01T00:00:00Z
	tok, err := ring.Mint("2026a", streamkey.Grant{
		Expires:       issued.Add(time.Hour),
		NotBefore:     issued,
		Paths:         []string{"/vod/movie-42/*"},
		Host:          "media.example.com",
		IPBinding:     streamkey.IPSubnet,
		ClientIP:      "203.0.113.9",
		BindUserAgent: true,
		UserAgent:     "ExoPlayerLib/2.19.1",
		SessionID:     "sess-42",
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(tok)
	_, claims, _ := streamkey.Inspect(tok)
	fmt.Println(claims)
	// Output:
	// ss1.2026a.ZT0xNzY3MjI5MjAwCm49MTc2NzIyNTYwMApwPS92b2QvbW92aWUtNDIvKgpoPW1lZGlhLmV4YW1wbGUuY29tCmk9czMwCnU9MQpzPXNlc3MtNDI.Ug3yabH08CGH.pV50QdDOo5lME35R05-_vQI9hOprc7Cat0qZZROqKMQ
	// exp=1767229200 nbf=1767225600 paths=["/vod/movie-42/*"] host="media.example.com" ip=subnet ua_bound=true sid="sess-42"
}

// The edge checks every segment request; a refusal says why.
func ExampleVerifier_Verify() {
	ring := exampleRing()
	issued := time.Unix(1_767_225_600, 0)
	tok, _ := ring.Mint("2026a", streamkey.Grant{
		Expires: issued.Add(time.Hour), Paths: []string{"/vod/movie-42/*"}, Host: "media.example.com",
		IPBinding: streamkey.IPSubnet, ClientIP: "203.0.113.9", BindUserAgent: true, UserAgent: "ExoPlayerLib/2.19.1",
	})
	ver := &streamkey.Verifier{Ring: ring, MaxLifetime: 24 * time.Hour, Leeway: streamkey.DefaultLeeway}
	req := streamkey.Request{
		Now: issued.Add(time.Minute), Path: "/vod/movie-42/720p/seg_00001.ts", Host: "media.example.com",
		ClientIP: "203.0.113.200", UserAgent: "ExoPlayerLib/2.19.1",
	}
	fmt.Println("segment in the same /24:", ver.Verify(tok, req).Reason)

	other := req
	other.Path = "/vod/movie-43/index.m3u8"
	fmt.Println("another title:", ver.Verify(tok, other).Reason)

	shared := req
	shared.ClientIP = "198.51.100.7"
	fmt.Println("shared with another network:", ver.Verify(tok, shared).Reason)

	late := req
	late.Now = issued.Add(2 * time.Hour)
	fmt.Println("two hours later:", ver.Verify(tok, late).Reason)

	altered := tok[:len(tok)-45] + "A" + tok[len(tok)-44:] // one character of the check value
	fmt.Println("altered:", ver.Verify(altered, req).Reason)
	// Output:
	// segment in the same /24: ok
	// another title: path
	// shared with another network: ip
	// two hours later: expired
	// altered: bad_mac
}
