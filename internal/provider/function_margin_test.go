package provider

import (
	"strings"
	"testing"
)

func TestThinMargin(t *testing.T) {
	for _, c := range []struct {
		name                       string
		fresh, ring, publish, wait bool
		associations               int
		want                       bool
	}{
		{name: "rotation, wait", ring: true, publish: true, wait: true, associations: 1, want: true},
		{name: "rotation, two associations", ring: true, publish: true, associations: 2, want: true},
		{name: "rotation, one association", ring: true, publish: true, associations: 1},
		{name: "rotation, no association", ring: true, publish: true},
		{name: "no ring change", publish: true, wait: true, associations: 3},
		{name: "new function", fresh: true, ring: true, publish: true, wait: true, associations: 3},
		{name: "not published", ring: true, wait: true, associations: 3},
	} {
		if got := thinMargin(c.fresh, c.ring, c.publish, c.wait, c.associations); got != c.want {
			t.Errorf("%s: thinMargin = %v, want %v", c.name, got, c.want)
		}
	}
	if got := thinMarginWhy(true, 2); !strings.Contains(got, "wait_for_deployment = true") || !strings.Contains(got, "2 association blocks") {
		t.Errorf("thinMarginWhy(true, 2) = %q", got)
	}
}
