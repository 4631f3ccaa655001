package soak

import (
	"strings"
	"testing"
	"time"
)

// A revoked session passes only when every check of it finished: refused
// at the edge, by the issuer, its continued key too, and still at the
// end; anything less, and too few sessions, is a problem.
func TestRevocationProblems(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC)
	done := func(sid string) *victim {
		return &victim{Sid: sid, Revoked: t0, Refused: t0.Add(time.Second), RenewRefused: true, ContinuedRefused: true, StillRefused: true}
	}
	notRefused := done("never-refused")
	notRefused.Refused = time.Time{}
	renewed := done("renewed")
	renewed.RenewRefused = false
	flapped := done("flapped")
	flapped.StillRefused = false
	served := done("served")
	served.Violations = []string{"still served 10s after its revocation"}

	for _, tc := range []struct {
		name    string
		asked   int
		setup   []string
		victims []*victim
		want    []string // parts of the problems, in order
	}{
		{name: "all refused", asked: 2, victims: []*victim{done("a"), done("b")}},
		{name: "each unfinished check", asked: 5, victims: []*victim{done("a"), notRefused, renewed, flapped, served},
			want: []string{"never-refused (0): its checks did not finish (refused false", "renewed (0): its checks did not finish (refused true, renewal refused false",
				"flapped (0): its checks did not finish (refused true, renewal refused true, continued key refused true, still refused false)",
				"served (0): still served 10s"}},
		{name: "too few sessions", asked: 3, victims: []*victim{done("a")}, want: []string{"1 sessions made of 3"}},
		{name: "a session not made", asked: 2, setup: []string{"session 1: minting its key: 503"}, victims: []*victim{done("a")},
			want: []string{"session 1: minting its key: 503"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &revocations{cfg: Config{Revocations: tc.asked}, victims: tc.victims, Setup: tc.setup}
			got := r.problems()
			if len(got) != len(tc.want) {
				t.Fatalf("problems:\n%s\nwant %d: %v", strings.Join(got, "\n"), len(tc.want), tc.want)
			}
			for i, w := range tc.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("problem %d = %q, want it to contain %q", i, got[i], w)
				}
			}
		})
	}
}
