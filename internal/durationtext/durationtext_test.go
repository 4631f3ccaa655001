package durationtext

import (
	"testing"
	"time"
)

func TestShort(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                            "0s",
		time.Second:                  "1s",
		30 * time.Second:             "30s",
		90 * time.Second:             "1m30s",
		10 * time.Minute:             "10m",
		time.Hour:                    "1h",
		90 * time.Minute:             "1h30m",
		24 * time.Hour:               "24h",
		168 * time.Hour:              "168h",
		time.Hour + time.Second:      "1h0m1s",
		168*time.Hour + time.Second:  "168h0m1s",
		1500 * time.Millisecond:      "1.5s",
		10*time.Minute + time.Minute: "11m",
	} {
		got := Short(d)
		if got != want {
			t.Errorf("Short(%v) = %q, want %q", d, got, want)
		}
		if back, err := time.ParseDuration(got); err != nil || back != d {
			t.Errorf("Short(%v) = %q reads back as %v, %v", d, got, back, err)
		}
	}
}

func TestHours(t *testing.T) {
	for d, want := range map[time.Duration]string{time.Hour: "1 hour", 24 * time.Hour: "24 hours", 168 * time.Hour: "168 hours"} {
		if got := Hours(d); got != want {
			t.Errorf("Hours(%v) = %q, want %q", d, got, want)
		}
	}
}
