package cloudfront

import (
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cf "github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
)

// fakeClock is the server's clock in the propagation tests, which move
// time instead of sleeping.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock { return &fakeClock{t: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)} }

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// versionCode is a function that answers its version, so that the edge
// shows which code ran.
func versionCode(v string) string {
	return `function handler(event) { return {statusCode: 200, body: '` + v + `'}; }`
}

// propStack is a local CloudFront on a fake clock with a function and a
// distribution in front of an origin.
type propStack struct {
	s      *Server
	c      *cf.Client
	clock  *fakeClock
	origin *origin
	arn    string
	dist   string
}

// startProp starts cfg on a fake clock with the function "f" (LIVE code
// v1) and a distribution that runs it on every behavior when attached.
func startProp(t *testing.T, cfg Config, attached bool) *propStack {
	t.Helper()
	ps := &propStack{clock: newClock(), origin: startOrigin(t)}
	cfg.now = ps.clock.now
	ps.s = start(t, cfg)
	ps.c = sdk(ps.s)
	ps.arn = createLive(t, ps.c, "f", versionCode("v1"))
	host, port, _ := net.SplitHostPort(strings.TrimPrefix(ps.origin.URL, "http://"))
	p, _ := strconv.Atoi(port)
	fn := ""
	if attached {
		fn = ps.arn
	}
	out := createDist(t, ps.c, distConfig("r", host, int32(p), fn))
	ps.dist = *out.Distribution.Id
	return ps
}

// served returns what the edge answers for a request: the version of the
// code that ran, or "origin" when no function ran.
func (ps *propStack) served(t *testing.T) string {
	t.Helper()
	resp, body := get(t, ps.s.EdgeURL(ps.dist)+"/media/seg1.ts", nil)
	if resp.Header.Get("X-Origin-Path") != "" {
		return "origin"
	}
	if resp.StatusCode != 200 {
		t.Fatalf("edge: %d %s", resp.StatusCode, resp.Header.Get("X-Local-Error"))
	}
	return string(body)
}

func (ps *propStack) wantServed(t *testing.T, when, want string) {
	t.Helper()
	for range 5 {
		if got := ps.served(t); got != want {
			t.Fatalf("%s: the edge served %s; want %s", when, got, want)
		}
	}
}

// publish puts code in DEVELOPMENT and publishes it.
func (ps *propStack) publish(t *testing.T, code string) {
	t.Helper()
	d, err := ps.c.DescribeFunction(ctx, &cf.DescribeFunctionInput{Name: aws.String("f")})
	if err != nil {
		t.Fatal(err)
	}
	up, err := ps.c.UpdateFunction(ctx, &cf.UpdateFunctionInput{Name: aws.String("f"), IfMatch: d.ETag, FunctionCode: []byte(code),
		FunctionConfig: &types.FunctionConfig{Comment: aws.String("test"), Runtime: types.FunctionRuntimeCloudfrontJs20}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ps.c.PublishFunction(ctx, &cf.PublishFunctionInput{Name: aws.String("f"), IfMatch: up.ETag}); err != nil {
		t.Fatal(err)
	}
}

func (ps *propStack) status(t *testing.T) string {
	t.Helper()
	got, err := ps.c.GetDistribution(ctx, &cf.GetDistributionInput{Id: aws.String(ps.dist)})
	if err != nil {
		t.Fatal(err)
	}
	return *got.Distribution.Status
}

// setFunction attaches the function to, or detaches it from, every
// behavior of the distribution.
func (ps *propStack) setFunction(t *testing.T, attached bool) {
	t.Helper()
	got, err := ps.c.GetDistributionConfig(ctx, &cf.GetDistributionConfigInput{Id: aws.String(ps.dist)})
	if err != nil {
		t.Fatal(err)
	}
	assoc := &types.FunctionAssociations{Quantity: aws.Int32(0)}
	if attached {
		assoc = &types.FunctionAssociations{Quantity: aws.Int32(1), Items: []types.FunctionAssociation{
			{FunctionARN: aws.String(ps.arn), EventType: types.EventTypeViewerRequest}}}
	}
	dc := got.DistributionConfig
	dc.DefaultCacheBehavior.FunctionAssociations = assoc
	dc.CacheBehaviors.Items[0].FunctionAssociations = assoc
	if _, err := ps.c.UpdateDistribution(ctx, &cf.UpdateDistributionInput{Id: aws.String(ps.dist), IfMatch: got.ETag, DistributionConfig: dc}); err != nil {
		t.Fatal(err)
	}
}

// After a publish the edge runs the previous LIVE code until the delay
// has passed, then the new; a publish inside the window waits its own
// delay; the distribution is Deployed only once the edge serves the change.
func TestPropagationOfAPublish(t *testing.T) {
	const delay = 10 * time.Second
	ps := startProp(t, Config{PropagationDelay: delay}, true)
	ps.wantServed(t, "the first LIVE code", "v1") // nothing older: at once
	ps.clock.advance(delay)

	ps.publish(t, versionCode("v2"))
	ps.wantServed(t, "just after the publish", "v1")
	if got := ps.status(t); got != "InProgress" {
		t.Fatalf("during the window the distribution is %s; want InProgress", got)
	}
	// The control plane has the new code at once.
	live, err := ps.c.GetFunction(ctx, &cf.GetFunctionInput{Name: aws.String("f"), Stage: types.FunctionStageLive})
	if err != nil || string(live.FunctionCode) != versionCode("v2") {
		t.Fatalf("GetFunction LIVE: %v %s", err, live.FunctionCode)
	}
	ps.clock.advance(delay / 2)
	ps.wantServed(t, "half way", "v1")
	ps.publish(t, versionCode("v3")) // at delay/2 into v2's window
	ps.clock.advance(delay/2 - time.Millisecond)
	ps.wantServed(t, "just before v2's delay ends", "v1")
	ps.clock.advance(time.Millisecond)
	ps.wantServed(t, "once v2's delay ended", "v2")
	if got := ps.status(t); got != "InProgress" {
		t.Fatalf("while v3 propagates the distribution is %s; want InProgress", got)
	}
	ps.clock.advance(delay / 2)
	ps.wantServed(t, "once v3's delay ended", "v3")
	if got := ps.status(t); got != "Deployed" {
		t.Fatalf("after the window the distribution is %s; want Deployed", got)
	}
	ps.s.mu.RLock()
	kept := len(ps.s.functions["f"].Earlier)
	ps.s.mu.RUnlock()
	ps.publish(t, versionCode("v4"))
	ps.s.mu.RLock()
	after := len(ps.s.functions["f"].Earlier)
	ps.s.mu.RUnlock()
	if after != 1 {
		t.Fatalf("after a publish the function keeps %d earlier LIVE stages (%d before); want 1: v3, the others are learned everywhere", after, kept)
	}
}

// Without a delay every change is served at once and nothing is kept.
func TestPropagationNone(t *testing.T) {
	ps := startProp(t, Config{}, true)
	ps.publish(t, versionCode("v2"))
	ps.wantServed(t, "after a publish", "v2")
	ps.setFunction(t, false)
	ps.wantServed(t, "after the detach", "origin")
	if _, err := ps.c.DeleteFunction(ctx, &cf.DeleteFunctionInput{Name: aws.String("f"), IfMatch: describeETag(t, ps.c, "f")}); err != nil {
		t.Fatalf("deleting the detached function: %v", err)
	}
	ps.s.mu.RLock()
	n := len(ps.s.dists[ps.dist].Earlier)
	ps.s.mu.RUnlock()
	if n != 0 {
		t.Fatalf("the distribution keeps %d earlier configurations; want none without a delay", n)
	}
}

func describeETag(t *testing.T, c *cf.Client, name string) *string {
	t.Helper()
	d, err := c.DescribeFunction(ctx, &cf.DescribeFunctionInput{Name: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	return d.ETag
}

// An association reaches the edge after the delay as well: the requests
// pass unchecked until then; once detached, the function stays in use
// (FunctionInUse) as long as the edge may still run it.
func TestPropagationOfAnAssociation(t *testing.T) {
	const delay = 4 * time.Second
	ps := startProp(t, Config{PropagationDelay: delay, DeployDelay: time.Second}, false)
	ps.wantServed(t, "no function", "origin")
	ps.setFunction(t, true)
	ps.wantServed(t, "just after the attach", "origin")
	ps.clock.advance(delay - time.Millisecond)
	ps.wantServed(t, "just before the delay ends", "origin")
	if got := ps.status(t); got != "InProgress" {
		t.Fatalf("the distribution is %s before the delay (longer than DeployDelay) ends; want InProgress", got)
	}
	ps.clock.advance(time.Millisecond)
	ps.wantServed(t, "once the attach propagated", "v1")

	ps.setFunction(t, false)
	ps.wantServed(t, "just after the detach", "v1")
	_, err := ps.c.DeleteFunction(ctx, &cf.DeleteFunctionInput{Name: aws.String("f"), IfMatch: describeETag(t, ps.c, "f")})
	wantCode(t, err, "FunctionInUse")
	if !strings.Contains(err.Error(), ps.dist) {
		t.Fatalf("FunctionInUse does not name the distribution %s: %v", ps.dist, err)
	}
	ps.clock.advance(delay)
	ps.wantServed(t, "once the detach propagated", "origin")
	if got := ps.status(t); got != "Deployed" {
		t.Fatalf("after the window the distribution is %s; want Deployed", got)
	}
	if _, err := ps.c.DeleteFunction(ctx, &cf.DeleteFunctionInput{Name: aws.String("f"), IfMatch: describeETag(t, ps.c, "f")}); err != nil {
		t.Fatalf("deleting the function once no edge runs it: %v", err)
	}
}

// With PropagationSpread each request stands for an edge location of its
// own: half way through the window both codes are served; once it has
// passed, only the new.
func TestPropagationSpread(t *testing.T) {
	const delay = 10 * time.Second
	ps := startProp(t, Config{PropagationDelay: delay, PropagationSpread: true}, true)
	ps.clock.advance(delay)
	ps.publish(t, versionCode("v2"))
	ps.clock.advance(delay / 2)
	seen := map[string]int{}
	for range 200 {
		seen[ps.served(t)]++
	}
	// Each of the 200 is v1 or v2 with even odds: missing one has a
	// probability of 2^-199.
	if seen["v1"] == 0 || seen["v2"] == 0 || seen["v1"]+seen["v2"] != 200 {
		t.Fatalf("half way through the window the edge served %v; want v1 and v2 both", seen)
	}
	ps.clock.advance(delay / 2)
	ps.wantServed(t, "once the delay ended", "v2")
}

// The state file keeps what is propagating: after a restart inside the
// window the edge still serves the previous code and configuration.
func TestPropagationStateFile(t *testing.T) {
	const delay = 10 * time.Second
	file := filepath.Join(t.TempDir(), "state.json")
	ps := startProp(t, Config{PropagationDelay: delay, StateFile: file}, true)
	ps.clock.advance(delay)
	ps.publish(t, versionCode("v2"))
	ps.clock.advance(delay / 2)
	ps.setFunction(t, false)
	ps.wantServed(t, "before the restart", "v1")
	if err := ps.s.Close(); err != nil {
		t.Fatal(err)
	}

	ps.s = start(t, Config{PropagationDelay: delay, StateFile: file, now: ps.clock.now})
	ps.c = sdk(ps.s)
	ps.wantServed(t, "after the restart", "v1")
	ps.clock.advance(delay / 2)
	ps.wantServed(t, "once the publish propagated", "v2")
	ps.clock.advance(delay / 2)
	ps.wantServed(t, "once the detach propagated", "origin")
}

// A lost response: the call takes effect, the client gets the error, and
// the SDK's retry meets the change already made.
func TestFaultLostResponse(t *testing.T) {
	s := start(t, Config{})
	c := sdk(s)
	s.Lose("CreateFunction", 1, "ServiceUnavailable")
	before := s.Calls("CreateFunction")
	_, err := c.CreateFunction(ctx, &cf.CreateFunctionInput{Name: aws.String("f"), FunctionCode: []byte(testCode),
		FunctionConfig: &types.FunctionConfig{Comment: aws.String("test"), Runtime: types.FunctionRuntimeCloudfrontJs20}})
	wantCode(t, err, "FunctionAlreadyExists") // the SDK retried the 503
	if n := s.Calls("CreateFunction") - before; n != 2 {
		t.Fatalf("%d calls of CreateFunction; want 2 (the lost one and the SDK's retry)", n)
	}
	d, err := c.DescribeFunction(ctx, &cf.DescribeFunctionInput{Name: aws.String("f")})
	if err != nil {
		t.Fatalf("the lost CreateFunction did not take effect: %v", err)
	}

	// The admin route takes "lost" too: a publish made, though refused.
	resp, _ := raw(t, s, "POST", "/_local/faults", nil, `{"op":"PublishFunction","nth":1,"code":"AccessDenied","lost":true}`)
	if resp.StatusCode != 204 {
		t.Fatalf("admin route: %d", resp.StatusCode)
	}
	_, err = c.PublishFunction(ctx, &cf.PublishFunctionInput{Name: aws.String("f"), IfMatch: d.ETag})
	wantCode(t, err, "AccessDenied") // not retried
	if _, err := c.DescribeFunction(ctx, &cf.DescribeFunctionInput{Name: aws.String("f"), Stage: types.FunctionStageLive}); err != nil {
		t.Fatalf("the lost PublishFunction did not take effect: %v", err)
	}
	s.ClearFaults()

	// A lost DeleteFunction: the retry finds nothing to delete.
	s.Lose("DeleteFunction", 1, "InternalError")
	_, err = c.DeleteFunction(ctx, &cf.DeleteFunctionInput{Name: aws.String("f"), IfMatch: d.ETag})
	wantCode(t, err, "NoSuchFunctionExists")
	list, err := c.ListFunctions(ctx, &cf.ListFunctionsInput{})
	if err != nil || aws.ToInt32(list.FunctionList.Quantity) != 0 {
		t.Fatalf("after the lost delete: %v, %d functions; want none", err, aws.ToInt32(list.FunctionList.Quantity))
	}
}
