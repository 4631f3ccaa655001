package issuance

import "fmt"

// Reason is why a request for a key was refused. Its String is the code the
// issuer's log and error bodies carry.
type Reason uint8

// The reasons for a refusal.
const (
	// ReasonBadURL: the playback URL is malformed, or no key can be signed
	// for its path (400).
	ReasonBadURL Reason = iota + 1
	// ReasonHostNotAllowed: the URL's host is not one the issuer signs for
	// (403).
	ReasonHostNotAllowed
	// ReasonPathNotAllowed: the URL's path is not under an allowed prefix
	// (403).
	ReasonPathNotAllowed
	// ReasonNotEntitled: the caller may not play the URL's path (403).
	ReasonNotEntitled
	// ReasonPatternTooWide: the path pattern mode would sign more than was
	// checked (403).
	ReasonPatternTooWide
	// ReasonInternal: the policy itself is broken, such as an unknown path
	// pattern mode (500).
	ReasonInternal
)

var reasonCodes = [...]string{
	ReasonBadURL:         "bad_url",
	ReasonHostNotAllowed: "host_not_allowed",
	ReasonPathNotAllowed: "path_not_allowed",
	ReasonNotEntitled:    "not_entitled",
	ReasonPatternTooWide: "pattern_too_wide",
	ReasonInternal:       "internal",
}

// String returns the reason's log code, such as "path_not_allowed".
func (r Reason) String() string {
	if int(r) < len(reasonCodes) && reasonCodes[r] != "" {
		return reasonCodes[r]
	}
	return fmt.Sprintf("Reason(%d)", uint8(r))
}

// Refusal is a refused request: the HTTP status, the reason the log
// records, and a message for the caller.
type Refusal struct {
	Status  int
	Reason  Reason
	Message string
}

func (r *Refusal) Error() string { return r.Message }
