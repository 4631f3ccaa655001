package streamkey

// Identifiers the package keeps to itself, under the names its tests use.

// Limits.
const (
	Version            = version
	MaxPathLen         = maxPathLen
	MaxPatternLen      = maxPatternLen
	MaxPatterns        = maxPatterns
	MaxSessionIDLen    = maxSessionIDLen
	LongestMaxLifetime = longestMaxLifetime
	LongestLeeway      = longestLeeway
)

var (
	ParseReason = parseReason
)

func (v *Verifier) Validate() error { return v.validate() }
