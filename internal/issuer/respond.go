package issuer

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// respond writes an outcome as the response, with CORS headers for an
// allowed origin. Error bodies are {"error": <code>, "message": <why>}.
func (is *Issuer) respond(req *request, o *outcome) *response {
	h := map[string]string{"content-type": "application/json", "cache-control": "no-store"}
	for k, v := range o.headers {
		h[k] = v
	}
	if origin := req.headers["origin"]; origin != "" {
		for _, allowed := range is.cfg.CORSOrigins {
			if allowed == "*" || strings.EqualFold(allowed, origin) {
				h["access-control-allow-origin"] = origin
				h["vary"] = "Origin"
				h["access-control-expose-headers"] = "content-type"
				if req.method == "OPTIONS" {
					h["access-control-allow-methods"] = "GET, POST, OPTIONS"
					if _, admin := adminRoute(req); admin {
						h["access-control-allow-methods"] = "POST, DELETE, OPTIONS"
					}
					h["access-control-allow-headers"] = "authorization, content-type"
					h["access-control-max-age"] = "600"
				}
				break
			}
		}
	}
	var body []byte
	switch {
	case o.status == 204:
		delete(h, "content-type")
	case o.body != nil:
		body, _ = json.Marshal(o.body)
	default:
		msg := o.message
		if msg == "" {
			msg = o.reason
		}
		body, _ = json.Marshal(map[string]string{"error": o.reason, "message": msg})
	}
	return &response{StatusCode: o.status, Headers: h, Body: string(body)}
}

// log writes one JSON line per request. It never writes a token, a
// secret, the playback URL's query or the caller's credentials.
func (is *Issuer) log(start time.Time, req *request, status int, reason, kid, sid string, notes ...string) {
	outcome := "refused"
	switch {
	case status == 200 && (reason == "revoked" || reason == "unrevoked"):
		outcome = reason // an admin route's write
	case status == 200:
		outcome = "issued"
	case status == 204:
		outcome = "preflight"
	case status >= 500:
		outcome = "failed"
	}
	line := map[string]any{
		"time":       start.UTC().Format(time.RFC3339Nano),
		"level":      "info",
		"status":     status,
		"outcome":    outcome,
		"reason":     reason,
		"latency_ms": float64(is.Now().Sub(start).Microseconds()) / 1000,
	}
	if status >= 500 {
		line["level"] = "error"
	}
	if req != nil {
		line["request_id"], line["event"], line["method"] = req.requestID, req.flavour, req.method
		for k, v := range req.logFields {
			line[k] = v
		}
	}
	if kid != "" {
		line["kid"] = kid
	}
	if sid != "" {
		line["sid"] = sid
	}
	if len(notes) > 0 {
		line["notes"] = notes
	}
	b, _ := json.Marshal(line)
	fmt.Fprintf(is.Log, "%s\n", b)
}
