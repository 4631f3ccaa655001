package issuer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
	"time"

	kvs "github.com/aws/aws-sdk-go-v2/service/cloudfrontkeyvaluestore"

	"github.com/securestream/terraform-provider-securestream/internal/issuer/config"
	"github.com/securestream/terraform-provider-securestream/internal/keyring"
)

// The pace at which a container whose cold start failed on a KMS call
// tries again: the first retry after firstRetry, then twice as long each
// time up to maxRetry, so that a throttled KMS is not called harder by the
// containers waiting for it.
const (
	firstRetry = time.Second
	maxRetry   = time.Minute
	// retryTimeout bounds a retry made while a request waits for it.
	retryTimeout = 3 * time.Second
)

// Container is what one Lambda container serves. Its cold start builds
// the issuer with New; when that fails, the container does not exit (the
// caller would get API Gateway's bare 502 or 500 with no CORS headers and
// no reason) but answers every request 500 "unavailable", logging why,
// and mints nothing: a key is only ever minted by an issuer whose ring KMS
// opened whole. A failure of a KMS call (throttled, an internal error, a
// key disabled or a grant missing for a while) is retried at the next
// request once the backoff has passed, so the container recovers when KMS
// does; any other failure (a ring that cannot sign) waits for a new
// deployment, which starts new containers.
type Container struct {
	cfg *config.Config
	kms keyring.Decrypter
	// KVS is the revocation store's client, given to the issuer.
	KVS *kvs.Client
	// Now and Log are the clock and the log output; tests replace them.
	Now func() time.Time
	Log io.Writer

	mu      sync.Mutex
	is      *Issuer
	err     error         // why the issuer is not built
	retryAt time.Time     // zero: no retry (the failure is not KMS's)
	backoff time.Duration // the wait after the next failure
}

// NewContainer is a container for cfg, not started yet.
func NewContainer(cfg *config.Config, kms keyring.Decrypter) *Container {
	return &Container{cfg: cfg, kms: kms, Now: time.Now, Log: os.Stdout, backoff: firstRetry}
}

// Start builds the issuer: the cold start. It never fails: a failure is
// logged, and answered to each request until it passes.
func (c *Container) Start(ctx context.Context) *Container {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.build(ctx)
	return c
}

// build tries New once; c.mu is held.
func (c *Container) build(ctx context.Context) {
	is, err := New(ctx, c.cfg, c.kms)
	if err == nil {
		is.Now, is.Log, is.KVS = c.Now, c.Log, c.KVS
		if c.err != nil {
			c.logLine("info", "recovered", "the key ring is open: the issuer serves", nil)
		}
		c.is, c.err = is, nil
		return
	}
	c.err = err
	var call *keyring.CallError
	retry := ""
	if errors.As(err, &call) {
		c.retryAt = c.Now().Add(c.backoff)
		retry = c.backoff.String()
		c.backoff = min(2*c.backoff, maxRetry)
	} else {
		c.retryAt = time.Time{}
	}
	fields := map[string]any{"error": err.Error()}
	if retry != "" {
		fields["retry_in"] = retry
	} else {
		fields["fix"] = "the ring in SECURESTREAM_KEYRING cannot serve: deploy a valid one (apply the securestream_issuer again)"
	}
	c.logLine("error", "cold_start_failed", "the issuer cannot start: every request is answered 500 until it does", fields)
}

// Handle answers an event as Issuer.Handle does, once the issuer is
// built; until then, 500 (or 204 to a CORS preflight).
func (c *Container) Handle(ctx context.Context, raw json.RawMessage) (*response, error) {
	is := c.ready(ctx)
	if is != nil {
		return is.Handle(ctx, raw)
	}
	start := c.Now()
	stub := &Issuer{cfg: c.cfg, Now: c.Now, Log: c.Log} // answers and logs; it has no ring and mints nothing
	req, err := parseEvent(raw)
	if err != nil {
		stub.log(start, nil, 400, "not_http", "", "")
		return nil, err
	}
	if req.method == "OPTIONS" {
		stub.log(start, req, 204, "preflight", "", "")
		return stub.respond(req, &outcome{status: 204, reason: "preflight"}), nil
	}
	c.mu.Lock()
	o := &outcome{status: 500, reason: "unavailable",
		message: "the issuer cannot open its key ring yet; the log has the reason (request id " + req.requestID + ")"}
	if !c.retryAt.IsZero() {
		wait := max(c.retryAt.Sub(start), time.Second)
		o.headers = map[string]string{"retry-after": strconv.Itoa(int((wait + time.Second - 1) / time.Second))}
		o.message = "the issuer cannot open its key ring yet; try again shortly"
	}
	c.mu.Unlock()
	stub.log(start, req, o.status, o.reason, "", "", "cold_start_failed")
	return stub.respond(req, o), nil
}

// ready returns the issuer, building it again first when a retry is due.
func (c *Container) ready(ctx context.Context) *Issuer {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.is == nil && !c.retryAt.IsZero() && !c.Now().Before(c.retryAt) {
		ctx, cancel := context.WithTimeout(ctx, retryTimeout)
		c.build(ctx)
		cancel()
	}
	return c.is
}

// Err is why the issuer is not built, nil once it is.
func (c *Container) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// logLine writes one JSON line about the container (never a secret: the
// errors name variables, calls and keys, not plaintext).
func (c *Container) logLine(level, startup, message string, fields map[string]any) {
	line := map[string]any{"time": c.Now().UTC().Format(time.RFC3339Nano), "level": level, "startup": startup, "message": message}
	for k, v := range fields {
		line[k] = v
	}
	b, _ := json.Marshal(line)
	fmt.Fprintf(c.Log, "%s\n", b)
}
