package hls

import "testing"

// The playlists' URIs resolve as a player resolves them: relative to the
// playlist, so that the path prefix carries over to every request.
func TestResolve(t *testing.T) {
	master := "http://e:1/t/KEY/videos/demo/master.m3u8"
	if got, _ := Resolve(master, "180p/index.m3u8"); got != "http://e:1/t/KEY/videos/demo/180p/index.m3u8" {
		t.Errorf("variant: %s", got)
	}
	if got, _ := Resolve("http://e:1/videos/demo/180p/index.m3u8?stream_token=x", "seg0.ts"); got != "http://e:1/videos/demo/180p/seg0.ts" {
		t.Errorf("segment: %s", got)
	}
	if got := URIs([]byte("#EXTM3U\n#EXTINF:2.0,\nseg0.ts\n\n#EXT-X-ENDLIST\n")); len(got) != 1 || got[0] != "seg0.ts" {
		t.Errorf("URIs: %q", got)
	}
}
