package cloudfront

import (
	"maps"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
)

// Propagation (Config.PropagationDelay): a change reaches the edge
// locations over seconds, so the edge keeps what it served before a
// change, for as long as a location may not have learned it: a function's
// earlier LIVE stages, a distribution's earlier configurations. Each edge
// request is served as by a location that has learned every change made
// up to its cutoff (now minus the location's lag): the newest version
// made by then, or the oldest kept when none was, since nothing older is
// left. A version is dropped once a newer one is older than the delay,
// when every location has learned that one.

// servedConfig is an earlier configuration of a distribution that edge
// locations may still serve.
type servedConfig struct {
	Raw *node `json:"config"`
	// Since is when the configuration was made.
	Since time.Time `json:"since"`

	cfg *types.DistributionConfig
}

func (s *Server) now() time.Time {
	if s.cfg.now != nil {
		return s.cfg.now()
	}
	return time.Now()
}

// cutoff is, for one edge request, the time up to which its edge location
// has learned the changes.
func (s *Server) cutoff() time.Time {
	lag := s.cfg.PropagationDelay
	if lag > 0 && s.cfg.PropagationSpread {
		lag = time.Duration(rand.Int64N(int64(lag) + 1))
	}
	return s.now().Add(-max(lag, 0))
}

// horizon is the time up to which every edge location has learned the
// changes.
func (s *Server) horizon() time.Time {
	return s.now().Add(-max(s.cfg.PropagationDelay, 0))
}

// servable returns the earlier versions (oldest first, made at the times
// since gives) an edge location may still serve, given that the current
// one was made at current: those after the last that a newer version made
// at or before horizon replaced.
func servable[T any](earlier []T, since func(T) time.Time, current, horizon time.Time) []T {
	for len(earlier) > 0 {
		next := current
		if len(earlier) > 1 {
			next = since(earlier[1])
		}
		if next.After(horizon) {
			break
		}
		earlier = earlier[1:]
	}
	return earlier
}

// servedAt returns the version an edge location that learned the changes
// made up to cutoff serves, among the earlier ones and the current one.
func servedAt[T any](earlier []T, since func(T) time.Time, current T, cutoff time.Time) T {
	if !since(current).After(cutoff) {
		return current
	}
	for i := len(earlier) - 1; i >= 0; i-- {
		if !since(earlier[i]).After(cutoff) {
			return earlier[i]
		}
	}
	if len(earlier) > 0 {
		return earlier[0]
	}
	return current
}

func stageSince(st *stage) time.Time        { return st.Modified }
func configSince(c *servedConfig) time.Time { return c.Since }

// publishLive makes live f's LIVE stage, keeping the one it replaces for
// the edge locations that have not learned it yet. s.mu must be held.
func (s *Server) publishLive(f *function, live *stage) {
	earlier := f.Earlier
	if f.Live != nil {
		earlier = append(slices.Clip(earlier), f.Live)
	}
	f.Live = live
	f.Earlier = servable(earlier, stageSince, live.Modified, s.horizon())
}

// liveAt returns the LIVE stage of f an edge location that learned the
// changes made up to cutoff runs (nil if f was never published).
func (f *function) liveAt(cutoff time.Time) *stage {
	if f.Live == nil {
		return nil
	}
	return servedAt(f.Earlier, stageSince, f.Live, cutoff)
}

// reconfigure gives d a new configuration, keeping the one it replaces
// for the edge locations that have not learned it yet. s.mu must be held.
func (s *Server) reconfigure(d *distribution, raw *node, cfg *types.DistributionConfig) {
	now := s.now().UTC()
	earlier := append(slices.Clip(d.Earlier), &servedConfig{Raw: d.Raw, Since: d.ConfigSince, cfg: d.cfg})
	d.Raw, d.cfg, d.ConfigSince = raw, cfg, now
	s.record(d, earlier[len(earlier)-1].cfg)
	d.Earlier = servable(earlier, configSince, now, s.horizon())
}

// configAt returns the configuration of d an edge location that learned
// the changes made up to cutoff serves.
func (d *distribution) configAt(cutoff time.Time) *types.DistributionConfig {
	if len(d.Earlier) == 0 || !d.ConfigSince.After(cutoff) {
		return d.cfg
	}
	return servedAt(d.Earlier, configSince, &servedConfig{Since: d.ConfigSince, cfg: d.cfg}, cutoff).cfg
}

// servedConfigs returns the configurations of d the edge may serve now:
// the current one and the earlier ones not every location has replaced.
// s.mu must be held.
func (s *Server) servedConfigs(d *distribution) []*types.DistributionConfig {
	cfgs := []*types.DistributionConfig{d.cfg}
	for _, c := range servable(d.Earlier, configSince, d.ConfigSince, s.horizon()) {
		cfgs = append(cfgs, c.cfg)
	}
	return cfgs
}

// runners returns the ids of the distributions the edge may run the
// function arn for: by their configuration, or by an earlier one that
// some edge location still serves. s.mu must be held.
func (s *Server) runners(arn string) []string {
	var ids []string
	for _, id := range slices.Sorted(maps.Keys(s.dists)) {
		for _, cfg := range s.servedConfigs(s.dists[id]) {
			if slices.Contains((&distribution{cfg: cfg}).functionARNs(), arn) {
				ids = append(ids, id)
				break
			}
		}
	}
	return ids
}
