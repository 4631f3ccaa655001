package dash

import (
	"io/fs"
	"reflect"
	"strings"
	"testing"

	"github.com/securestream/terraform-provider-securestream/internal/local/origin"
)

// The origin's MPD: two video representations and the audio, each an
// init segment and three 2 s segments of the 6 s title.
func TestOriginMPD(t *testing.T) {
	doc, err := fs.ReadFile(origin.Files(), strings.TrimPrefix(origin.DemoMPD, "/"))
	if err != nil {
		t.Fatal(err)
	}
	reps, err := Representations(doc)
	if err != nil {
		t.Fatal(err)
	}
	want := []Representation{
		{ID: "0", ContentType: "video", Bandwidth: 48000, Init: "init-0.mp4", Media: []string{"seg-0-1.m4s", "seg-0-2.m4s", "seg-0-3.m4s"}},
		{ID: "1", ContentType: "video", Bandwidth: 24000, Init: "init-1.mp4", Media: []string{"seg-1-1.m4s", "seg-1-2.m4s", "seg-1-3.m4s"}},
		{ID: "2", ContentType: "audio", Bandwidth: 16000, Init: "init-2.mp4", Media: []string{"seg-2-1.m4s", "seg-2-2.m4s", "seg-2-3.m4s"}},
	}
	if !reflect.DeepEqual(reps, want) {
		t.Errorf("got  %+v\nwant %+v", reps, want)
	}
}

const head = `<?xml version="1.0"?><MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" mediaPresentationDuration="PT5S"><Period>`

// A template on the adaptation set is inherited and may be partly
// overridden; widths, $Bandwidth$ and $$ are filled; 5 s of 2 s segments
// is three segments.
func TestTemplate(t *testing.T) {
	doc := head + `<AdaptationSet mimeType="audio/mp4">
<SegmentTemplate timescale="10" duration="20" initialization="$RepresentationID$/init.mp4" media="$RepresentationID$/$Number%03d$-$Bandwidth$-$$.m4s" startNumber="7"/>
<Representation id="a" bandwidth="64000"/>
<Representation id="b" bandwidth="96000"><SegmentTemplate startNumber="0"/></Representation>
</AdaptationSet></Period></MPD>`
	reps, err := Representations([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	want := []Representation{
		{ID: "a", ContentType: "audio", Bandwidth: 64000, Init: "a/init.mp4", Media: []string{"a/007-64000-$.m4s", "a/008-64000-$.m4s", "a/009-64000-$.m4s"}},
		{ID: "b", ContentType: "audio", Bandwidth: 96000, Init: "b/init.mp4", Media: []string{"b/000-96000-$.m4s", "b/001-96000-$.m4s", "b/002-96000-$.m4s"}},
	}
	if !reflect.DeepEqual(reps, want) {
		t.Errorf("got  %+v\nwant %+v", reps, want)
	}
}

// What the package does not read is an error naming it, not a guess.
func TestRefused(t *testing.T) {
	rep := func(inner string) string {
		return head + `<AdaptationSet contentType="video"><Representation id="v">` + inner + `</Representation></AdaptationSet></Period></MPD>`
	}
	tpl := `<SegmentTemplate duration="2" initialization="i.mp4" media="$Number$.m4s"/>`
	for doc, want := range map[string]string{
		strings.Replace(rep(tpl), `type="static"`, `type="dynamic"`, 1):                                        "live",
		rep(`<SegmentTemplate initialization="i.mp4" media="$Time$.m4s"><SegmentTimeline/></SegmentTemplate>`): "SegmentTimeline",
		rep(`<BaseURL>http://cdn/</BaseURL>` + tpl):                                                            "BaseURL",
		rep(`<SegmentBase/>`): "SegmentBase",
		rep(`<SegmentTemplate initialization="i.mp4" media="$Number$.m4s"/>`):                       "no duration",
		rep(`<SegmentTemplate duration="2" initialization="i-$Number$.mp4" media="$Number$.m4s"/>`): "init segment",
		rep(`<SegmentTemplate duration="2" initialization="i.mp4" media="$Time$.m4s"/>`):            "$Time$",
		strings.Replace(rep(tpl), `PT5S`, `P1D`, 1):                                                 "duration",
		`<MPD type="static" mediaPresentationDuration="PT5S"></MPD>`:                                "0 periods",
		`not xml`: "not an MPD",
	} {
		if _, err := Representations([]byte(doc)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s\n: error %v, want one naming %q", doc, err, want)
		}
	}
}

func TestDuration(t *testing.T) {
	for s, want := range map[string]float64{"PT6.0S": 6, "PT1H2M3.5S": 3723.5, "PT2M": 120} {
		if got, err := Duration(s); err != nil || got != want {
			t.Errorf("Duration(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	for _, s := range []string{"", "PT", "6S", "P1DT1S", "PT-1S"} {
		if _, err := Duration(s); err == nil {
			t.Errorf("Duration(%q): no error", s)
		}
	}
}
