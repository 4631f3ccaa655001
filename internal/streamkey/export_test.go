package streamkey

// Identifiers the package keeps to itself, under the names its tests use.

// Limits.
const (
	Version            = version
	MaxPathLen         = maxPathLen
	MaxPatternLen      = maxPatternLen
	MaxPatterns        = maxPatterns
	MaxSessionIDLen    = maxSessionIDLen
	MaxSeedPolicyLen   = maxSeedPolicyLen
	LongestMaxLifetime = longestMaxLifetime
	LongestLeeway      = longestLeeway
)

var (
	NormalizeHost = normalizeHost
	ParseReason   = parseReason
	SeedMessage   = seedMessage
	SeedPath      = seedPath
)

func (v *Verifier) Validate() error { return v.validate() }
