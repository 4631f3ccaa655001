package cfruntime

import (
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/sharedref"
)

func TestSmokeSeed(t *testing.T) {
	code, err := sharedref.SeedCloudFrontFunction("k3y-for-tests-0123456789abcdef0123456789")
	if err != nil {
		t.Fatal(err)
	}
	f, err := Compile("seed", []byte(code), JS10)
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("GET", "https://d111111abcdef8.cloudfront.net/transcoded-out/high/index.m3u8", nil)
	r.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36")
	r.Header.Set("stream_key", "fliMPjYzeHfbDLFwN7lLK1sdHr5kyx9lUnLg+tXRhvs=")
	r.Header.Set("stream_policy", "eyJ1cmwiOiIvdHJhbnNjb2RlZC1vdXQvaGlnaC8qIiwiZXhwaXJlcyI6MTc2NzMxOTc3N30=")
	ev := NewEvent(r, "203.0.113.9", EventOptions{})
	res := f.Run(ev, Options{Now: time.Unix(1767233377+60, 0)})
	fmt.Printf("%+v\n", res)
	fmt.Println(res.Logs)
}
