// Command fakerie stands in for aws-lambda-rie in the local API's unit
// tests: it listens where the emulator would and answers every invocation
// with the environment it was started with, so that a test sees exactly
// what the local API handed the function's process. With FAKERIE_GATE set
// (inherited from the test), each invocation waits until that file exists,
// so that a test holds invocations in flight as long as it needs. With
// SECURESTREAM_FAKERIE_ECHO set (a function variable, which the local API
// passes on), it answers with the event it was invoked with instead.
package main

import (
	"encoding/json"
	"flag"
	"io"
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
	gate, echo := os.Getenv("FAKERIE_GATE"), os.Getenv("SECURESTREAM_FAKERIE_ECHO") != ""
	log.Fatal(http.ListenAndServe(*addr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for gate != "" {
			if _, err := os.Stat(gate); err == nil {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		if echo {
			event, _ := io.ReadAll(r.Body)
			b, _ := json.Marshal(map[string]any{"statusCode": 200, "body": string(event)})
			_, _ = w.Write(b)
			return
		}
		_, _ = w.Write(answer)
	})))
}
