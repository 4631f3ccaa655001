package streamkey

import "slices"

// The package's enums (IPBinding, Reason) name their values in an array
// indexed by value; nameOf and valueOf read such an array both ways.

// nameOf is the name of v, or other for a value beyond the names.
func nameOf[E ~uint8](names []string, v E, other string) string {
	if int(v) < len(names) {
		return names[v]
	}
	return other
}

// valueOf is the value named s; ok is false when no value has that name.
func valueOf[E ~uint8](names []string, s string) (v E, ok bool) {
	i := slices.Index(names, s)
	if i < 0 {
		return 0, false
	}
	return E(i), true
}
