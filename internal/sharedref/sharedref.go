// Package sharedref reads the project's shared reference material, which
// every developer machine and CI has at ../shared beside the checkout (or
// where SECURESTREAM_SHARED points) but a user's clone does not: the
// original blog post, whose code the cross-implementation tests and the
// benchmarks run as the baseline, and the seed-format vectors, of which
// the package embeds a copy.
//
// The blog post's code is extracted at run time rather than copied into
// this repository.
package sharedref

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/securestream/terraform-provider-securestream/internal/reporoot"
)

// EnvVar names the shared directory where it is not at ../shared.
const EnvVar = "SECURESTREAM_SHARED"

// Uncompared is what the tests cannot compare without the shared
// material: everything that reads it through this package.
const Uncompared = "the original blog post's code (its CloudFront Function run on the seed vectors, its extraction from the post, " +
	"the benchmarks' baseline) and the committed seed vectors against shared/vectors/seed-compat.json " +
	"(the seed format itself was tested on the committed copy)"

// ErrAbsent is the error of Absent: the shared directory is not beside
// the checkout, as beside a user's clone.
var ErrAbsent = errors.New("the project's shared material is not beside this checkout")

// Dir returns the shared directory: where SECURESTREAM_SHARED points, or
// ../shared beside the checkout. It does not say whether it exists.
func Dir() (string, error) {
	if dir := os.Getenv(EnvVar); dir != "" {
		return dir, nil
	}
	root, err := reporoot.Find()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, "..", "shared"), nil
}

// Absent returns an error wrapping ErrAbsent when the shared directory is
// not there and SECURESTREAM_SHARED is unset, and nil otherwise. A
// directory named by SECURESTREAM_SHARED is asked for, so its absence is
// not this case: Path reports it.
func Absent() error {
	dir, err := Dir()
	if err != nil {
		return err
	}
	if os.Getenv(EnvVar) != "" {
		return nil
	}
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w (no %s; set %s to its path)", ErrAbsent, filepath.Clean(dir), EnvVar)
	}
	return nil
}

// Path returns the path of rel inside the shared directory, or an error
// that says where it was looked for.
func Path(rel string) (string, error) {
	dir, err := Dir()
	if err != nil {
		return "", err
	}
	p := filepath.Join(dir, rel)
	if _, err := os.Stat(p); err != nil {
		if env := os.Getenv(EnvVar); env != "" {
			return "", fmt.Errorf("%s is missing: %s=%s must name the project's shared material: %w", p, EnvVar, env, err)
		}
		return "", fmt.Errorf("%s is missing: the project's shared material must sit at ../shared beside the checkout "+
			"(or set %s): %w", p, EnvVar, err)
	}
	return p, nil
}

// numbered matches a line of a numbered code listing in the post: "12.\t code".
var numbered = regexp.MustCompile(`^(\d+)\.\t ?(.*)$`)

// listing returns the blog post's numbered listing that starts with first
// and ends at line number last, as numbered lines.
func listing(first string, last int) (map[int]string, error) {
	p, err := Path("reference/seed-blog-post.txt")
	if err != nil {
		return nil, err
	}
	post, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	lines := map[int]string{}
	in := false
	for _, l := range strings.Split(string(post), "\n") {
		m := numbered.FindStringSubmatch(strings.TrimRight(l, "\r"))
		if m == nil {
			continue
		}
		if !in && m[1] == "1" && strings.TrimSpace(m[2]) == first {
			in = true
		}
		if !in {
			continue
		}
		n, _ := strconv.Atoi(m[1]) // digits, by the expression
		lines[n] = m[2]
		if n == last {
			return lines, nil
		}
	}
	return nil, fmt.Errorf("the blog post has no listing starting %q and ending at line %d", first, last)
}

// SeedCloudFrontFunction returns the original CloudFront Function of the
// blog post (cloudfront-js-1.0) with secret filled in. The post as published
// lost three pieces of the listing; they are restored the only way the code
// can work: the secret as a string (lines 8-9), the Host header as the host
// name (line 13) and Date.now() as the current time (line 44).
func SeedCloudFrontFunction(secret string) (string, error) {
	lines, err := listing("function handler(event) {", 65)
	if err != nil {
		return "", err
	}
	fixes := []struct {
		line     int
		old, new string
	}{
		{13, "var hostname =;", "var hostname = headers.host.value;"},
		{44, "Math.round( / 1000)", "Math.round(Date.now() / 1000)"},
	}
	for _, f := range fixes {
		if !strings.Contains(lines[f.line], f.old) {
			return "", fmt.Errorf("line %d of the blog post's function is not %q any more: %q", f.line, f.old, lines[f.line])
		}
		lines[f.line] = strings.Replace(lines[f.line], f.old, f.new, 1)
	}
	lines[8] = "    var secret = " + quoteJS(secret) + ";"
	var b strings.Builder
	for i := 1; i <= 65; i++ {
		if l, ok := lines[i]; ok {
			b.WriteString(l)
			b.WriteByte('\n')
		}
	}
	return b.String(), nil
}

// SeedIssuerLambda returns the original issuer Lambda of the blog post
// (Node.js, aws-sdk v2), complete as published, as a CommonJS module
// exporting handler.
func SeedIssuerLambda() (string, error) {
	lines, err := listing("JavaScript", 80)
	if err != nil {
		return "", err
	}
	if !strings.Contains(lines[62], "exports.handler") || !strings.Contains(lines[2], "require('aws-sdk')") {
		return "", errors.New("the blog post's issuer listing is not the one this extraction knows")
	}
	var b strings.Builder
	for i := 2; i <= 80; i++ {
		b.WriteString(lines[i]) // missing numbers are blank lines
		b.WriteByte('\n')
	}
	return b.String(), nil
}

func quoteJS(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\n", `\n`).Replace(s) + "'"
}

// SeedVector is a stream key minted by the original issuer of the blog
// post, with every input (shared/vectors/seed-compat.json).
type SeedVector struct {
	Secret        string `json:"secret"`
	PlaybackURL   string `json:"playback_url"`
	ClientIP      string `json:"client_ip"`
	UserAgent     string `json:"user_agent"`
	IssuedAt      int64  `json:"issued_at"`
	TTLSeconds    int64  `json:"ttl_seconds"`
	SignedMessage string `json:"signed_message"`
	StreamKey     string `json:"stream_key"`
	StreamPolicy  string `json:"stream_policy"`
}

// seedVectors is a copy of shared/vectors/seed-compat.json, so that the
// seed format's compatibility is tested on a clone with nothing beside it;
// SharedSeedVectors reads the original, which a test compares it with.
//
//go:embed seed-compat.json
var seedVectors []byte

// SeedVectors reads the seed-format compatibility vectors (the committed
// copy). Unknown fields are an error, so that a change to the file is
// noticed.
func SeedVectors() ([]SeedVector, error) {
	return parseSeedVectors("seed-compat.json", seedVectors)
}

// SharedSeedVectors returns shared/vectors/seed-compat.json as it is.
func SharedSeedVectors() ([]byte, error) {
	p, err := Path("vectors/seed-compat.json")
	if err != nil {
		return nil, err
	}
	return os.ReadFile(p)
}

// SeedVectorsCopy is the committed copy of the vectors, byte for byte.
func SeedVectorsCopy() []byte { return append([]byte(nil), seedVectors...) }

func parseSeedVectors(p string, b []byte) ([]SeedVector, error) {
	var f struct {
		Description string       `json:"description"`
		Vectors     []SeedVector `json:"vectors"`
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	if len(f.Vectors) == 0 {
		return nil, fmt.Errorf("%s holds no vectors", p)
	}
	return f.Vectors, nil
}
