// Command fakerie stands in for aws-lambda-rie in the local API's unit
// tests: it listens where the emulator would and answers every invocation
// with the environment it was started with, so that a test sees exactly
// what the local API handed the function's process.
package main

import (
	"encoding/json"
	"flag"
	"log"
	"net/http"
	"os"
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
	log.Fatal(http.ListenAndServe(*addr, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write(answer)
	})))
}
