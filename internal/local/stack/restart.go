package stack

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"
)

// moto_server 5.2.1 keeps nothing across a restart: it has no option to
// persist its state (moto_server --help) and its /moto-api/ has no export
// that can be loaded back. Its recorder (/moto-api/recorder/) replays
// requests, which is not the same state: KMS key material comes from
// os.urandom, not from the seeded random, so ciphertexts made before the
// restart would no longer decrypt. So the local CloudFront's state, which
// names keys and functions made alongside moto's, is dropped together
// with moto's: moved aside, not deleted.

// startState makes the local CloudFront's state file consistent with a
// moto_server that starts empty, before the local CloudFront loads it,
// and returns the line that says what was kept or dropped, and why.
// withMoto is false when no moto_server starts (make local -moto ”):
// the state is kept, its other half being elsewhere (LocalStack's).
func startState(path string, withMoto bool, now time.Time) (string, error) {
	if path == "" {
		if withMoto {
			return "state: none kept (no state file; moto_server keeps nothing across restarts either)", nil
		}
		return "state: none kept (no state file)", nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Sprintf("state: none from an earlier run; the local CloudFront keeps its state in %s, moto_server keeps nothing across restarts", path), nil
	}
	if err != nil {
		return "", fmt.Errorf("reading the local CloudFront's state %s: %w", path, err)
	}
	held, parsed := stateHeld(b)
	if !parsed {
		held = "its content unreadable"
	}
	if !withMoto {
		return fmt.Sprintf("state: kept the local CloudFront's %s (%s); no moto_server started here, so its other half is wherever -moto points", path, held), nil
	}
	if parsed && held == "" {
		return fmt.Sprintf("state: the local CloudFront's %s holds nothing; moto_server starts empty (it keeps nothing across restarts)", path), nil
	}
	aside, err := moveAside(path, now)
	if err != nil {
		return "", fmt.Errorf("moving the local CloudFront's state %s aside (moto_server starts empty, and the two must agree): %w; move or delete it yourself", path, err)
	}
	return fmt.Sprintf("state: dropped, kept nothing: moto_server starts empty (moto 5.2.1 keeps nothing across restarts), so the local CloudFront's "+
		"state of the last run (%s) was moved aside to %s to keep the two consistent. Terraform state from that run names keys, functions "+
		"and distributions that are gone: run `terraform state rm` on them, or delete terraform.tfstate, before the next plan", held, aside), nil
}

// stateKinds are the local CloudFront's state file's collections, as its
// JSON names them, and what this file calls them.
var stateKinds = []struct{ key, name string }{
	{"functions", "function(s)"},
	{"distributions", "distribution(s)"},
	{"keyValueStores", "key value store(s)"},
	{"originAccessControls", "origin access control(s)"},
	{"responseHeadersPolicies", "response headers polic(ies)"},
}

// stateHeld says what a state file holds ("1 function(s), 2 key value
// store(s)"; "" when nothing); ok is false when it is not the local
// CloudFront's JSON.
func stateHeld(b []byte) (held string, ok bool) {
	var st map[string]map[string]json.RawMessage
	if err := json.Unmarshal(b, &st); err != nil {
		return "", false
	}
	var parts []string
	for _, k := range stateKinds {
		if n := len(st[k.key]); n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, k.name))
		}
	}
	return strings.Join(parts, ", "), true
}

// moveAside renames path to path.<UTC time>.bak (.1.bak, ... when taken)
// and returns the new name.
func moveAside(path string, now time.Time) (string, error) {
	base := path + "." + now.UTC().Format("20060102T150405Z")
	for i := 0; ; i++ {
		aside := base + ".bak"
		if i > 0 {
			aside = fmt.Sprintf("%s.%d.bak", base, i)
		}
		if _, err := os.Lstat(aside); err == nil {
			continue
		} else if !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
		return aside, os.Rename(path, aside)
	}
}
