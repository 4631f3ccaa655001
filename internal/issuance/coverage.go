package issuance

import (
	"errors"
	"fmt"
	"strings"

	"github.com/securestream/terraform-provider-securestream/internal/streamkey"
)

// Path pattern modes: what a key for a playback URL covers.
const (
	PatternDirectory = "directory" // the manifest's directory plus '*' (as the original)
	PatternExact     = "exact"     // the playback URL's path only
	PatternPrefix    = "prefix"    // the allowed prefix it falls under, plus '*'
)

// PatternModes are the path pattern modes, the default first.
var PatternModes = []string{PatternDirectory, PatternExact, PatternPrefix}

// This file decides what a key covers. Every key the issuer signs, and
// every test key the provider mints, gets its path pattern from Coverage,
// which refuses a pattern wider than what was checked.

// limit is a path prefix that bounds what may be signed: an allowed prefix
// or one of the caller's entitlements, in canonical form (hex escapes in
// upper case). It covers a directory, not a string start: "/vod/a" covers
// "/vod/a" and "/vod/a/...", never "/vod/a.m3u8"; "/vod/a/" covers
// "/vod/a/...".
type limit string

// parseLimit reads a prefix; one that is not a safe path (dot segments,
// "//", '*', ...) is not a limit and so matches nothing.
func parseLimit(s string) (limit, bool) {
	if !strings.HasPrefix(s, "/") || strings.Contains(s, "*") {
		return "", false
	}
	c, err := streamkey.CanonicalPattern(s)
	if err != nil {
		return "", false
	}
	return limit(c), true
}

// ValidPrefix reports whether p can be an allowed prefix (URLRules.Prefixes)
// or an entitlement: a path starting with '/', with no dot segments, "//"
// or '*'. Any other prefix matches nothing.
func ValidPrefix(p string) bool {
	_, ok := parseLimit(p)
	return ok
}

// dir is the limit as a directory, ending in '/'.
func (l limit) dir() string {
	if strings.HasSuffix(string(l), "/") {
		return string(l)
	}
	return string(l) + "/"
}

// covers reports whether everything sc covers lies inside l.
func (l limit) covers(sc scope) bool {
	return strings.HasPrefix(sc.base, l.dir()) || (!sc.dir && sc.base == string(l))
}

// scope is what a path pattern covers: the exact path base, or (dir) every
// path that starts with base, as the token format matches "base*".
type scope struct {
	base string
	dir  bool
}

func (sc scope) pattern() string {
	if sc.dir {
		return sc.base + "*"
	}
	return sc.base
}

// within reports whether everything sc covers is also covered by o.
func (sc scope) within(o scope) bool {
	if o.dir {
		return strings.HasPrefix(sc.base, o.base)
	}
	return !sc.dir && sc.base == o.base
}

// patternScope reads a path pattern; one the token format would not accept
// is an error (it covers nothing).
func patternScope(pat string) (scope, error) {
	c, err := streamkey.CanonicalPattern(pat)
	if err != nil {
		return scope{}, err
	}
	if base, ok := strings.CutSuffix(c, "*"); ok {
		return scope{base: base, dir: true}, nil
	}
	return scope{base: c}, nil
}

// Coverage returns the path pattern a key for pb is signed with, in the
// given mode: the URL's directory (PatternDirectory), its exact path
// (PatternExact), or the narrower of the matched allowed prefix and the
// caller's matched entitlement, as directories (PatternPrefix).
//
// The pattern must lie inside pb.Prefix, the allowed prefix the path
// matched, and, when entitled is not nil, inside one of the caller's
// entitled prefixes (an empty list entitles nothing). A mode whose pattern
// would be wider is refused (403) rather than widened: the caller should
// use exact mode or a narrower URL.
func Coverage(mode string, pb Playback, entitled []string) (string, *Refusal) {
	path, err := patternScope(pb.Path)
	if err == nil && path.dir {
		err = errors.New("the path must not end in '*'")
	}
	if err != nil {
		return "", &Refusal{Status: 400, Reason: ReasonBadURL, Message: fmt.Sprintf("playback_url: no key can be signed for this path: %v", err)}
	}
	allowed, ok := parseLimit(pb.Prefix)
	if !ok || !allowed.covers(path) {
		return "", pathNotAllowed()
	}
	var ents []limit // the entitlements that cover the path
	for _, e := range entitled {
		if l, ok := parseLimit(e); ok && l.covers(path) {
			ents = append(ents, l)
		}
	}
	if entitled != nil && len(ents) == 0 {
		return "", &Refusal{Status: 403, Reason: ReasonNotEntitled, Message: fmt.Sprintf("the caller may not play %s", pb.Path)}
	}

	var sc scope
	switch mode {
	case PatternExact:
		sc = path
	case PatternDirectory:
		sc = scope{base: path.base[:strings.LastIndexByte(path.base, '/')+1], dir: true}
	case PatternPrefix:
		// The narrowest directory that an entitlement or the allowed
		// prefix names and the path lies in.
		sc = scope{base: allowed.dir(), dir: true}
		for _, e := range ents {
			if d := e.dir(); len(d) > len(sc.base) && strings.HasPrefix(path.base, d) {
				sc.base = d
			}
		}
		if !path.within(sc) {
			return "", tooWide(mode, sc, fmt.Sprintf("the URL's path %s, which is not below it", pb.Path))
		}
	default:
		return "", &Refusal{Status: 500, Reason: ReasonInternal, Message: fmt.Sprintf("unknown path pattern mode %q", mode)}
	}
	if !allowed.covers(sc) {
		return "", tooWide(mode, sc, fmt.Sprintf("the allowed prefix %s", pb.Prefix))
	}
	if entitled != nil && !anyCovers(ents, sc) {
		names := make([]string, len(ents))
		for i, e := range ents {
			names[i] = string(e)
		}
		return "", tooWide(mode, sc, fmt.Sprintf("the caller's entitlement %s", strings.Join(names, ", ")))
	}
	return sc.pattern(), nil
}

func pathNotAllowed() *Refusal {
	return &Refusal{Status: 403, Reason: ReasonPathNotAllowed, Message: "playback_url: the path is not under an allowed prefix"}
}

func anyCovers(ls []limit, sc scope) bool {
	for _, l := range ls {
		if l.covers(sc) {
			return true
		}
	}
	return false
}

func tooWide(mode string, sc scope, what string) *Refusal {
	return &Refusal{Status: 403, Reason: ReasonPatternTooWide, Message: fmt.Sprintf(
		"path pattern mode %s would sign %s, which reaches beyond %s; the issuer does not widen a key: "+
			"ask for a URL inside it, or use exact mode (SECURESTREAM_PATH_PATTERN=exact) to sign the URL's path only",
		mode, sc.pattern(), what)}
}

// seedWithin says why a seed-format key for the signed pattern must not be
// handed out, or "" when it may: its policy must cover nothing the ss1 key
// does not.
func seedWithin(seedPattern, signed string) string {
	sc, err := patternScope(seedPattern)
	if err != nil {
		return fmt.Sprintf("the seed policy's path %q is not a pattern the edge can match", seedPattern)
	}
	key, _ := patternScope(signed)
	if !sc.within(key) {
		return fmt.Sprintf("the seed policy would cover %s, more than this key's %s (the seed format always covers the URL's directory)", seedPattern, signed)
	}
	return ""
}
