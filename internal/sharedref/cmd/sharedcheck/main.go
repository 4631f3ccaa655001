// Command sharedcheck prints one line when the project's shared material
// is not beside the checkout, saying what the tests did not compare and
// why; it prints nothing when the material is there. `make test` runs it
// after the tests: go test, given a list of packages, shows no skip
// message of a package that passes, so the skips of testenv.Shared alone
// would go unseen.
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/securestream/terraform-provider-securestream/internal/sharedref"
)

func main() {
	err := sharedref.Absent()
	switch {
	case err == nil:
	case errors.Is(err, sharedref.ErrAbsent):
		fmt.Printf("not compared: %s, because %v\n", sharedref.Uncompared, err)
	default:
		fmt.Fprintln(os.Stderr, "sharedcheck:", err)
		os.Exit(1)
	}
}
