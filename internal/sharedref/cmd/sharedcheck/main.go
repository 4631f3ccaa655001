// Command sharedcheck prints one line when the project's shared material
// is not beside the checkout, saying what the tests did not compare and
// why; it prints nothing when the material is there. `make test` runs it
// after the tests: go test, given a list of packages, shows no skip
// message of a package that passes, so the skips of testenv.Shared alone
// would go unseen. With -require (make test-shared), the material's
// absence is an error instead: the comparisons are what is asked for.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/securestream/terraform-provider-securestream/internal/sharedref"
)

func main() {
	require := flag.Bool("require", false, "fail when the shared material is absent (the tests that compare with it would only skip)")
	flag.Parse()
	err := sharedref.Absent()
	switch {
	case err == nil:
	case errors.Is(err, sharedref.ErrAbsent) && *require:
		fmt.Fprintf(os.Stderr, "sharedcheck: %v, so the tests that compare with it would only skip\n", err)
		os.Exit(1)
	case errors.Is(err, sharedref.ErrAbsent):
		fmt.Printf("not compared: %s, because %v\n", sharedref.Uncompared, err)
	default:
		fmt.Fprintln(os.Stderr, "sharedcheck:", err)
		os.Exit(1)
	}
	if *require {
		// What testenv.Shared asks for, so that a SECURESTREAM_SHARED that
		// points nowhere fails here, once, rather than in every test.
		if _, err := sharedref.Path("reference/seed-blog-post.txt"); err != nil {
			fmt.Fprintln(os.Stderr, "sharedcheck:", err)
			os.Exit(1)
		}
	}
}
