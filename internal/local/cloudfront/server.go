package cloudfront

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/cfruntime"
	"github.com/securestream/terraform-provider-securestream/internal/local/faults"
	"github.com/securestream/terraform-provider-securestream/internal/local/hostcheck"
)

// APIVersion is the CloudFront API version served.
const APIVersion = "2020-05-31"

// Defaults for Config.
const (
	DefaultAccountID    = "123456789012"
	DefaultMaxFunctions = 100
	// DefaultDeployDelay is how long a distribution stays InProgress
	// after a change unless Config says otherwise. CloudFront takes
	// minutes; a couple of seconds are enough for a client that does not
	// wait for Deployed to meet InProgress, and cost a session little.
	DefaultDeployDelay = 2 * time.Second
	// maxBody bounds a request body: the largest legal one, a function of
	// 40,960 bytes in base64, is far smaller.
	maxBody = 1 << 20
	// maxHeaderBytes is CloudFront's bound on a request's line and headers.
	maxHeaderBytes = 20480
)

// Config sets up a local CloudFront. The zero value behaves as AWS does
// where a client can tell: a change deploys for DefaultDeployDelay, and
// a publish of unchanged code is refused; InstantDeploy and
// LenientPublish opt out.
type Config struct {
	// AccountID goes into ARNs; empty means DefaultAccountID.
	AccountID string
	// DeployDelay is how long a distribution stays InProgress after a
	// change (its creation, an update, or a publish of a function it
	// runs); zero means DefaultDeployDelay. It is never shorter than
	// PropagationDelay: Deployed means every edge location serves the
	// change.
	DeployDelay time.Duration
	// InstantDeploy makes a distribution Deployed at once after a change
	// (DeployDelay ignored; PropagationDelay still counts), for tests and
	// sessions whose speed matters more than the wait.
	InstantDeploy bool
	// PropagationDelay is how long the edge may go on serving what was
	// there before a change, as CloudFront's edge locations learn it over
	// seconds: after a publish, the function's previous LIVE code; after
	// UpdateDistribution, the distribution's previous configuration (its
	// function associations among it). Meanwhile a function the edge may
	// still run cannot be deleted (FunctionInUse). Zero: the edge uses
	// every change at once. A new distribution, or a function's first
	// LIVE code, has nothing older and is served at once.
	PropagationDelay time.Duration
	// KVSPropagationDelay is how long the edge may go on reading a key
	// value store's contents from before a write (PutKey, DeleteKey,
	// UpdateKeys), as CloudFront's edge locations learn writes over
	// seconds (AWS publishes no figure; about 15 s was seen): cf.kvs()
	// reads the contents as of now minus the delay (spread as
	// PropagationSpread says). Zero, as for PropagationDelay: every write
	// is read at once.
	KVSPropagationDelay time.Duration
	// PropagationSpread makes each edge request stand for an edge
	// location of its own, which learns a change after a random part
	// (uniform) of PropagationDelay: during the window the old and the new
	// are served side by side, the new more often as time passes. Without
	// it every request gets the old until the whole delay has passed.
	PropagationSpread bool
	// Budget interrupts a function that runs longer (edge 503,
	// TestFunction error); zero means cfruntime.DefaultBudget.
	Budget time.Duration
	// UtilizationBase is the run time reported as ComputeUtilization 100;
	// zero means cfruntime.DefaultUtilizationBase.
	UtilizationBase time.Duration
	// MaxFunctions is the account's function quota; zero means 100.
	MaxFunctions int
	// LenientPublish accepts (200, a new LIVE ETag) a publish when the
	// DEVELOPMENT stage has not changed since the last one. Without it
	// such a publish is refused with 412 PreconditionFailed, as AWS was
	// seen to do (terraform-provider-aws #49572).
	LenientPublish bool
	// StateFile, when set, is loaded at start and rewritten after every
	// change, so that a local stack survives a restart.
	StateFile string
	// ViewerIPHeader, when set, names a request header (X-Forwarded-For
	// style: the first address counts) the edge takes viewer.ip from;
	// otherwise viewer.ip is the peer's address, as at CloudFront.
	ViewerIPHeader string
	// Host is the address listeners bind to; empty means 127.0.0.1.
	Host string
	// S3Endpoint is the URL of the S3 the edge fetches S3 origins from
	// (moto_server's, "http://127.0.0.1:5000"): an origin whose DomainName
	// is a bucket's domain name (<bucket>.s3.<region>.amazonaws.com or
	// <bucket>.s3.amazonaws.com) is fetched path-style from
	// <S3Endpoint>/<bucket>/<key>. Empty: such origins are fetched from
	// their DomainName, as any other.
	S3Endpoint string
	// Logf, when set, is told where each distribution's edge listens.
	Logf func(format string, args ...any)

	// now, when set, is the clock (tests of propagation).
	now func() time.Time
}

// Server is a local CloudFront: the control plane (Handler, Endpoint)
// and the edge (EdgeHandler, EdgeEndpoint, EdgeURL).
type Server struct {
	cfg Config

	mu        sync.RWMutex
	functions map[string]*function
	dists     map[string]*distribution
	oacs      map[string]*originAccessControl
	rhps      map[string]*responseHeadersPolicy
	kvs       map[string]*kvStore // key value stores by name
	kvsFail   map[string]error    // FailKVSReads, by store name
	faults    *faults.Engine
	listeners []*http.Server
	edgePorts map[string]*http.Server // distribution id → its own edge listener

	// Endpoint is the control plane's URL (BaseEndpoint for the SDK), set
	// by Listen.
	Endpoint string
	// EdgeEndpoint is the shared edge listener's URL; it picks the
	// distribution by Host: <id>.cloudfront.local.
	EdgeEndpoint string

	edge *edge
}

// New returns a local CloudFront with cfg, its state loaded from
// cfg.StateFile when that exists. It listens on nothing until Listen.
func New(cfg Config) (*Server, error) {
	if cfg.AccountID == "" {
		cfg.AccountID = DefaultAccountID
	}
	if cfg.MaxFunctions == 0 {
		cfg.MaxFunctions = DefaultMaxFunctions
	}
	if cfg.Host == "" {
		cfg.Host = "127.0.0.1"
	}
	switch {
	case cfg.DeployDelay < 0:
		return nil, fmt.Errorf("local cloudfront: DeployDelay %s: give zero (%s) or more, or InstantDeploy", cfg.DeployDelay, DefaultDeployDelay)
	case cfg.InstantDeploy:
		cfg.DeployDelay = 0
	case cfg.DeployDelay == 0:
		cfg.DeployDelay = DefaultDeployDelay
	}
	if cfg.KVSPropagationDelay < 0 {
		return nil, fmt.Errorf("local cloudfront: KVSPropagationDelay %s: give zero (writes read at once) or more", cfg.KVSPropagationDelay)
	}
	s := &Server{cfg: cfg, functions: map[string]*function{}, dists: map[string]*distribution{},
		oacs: map[string]*originAccessControl{}, rhps: map[string]*responseHeadersPolicy{}, kvs: map[string]*kvStore{}, edgePorts: map[string]*http.Server{}, faults: newFaults()}
	s.edge = newEdge(s)
	if err := s.load(); err != nil {
		return nil, err
	}
	return s, nil
}

// Listen serves the control plane on controlAddr and the shared edge on
// edgeAddr ("127.0.0.1:0" picks free ports), and gives every distribution
// an edge listener of its own (EdgeURL).
func (s *Server) Listen(controlAddr, edgeAddr string) error {
	api := newHTTPServer(s)
	api.ReadTimeout = time.Minute // a request body is small: a slow one is an attack
	control, err := s.serve(controlAddr, api)
	if err != nil {
		return fmt.Errorf("local cloudfront: control plane: %w", err)
	}
	s.Endpoint = "http://" + control
	edgeAt, err := s.serve(edgeAddr, newHTTPServer(s.edge.handler("")))
	if err != nil {
		return fmt.Errorf("local cloudfront: edge: %w", err)
	}
	s.EdgeEndpoint = "http://" + edgeAt
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range s.dists {
		s.openEdgePort(d)
	}
	return nil
}

// serve starts srv on addr and returns the address it listens on.
func (s *Server) serve(addr string, srv *http.Server) (string, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return "", err
	}
	go func() { _ = srv.Serve(l) }()
	s.mu.Lock()
	s.listeners = append(s.listeners, srv)
	s.mu.Unlock()
	return l.Addr().String(), nil
}

// newHTTPServer bounds what a client can make a listener wait for or
// hold: slow or huge headers get an error, not a stuck goroutine.
func newHTTPServer(h http.Handler) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: maxHeaderBytes}
}

// openEdgePort gives d an edge listener of its own, on the port it had
// before a restart when that is free. s.mu must be held.
func (s *Server) openEdgePort(d *distribution) {
	if s.Endpoint == "" || s.edgePorts[d.ID] != nil {
		return
	}
	l, err := net.Listen("tcp", net.JoinHostPort(s.cfg.Host, fmt.Sprint(d.Port)))
	if err != nil && d.Port != 0 {
		l, err = net.Listen("tcp", net.JoinHostPort(s.cfg.Host, "0"))
	}
	if err != nil {
		return // the shared edge listener still serves d by Host
	}
	if a, ok := l.Addr().(*net.TCPAddr); ok {
		d.Port = a.Port
	}
	srv := newHTTPServer(s.edge.handler(d.ID))
	s.edgePorts[d.ID] = srv
	go func() { _ = srv.Serve(l) }()
	if s.cfg.Logf != nil {
		s.cfg.Logf("distribution %s (%s) is served at http://%s", d.ID, d.Domain, l.Addr())
	}
}

func (s *Server) closeEdgePort(id string) {
	if srv := s.edgePorts[id]; srv != nil {
		_ = srv.Close()
		delete(s.edgePorts, id)
	}
}

// EdgeURL returns the URL of the edge listener of distribution id (empty
// if the distribution does not exist or the server is not listening).
func (s *Server) EdgeURL(id string) string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	d := s.dists[id]
	if d == nil || s.edgePorts[id] == nil {
		return ""
	}
	return fmt.Sprintf("http://%s", net.JoinHostPort(s.cfg.Host, fmt.Sprint(d.Port)))
}

// Close stops every listener.
func (s *Server) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []error
	for _, srv := range s.listeners {
		errs = append(errs, srv.Close())
	}
	for id := range s.edgePorts {
		s.closeEdgePort(id)
	}
	s.listeners = nil
	return errors.Join(errs...)
}

func (s *Server) runOptions() cfruntime.Options {
	return cfruntime.Options{Budget: s.cfg.Budget, UtilizationBase: s.cfg.UtilizationBase}
}

// call is one control-plane request.
type call struct {
	w         http.ResponseWriter
	r         *http.Request
	op        string
	arg       string // the function name or distribution id in the path
	requestID string
}

// ServeHTTP serves the control plane.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	requestID := newRequestID()
	w.Header()["x-amzn-RequestId"] = []string{requestID}
	// It answers functions' code, and so their keys: to this machine's
	// clients only, never to a web page that rebinds a name to loopback.
	if !hostcheck.Loopback(r.Host) {
		writeError(w, errAccessDenied("local cloudfront: "+hostcheck.Refused(r.Host, "loopback names (127.0.0.1, localhost, ::1)")), requestID)
		return
	}
	// The cloudfront-keyvaluestore data plane, on the same listener: its
	// paths (/key-value-stores/{KvsARN}...) are not the control plane's.
	if strings.HasPrefix(r.URL.Path, kvsDataPrefix) {
		s.serveKVSData(w, r) // x-amzn-RequestId is set above
		return
	}
	if strings.HasPrefix(r.URL.Path, adminPrefix) {
		s.serveAdmin(w, r)
		return
	}
	op, arg, h := matchQuery(r.Method, r.URL.EscapedPath(), r.URL.Query())
	if h == nil {
		writeError(w, errUnsupportedOperation(r.Method, r.URL.Path), requestID)
		return
	}
	errs := apiErrors{
		write: func(w http.ResponseWriter, e *apiError) { writeError(w, e, requestID) },
		fault: func(f *faults.Fault) *apiError {
			return &apiError{Status: f.HTTPStatus(), Code: f.Code, Message: f.Message}
		},
		tooLarge: errBodyTooLarge,
		internal: errInternal,
	}
	s.serveCall(w, r, op, errs, func(w http.ResponseWriter) error {
		return h(s, &call{w: w, r: r, op: op, arg: arg, requestID: requestID})
	})
}

// apiErrors is how one API of the listener answers errors: the control
// plane's XML (writeError), the data plane's restJson1 (writeKVSError).
type apiErrors struct {
	write func(http.ResponseWriter, *apiError)
	// fault is the error an injected fault answers.
	fault func(*faults.Fault) *apiError
	// tooLarge is the error of a request body over maxBody.
	tooLarge func(op string) *apiError
	// internal is the error of a handler's error that is no *apiError.
	internal func(error) *apiError
}

// serveCall runs handle, the operation op of r, with the request body
// bounded by maxBody, the answer to a request with a body settled
// (settleWriter), and op's injected faults: a fault answers instead of the
// call or, Lost, lets the call take effect and answers instead of its
// answer. handle writes its answer to the writer it is given; its error is
// answered as errs says.
func (s *Server) serveCall(w http.ResponseWriter, r *http.Request, op string, errs apiErrors, handle func(http.ResponseWriter) error) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if r.ContentLength != 0 {
		w = &settleWriter{ResponseWriter: w}
	}
	answer := w
	hit := s.faults.Record(op, []byte(r.URL.Path))
	// The call goes on when its client gives up during a delay, as at
	// CloudFront, which has the request by then.
	_ = hit.Wait(r.Context())
	var fault *apiError
	if f := hit.Fault; f != nil {
		fault = errs.fault(f)
		if !f.Lost {
			errs.write(w, fault)
			return
		}
		// The call takes effect, and its answer is lost on the way back:
		// the client sees the fault instead.
		answer = faults.Discard()
	}
	lost := fault != nil
	if err := handle(answer); err != nil && !lost {
		var ae *apiError
		var mbe *http.MaxBytesError
		switch {
		case errors.As(err, &ae):
		case errors.As(err, &mbe):
			ae = errs.tooLarge(op)
		default:
			ae = errs.internal(err)
		}
		errs.write(w, ae)
	}
	if lost {
		errs.write(w, fault)
	}
}

var etagRE = regexp.MustCompile(`^[A-Z0-9]{1,64}$`)

// ifMatch returns the If-Match header, which must be there.
func (c *call) ifMatch() (string, error) {
	v := strings.TrimSpace(c.r.Header.Get("If-Match"))
	if !etagRE.MatchString(v) {
		return "", errInvalidIfMatchVersion()
	}
	return v, nil
}

// ifMatchBody returns the If-Match header and the request document
// rooted at root decoded into a new T; a bad If-Match is reported before
// a bad document.
func ifMatchBody[T any](c *call, root string) (string, *T, error) {
	etag, err := c.ifMatch()
	if err != nil {
		return "", nil, err
	}
	v, _, err := decodeInto[T](c.r.Body, root)
	return etag, v, err
}

func checkETag(got, want string) error {
	if got != want {
		return errPreconditionFailed()
	}
	return nil
}

// timestamp renders t as CloudFront does: UTC with a literal Z, which is
// all the SDK's parser takes.
func timestamp(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

// settleDelay is how long the answer to a request with a body waits
// after the body was read. aws-sdk-go-v2 closes the request body as soon
// as the response arrives, and net/http's transport, if it had not yet
// finished its own end-of-body check, then fails the write and closes the
// connection, cutting off a response larger than its 4 KiB read buffer
// (a distribution with CloudFront's defaults is): the SDK retries, and a
// create that succeeded is sent again (DistributionAlreadyExists). An
// answer microseconds after the last byte happens only on loopback;
// CloudFront's answers take a network round trip.
const settleDelay = 2 * time.Millisecond

// settleWriter delays the response's header by settleDelay.
type settleWriter struct {
	http.ResponseWriter
	done bool
}

func (w *settleWriter) WriteHeader(status int) {
	if !w.done {
		w.done = true
		time.Sleep(settleDelay)
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *settleWriter) Write(b []byte) (int, error) {
	if !w.done {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}
