// Package dash reads what a player reads of a DASH MPD: each
// representation's init segment and media segments, as URIs relative to
// the MPD. The demo walks the origin's MPD with it, as it walks HLS
// playlists with package hls.
//
// It reads the form the origin's fixtures use (ffmpeg's dash muxer with
// -use_template 1 -use_timeline 0): a static MPD of one period whose
// representations each have a SegmentTemplate (on the representation or
// its adaptation set) with a fixed duration and $Number$. Anything else
// (BaseURL, SegmentTimeline, SegmentList, SegmentBase, several periods, a
// live MPD) is an error, not a guess.
package dash

import (
	"encoding/xml"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// Representation is one representation's segments.
type Representation struct {
	ID          string
	ContentType string // the adaptation set's: video, audio, text...
	Bandwidth   int
	// Init is the init segment's URI; Media the media segments', in
	// playback order. Both are as the MPD writes them (relative URIs
	// resolve against the MPD's URL).
	Init  string
	Media []string
}

type template struct {
	Timescale   *int      `xml:"timescale,attr"`
	Duration    *int      `xml:"duration,attr"`
	Init        *string   `xml:"initialization,attr"`
	Media       *string   `xml:"media,attr"`
	StartNumber *int      `xml:"startNumber,attr"`
	Timeline    *struct{} `xml:"SegmentTimeline"`
}

// inherit fills t's unset attributes from the adaptation set's template.
func (t *template) inherit(from *template) {
	if from == nil {
		return
	}
	inheritAttr(&t.Timescale, from.Timescale)
	inheritAttr(&t.Duration, from.Duration)
	inheritAttr(&t.Init, from.Init)
	inheritAttr(&t.Media, from.Media)
	inheritAttr(&t.StartNumber, from.StartNumber)
	inheritAttr(&t.Timeline, from.Timeline)
}

// inheritAttr sets the attribute at p to from where it is unset (nil).
func inheritAttr[T any](p **T, from *T) {
	if *p == nil {
		*p = from
	}
}

type unsupported struct {
	BaseURL     *struct{} `xml:"BaseURL"`
	SegmentList *struct{} `xml:"SegmentList"`
	SegmentBase *struct{} `xml:"SegmentBase"`
}

func (u unsupported) what() string {
	switch {
	case u.BaseURL != nil:
		return "BaseURL"
	case u.SegmentList != nil:
		return "SegmentList"
	case u.SegmentBase != nil:
		return "SegmentBase"
	}
	return ""
}

type mpd struct {
	XMLName  xml.Name `xml:"MPD"`
	Type     string   `xml:"type,attr"`
	Duration string   `xml:"mediaPresentationDuration,attr"`
	unsupported
	Periods []struct {
		unsupported
		Sets []struct {
			ContentType string    `xml:"contentType,attr"`
			MimeType    string    `xml:"mimeType,attr"`
			Template    *template `xml:"SegmentTemplate"`
			unsupported
			Reps []struct {
				ID        string    `xml:"id,attr"`
				Bandwidth int       `xml:"bandwidth,attr"`
				Template  *template `xml:"SegmentTemplate"`
				unsupported
			} `xml:"Representation"`
		} `xml:"AdaptationSet"`
	} `xml:"Period"`
}

// Representations reads an MPD's representations, in MPD order.
func Representations(doc []byte) ([]Representation, error) {
	var m mpd
	if err := xml.Unmarshal(doc, &m); err != nil {
		return nil, fmt.Errorf("not an MPD: %w", err)
	}
	if m.Type != "" && m.Type != "static" {
		return nil, fmt.Errorf("a %s MPD (live); only static (VOD) MPDs are read", m.Type)
	}
	if len(m.Periods) != 1 {
		return nil, fmt.Errorf("%d periods; one is read", len(m.Periods))
	}
	total, err := Duration(m.Duration)
	if err != nil {
		return nil, fmt.Errorf("mediaPresentationDuration: %w", err)
	}
	if w := m.what(); w != "" {
		return nil, fmt.Errorf("the MPD has a %s, which is not read", w)
	}
	p := m.Periods[0]
	if w := p.what(); w != "" {
		return nil, fmt.Errorf("the period has a %s, which is not read", w)
	}
	var out []Representation
	for _, set := range p.Sets {
		if w := set.what(); w != "" {
			return nil, fmt.Errorf("an adaptation set has a %s, which is not read", w)
		}
		ct := set.ContentType
		if ct == "" {
			ct, _, _ = strings.Cut(set.MimeType, "/")
		}
		for _, r := range set.Reps {
			if w := r.what(); w != "" {
				return nil, fmt.Errorf("representation %s has a %s, which is not read", r.ID, w)
			}
			var t template
			if r.Template != nil {
				t = *r.Template
			}
			t.inherit(set.Template)
			rep, err := expand(t, r.ID, r.Bandwidth, total)
			if err != nil {
				return nil, fmt.Errorf("representation %s: %w", r.ID, err)
			}
			rep.ContentType = ct
			out = append(out, rep)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("the MPD has no representation")
	}
	return out, nil
}

// expand lists a representation's segments: ceil(total / duration) of
// them, numbered from startNumber (1 by default).
func expand(t template, id string, bandwidth int, total float64) (Representation, error) {
	switch {
	case t.Timeline != nil:
		return Representation{}, errors.New("a SegmentTimeline, which is not read")
	case t.Media == nil || t.Init == nil:
		return Representation{}, errors.New("no SegmentTemplate with media and initialization")
	case t.Duration == nil || *t.Duration <= 0:
		return Representation{}, errors.New("the SegmentTemplate has no duration")
	}
	scale, start := 1, 1
	if t.Timescale != nil {
		scale = *t.Timescale
	}
	if t.StartNumber != nil {
		start = *t.StartNumber
	}
	if scale <= 0 {
		return Representation{}, fmt.Errorf("timescale %d", scale)
	}
	seg := float64(*t.Duration) / float64(scale)
	// A duration that is a whole number of segments up to rounding (6.0 /
	// 2.0) makes that many, not one more.
	n := int(math.Ceil(total/seg - 1e-9))
	if n > 100000 {
		return Representation{}, fmt.Errorf("%d segments; an MPD of this package's tests has a few", n)
	}
	rep := Representation{ID: id, Bandwidth: bandwidth}
	var err error
	if rep.Init, err = fill(*t.Init, id, bandwidth, -1); err != nil {
		return Representation{}, fmt.Errorf("initialization %q: %w", *t.Init, err)
	}
	for i := 0; i < n; i++ {
		u, err := fill(*t.Media, id, bandwidth, start+i)
		if err != nil {
			return Representation{}, fmt.Errorf("media %q: %w", *t.Media, err)
		}
		rep.Media = append(rep.Media, u)
	}
	return rep, nil
}

// identifier is a SegmentTemplate identifier: $$, or $Name$ or
// $Name%0Nd$ (ISO/IEC 23009-1, 5.3.9.4.4).
var identifier = regexp.MustCompile(`\$(\w*)(%0(\d+)d)?\$`)

// fill substitutes a template's identifiers; number < 0 means none may be
// used (an init segment's template).
func fill(tpl, id string, bandwidth, number int) (string, error) {
	var bad error
	out := identifier.ReplaceAllStringFunc(tpl, func(s string) string {
		m := identifier.FindStringSubmatch(s)
		var v int
		switch m[1] {
		case "":
			return "$"
		case "RepresentationID":
			return id
		case "Bandwidth":
			v = bandwidth
		case "Number":
			if number < 0 {
				bad = errors.New("$Number$ in an init segment's template")
				return s
			}
			v = number
		default:
			bad = fmt.Errorf("the identifier $%s$ is not read", m[1])
			return s
		}
		if m[3] != "" {
			w, _ := strconv.Atoi(m[3])
			return fmt.Sprintf("%0*d", w, v)
		}
		return strconv.Itoa(v)
	})
	return out, bad
}

// isoDuration is the xs:duration subset MPDs use: PT, then hours,
// minutes and seconds, each optional.
var isoDuration = regexp.MustCompile(`^PT(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?$`)

// Duration parses an MPD duration such as PT6.0S or PT1H2M3.5S, in
// seconds.
func Duration(s string) (float64, error) {
	m := isoDuration.FindStringSubmatch(s)
	if m == nil || s == "PT" {
		return 0, fmt.Errorf("%q is not a duration of the form PT[nH][nM][nS]", s)
	}
	var total float64
	for i, unit := range []float64{3600, 60, 1} {
		if m[i+1] == "" {
			continue
		}
		v, err := strconv.ParseFloat(m[i+1], 64)
		if err != nil {
			return 0, err
		}
		total += v * unit
	}
	return total, nil
}
