package cloudfront

import (
	"slices"

	"github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
)

// Tests observe here what the edge may have run between two steps: every
// configuration a distribution had, in order, and the end of every
// deployment at once.

// record adds d's new configuration to its history, after prev, the one
// it replaced (the first one, made before any update, is recorded then).
// s.mu must be held.
func (s *Server) record(d *distribution, prev *types.DistributionConfig) {
	if len(d.history) == 0 {
		d.history = append(d.history, prev)
	}
	d.history = append(d.history, d.cfg)
}

// DistributionConfigs returns every configuration the distribution id
// had since this server started, oldest first: the one it was created
// with (or loaded), then one per UpdateDistribution. Nil for an unknown
// distribution.
func (s *Server) DistributionConfigs(id string) []*types.DistributionConfig {
	s.mu.RLock()
	defer s.mu.RUnlock()
	d := s.dists[id]
	if d == nil {
		return nil
	}
	if len(d.history) == 0 {
		return []*types.DistributionConfig{d.cfg}
	}
	return slices.Clone(d.history)
}

// FinishDeployments makes every distribution Deployed now, as if its
// last change had reached every edge location (without a clock of its
// own, a test ends a long DeployDelay this way).
func (s *Server) FinishDeployments() {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now().UTC()
	for _, d := range s.dists {
		if d.DeployedAt.After(now) {
			d.DeployedAt = now
		}
	}
}
