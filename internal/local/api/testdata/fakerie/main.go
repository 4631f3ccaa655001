// Command fakerie stands in for aws-lambda-rie in the local API's unit
// tests: it listens where the emulator would and answers every invocation
// with the environment it was started with, so that a test sees exactly
// what the local API handed the function's process. With FAKERIE_GATE set
// (inherited from the test), each invocation waits until that file exists,
// so that a test holds invocations in flight as long as it needs.
package main

import (
	"encoding/json"
	"flag"
	"log"
	"net/http"
	"os"
	"time"
)

func main() {
	addr := flag.String("runtime-interface-emulator-address", "", "")
	flag.String("runtime-api-address", "", "")
	flag.String("log-level", "", "")
	flag.Parse()
	env, err := json.Marshal(os.Environ())
	if err != nil {
		log.Fatal(err)
	}
	answer, err := json.Marshal(map[string]any{"statusCode": 200, "headers": map[string]string{"content-type": "application/json"}, "body": string(env)})
	if err != nil {
		log.Fatal(err)
	}
	gate := os.Getenv("FAKERIE_GATE")
	log.Fatal(http.ListenAndServe(*addr, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		for gate != "" {
			if _, err := os.Stat(gate); err == nil {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		_, _ = w.Write(answer)
	})))
}
