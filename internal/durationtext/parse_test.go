package durationtext

import (
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	for s, want := range map[string]time.Duration{"0": 0, "0s": 0, "90s": 90 * time.Second, "1h30m": 90 * time.Minute, "-1s": -time.Second} {
		if d, err := Parse(s); err != nil || d != want {
			t.Errorf("Parse(%q) = %v, %v; want %v", s, d, err, want)
		}
	}
	for s, want := range map[string]string{"600": `"600" has no unit: write 600s`, "1.5": `"1.5" has no unit`, "-1": `has no unit`,
		"ten": `invalid duration`, "": `invalid duration`, "90x": `unknown unit`} {
		if _, err := Parse(s); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q): %v, want an error saying %q", s, err, want)
		}
	}
}
