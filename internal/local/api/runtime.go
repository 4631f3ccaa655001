package api

import (
	"archive/zip"
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	goruntime "runtime"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/securestream/terraform-provider-securestream/internal/issuerpkg"
	"github.com/securestream/terraform-provider-securestream/internal/local/emulators"
)

// runtime is an instance of a function kept warm under aws-lambda-rie.
type runtime struct {
	dir string
	rie *emulators.RIE
	mu  sync.Mutex // the emulator runs one invocation at a time, as Lambda runs one per instance
}

func (rt *runtime) invoke(ctx context.Context, event []byte) ([]byte, error) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return rt.rie.Call(ctx, event)
}

func (rt *runtime) output() string { return rt.rie.Output() }

func (rt *runtime) stop() {
	rt.rie.Stop()
	_ = os.RemoveAll(rt.dir)
}

// DefaultMaxConcurrency is how many instances of a function the local API
// runs at once when the function reserves no concurrency and
// Options.MaxConcurrency is 0.
const DefaultMaxConcurrency = 10

// errRetired is acquire's error when the function changed meanwhile: the
// caller asks runtimes.get again.
var errRetired = errors.New("the function changed while the request waited for it")

// errThrottled is get's error for a function whose reserved concurrency
// is 0: Lambda throttles every invocation of it.
type errThrottled struct{ name string }

func (e errThrottled) Error() string {
	return fmt.Sprintf("function %s reserves a concurrency of 0, so Lambda throttles every invocation of it (TooManyRequestsException): "+
		"set reserved_concurrency above 0, or null", e.name)
}

// pool is a function's warm instances, each a process under aws-lambda-rie
// that runs one invocation at a time, as a Lambda execution environment
// does. When every instance is busy it starts another, up to limit, as
// Lambda scales out; beyond, a request waits for an instance to be free.
type pool struct {
	key   string // what it was started from: code, environment, limit
	limit int
	start func(instance int) (*runtime, error)

	mu       sync.Mutex
	idle     []*runtime
	all      []*runtime
	starting int
	retired  bool
	changed  chan struct{} // closed, and replaced, when an instance frees or a start ends
}

func newPool(key string, limit int, start func(int) (*runtime, error)) *pool {
	return &pool{key: key, limit: limit, start: start, changed: make(chan struct{})}
}

// signal wakes the requests waiting for an instance. p.mu must be held.
func (p *pool) signal() {
	close(p.changed)
	p.changed = make(chan struct{})
}

// acquire returns an idle instance, or starts one when all are busy and
// the limit allows, or waits for one to be free; release gives it back.
func (p *pool) acquire(ctx context.Context) (*runtime, error) {
	for {
		p.mu.Lock()
		if p.retired {
			p.mu.Unlock()
			return nil, errRetired
		}
		if n := len(p.idle); n > 0 {
			rt := p.idle[n-1]
			p.idle = p.idle[:n-1]
			p.mu.Unlock()
			return rt, nil
		}
		if len(p.all)+p.starting < p.limit {
			p.starting++
			instance := len(p.all) + p.starting
			p.mu.Unlock()
			rt, err := p.start(instance)
			p.mu.Lock()
			defer p.mu.Unlock()
			p.starting--
			p.signal()
			if err != nil {
				return nil, err
			}
			if p.retired {
				rt.stop()
				return nil, errRetired
			}
			p.all = append(p.all, rt)
			return rt, nil
		}
		wait := p.changed
		p.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// release gives back an instance that acquire returned.
func (p *pool) release(rt *runtime) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.retired {
		rt.stop() // again, if retire(true) stopped it: harmless
		p.all = slices.DeleteFunc(p.all, func(r *runtime) bool { return r == rt })
		return
	}
	p.idle = append(p.idle, rt)
	p.signal()
}

// retire stops the idle instances now and the busy ones when released,
// after their invocation, when the function changed; all of them now when
// the local API stops (all).
func (p *pool) retire(all bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.retired = true
	stop := p.idle
	if all {
		stop = p.all
	}
	for _, rt := range stop {
		rt.stop()
	}
	p.all = slices.DeleteFunc(p.all, func(r *runtime) bool { return slices.Contains(stop, r) })
	p.idle = nil
	p.signal()
}

// output is what the instances have printed, one after the other.
func (p *pool) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var outs []string
	for _, rt := range p.all {
		outs = append(outs, rt.output())
	}
	return strings.Join(outs, "\n")
}

// runtimes are the warm functions, by name.
type runtimes struct {
	opts Options
	mu   sync.Mutex
	warm map[string]*pool
	// crossLogged names the functions of another architecture whose run
	// of this machine's package has been logged, once each.
	crossLogged map[string]bool
}

// get returns the function's pool of instances, made anew (the old one
// retired) when its code, environment or reserved concurrency changed
// since, from the function's configuration in moto.
func (rs *runtimes) get(ctx context.Context, client *lambda.Client, name string) (*pool, error) {
	fn, err := client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)})
	if err != nil {
		return nil, fmt.Errorf("lambda GetFunction %s: %w", name, err)
	}
	cfg := fn.Configuration
	arch := "x86_64"
	if len(cfg.Architectures) > 0 {
		arch = string(cfg.Architectures[0])
	}
	var vars map[string]string
	if cfg.Environment != nil {
		vars = cfg.Environment.Variables
	}
	env, dropped, err := functionEnv(name, vars)
	if err != nil {
		return nil, err
	}
	if len(dropped) > 0 { // names only: a value may be a secret
		rs.opts.Logf("local API: function %s: not passing %s to it: the local API passes only SECURESTREAM_* variables", name, strings.Join(dropped, ", "))
	}
	fixed := map[string]string{}
	if t := aws.ToInt32(cfg.Timeout); t > 0 { // the emulator enforces it as Lambda does
		fixed["AWS_LAMBDA_FUNCTION_TIMEOUT"] = fmt.Sprint(t)
	}
	if m := aws.ToInt32(cfg.MemorySize); m > 0 {
		fixed["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = fmt.Sprint(m)
	}
	limit := cmp.Or(rs.opts.MaxConcurrency, DefaultMaxConcurrency)
	if fn.Concurrency != nil && fn.Concurrency.ReservedConcurrentExecutions != nil {
		if limit = int(*fn.Concurrency.ReservedConcurrentExecutions); limit == 0 {
			return nil, errThrottled{name}
		}
	}
	key := aws.ToString(cfg.CodeSha256) + "\x00" + fingerprint(env) + "\x00" + fingerprint(fixed) + "\x00" + fmt.Sprint(limit)

	rs.mu.Lock()
	defer rs.mu.Unlock()
	if p := rs.warm[name]; p != nil {
		if p.key == key {
			return p, nil
		}
		p.retire(false) // Terraform changed the function: start it again, as Lambda would
		delete(rs.warm, name)
	}
	pkg, err := rs.pkg(name, arch, aws.ToString(cfg.CodeSha256))
	if err != nil {
		return nil, err
	}
	p := newPool(key, limit, func(instance int) (*runtime, error) {
		rt, err := rs.start(name, pkg, env, fixed)
		if err == nil {
			rs.opts.Logf("local API: started function %s (%s, code %s) under aws-lambda-rie, instance %d of at most %d",
				name, arch, aws.ToString(cfg.CodeSha256), instance, limit)
		}
		return rt, err
	})
	rs.warm[name] = p
	return p, nil
}

// functionEnv returns what of a function's environment (in moto, where
// any local process can change it) the local API passes to the process it
// runs: the SECURESTREAM_* variables, all the issuer reads. The names of
// the others are returned as dropped. A dynamic loader variable (LD_*)
// is an error: it can only be there to run code in the emulator, and the
// function is refused rather than run without it.
func functionEnv(name string, vars map[string]string) (env map[string]string, dropped []string, err error) {
	env = map[string]string{}
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		switch {
		case strings.HasPrefix(strings.ToUpper(k), "LD_"):
			return nil, nil, fmt.Errorf("function %s: its environment sets %s, a dynamic loader variable, which runs code of its choice in the process that loads it; "+
				"the local API refuses to run a function that sets any LD_* variable: remove it from the function's environment (terraform apply, or aws lambda update-function-configuration)", name, k)
		case strings.HasPrefix(k, "SECURESTREAM_"):
			env[k] = vars[k]
		default:
			dropped = append(dropped, k)
		}
	}
	return env, dropped, nil
}

// pkg returns the package the local API would run for the function, if
// the function's code is that package and it can run on this machine.
// A function whose code is exactly the issuer package for its own
// architecture (Options.Packages, or the embedded one) but that is not
// this machine's architecture runs the same source's package for this
// machine's: aws-lambda-rie runs only this machine's binaries. rs.mu is
// held (or rs is the caller's alone).
func (rs *runtimes) pkg(name, arch, codeSHA string) ([]byte, error) {
	pkg, what, err := rs.issuerPackage(arch)
	if err != nil {
		return nil, fmt.Errorf("function %s: the package to run: %w", name, err)
	}
	if sum := issuerpkg.SourceCodeHash(pkg); sum != codeSHA {
		return nil, fmt.Errorf("function %s: its code (CodeSha256 %s) is not %s (%s); the local API runs only the package the function was created from: "+
			"deploy that package, or give the zip you deployed (make local LOCAL_FLAGS='-issuer-package <zip>')", name, codeSHA, what, sum)
	}
	host := hostArch()
	if goruntime.GOOS == "linux" && arch == host {
		return pkg, nil
	}
	if rs.opts.Package == "" && goruntime.GOOS == "linux" && (host == "x86_64" || host == "arm64") {
		// The function's code is the issuer package for its architecture:
		// run the same source, built for this machine.
		native, nativeWhat, err := rs.issuerPackage(host)
		if err != nil {
			return nil, fmt.Errorf("function %s is built for linux/%s and aws-lambda-rie runs only this machine's binaries (linux/%s), "+
				"so the local API runs the same issuer source built for %s, which it lacks: %w", name, arch, goruntime.GOARCH, host, err)
		}
		if rs.crossLogged == nil {
			rs.crossLogged = map[string]bool{}
		}
		if !rs.crossLogged[name] {
			rs.crossLogged[name] = true
			rs.opts.Logf("local API: function %s is %s; running the same issuer source built for %s: aws-lambda-rie runs only this machine's binaries (running %s)",
				name, arch, host, nativeWhat)
		}
		return native, nil
	}
	return nil, fmt.Errorf("function %s is built for linux/%s and this machine is %s/%s: aws-lambda-rie runs only this machine's binaries; "+
		"set architecture = \"%s\" on securestream_issuer for local runs", name, arch, goruntime.GOOS, goruntime.GOARCH, host)
}

// issuerPackage returns the package the local API takes for a function of
// arch, and what it is, for messages: Options.Package whatever the
// architecture, else Options.Packages[arch], else the package embedded
// for arch.
func (rs *runtimes) issuerPackage(arch string) (pkg []byte, what string, err error) {
	switch {
	case rs.opts.Package != "":
		pkg, err = os.ReadFile(rs.opts.Package)
		return pkg, rs.opts.Package, err
	case rs.opts.Packages[arch] != "":
		pkg, err = os.ReadFile(rs.opts.Packages[arch])
		return pkg, "the issuer package for " + arch + " (" + rs.opts.Packages[arch] + ")", err
	}
	pkg, err = issuerpkg.Package(arch)
	return pkg, "the issuer package embedded for " + arch, err
}

// hostArch is this machine's architecture as Lambda names it.
func hostArch() string {
	if goruntime.GOARCH == "amd64" {
		return "x86_64"
	}
	return goruntime.GOARCH
}

// start extracts the package's bootstrap and runs it under the emulator
// with the function's environment (functionEnv) and the local API's fixed
// variables, its KMS and other calls going to moto.
func (rs *runtimes) start(name string, pkg []byte, env, fixed map[string]string) (*runtime, error) {
	rie := rs.opts.RIE
	if rie == "" {
		var err error
		if rie, err = emulators.LookRIE(); err != nil {
			return nil, err
		}
	} else if err := emulators.CheckStatic(rie); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "securestream-local-api-")
	if err != nil {
		return nil, err
	}
	bootstrap, err := extract(pkg, dir)
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("function %s: unpacking its package: %w", name, err)
	}
	var vars []string
	for _, k := range slices.Sorted(maps.Keys(env)) {
		vars = append(vars, k+"="+env[k])
	}
	for _, k := range slices.Sorted(maps.Keys(fixed)) {
		vars = append(vars, k+"="+fixed[k])
	}
	// Last, so that they win over anything before them (exec keeps the
	// last value of a name): the function's calls go to moto, as itself.
	vars = append(vars, "AWS_LAMBDA_FUNCTION_NAME="+name, "AWS_REGION="+rs.opts.Region, "AWS_DEFAULT_REGION="+rs.opts.Region,
		"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_SESSION_TOKEN=", "AWS_ENDPOINT_URL="+rs.opts.Endpoint)
	if rs.opts.KVSEndpoint != "" { // the revocation store's data plane: the local CloudFront, not moto
		vars = append(vars, "AWS_ENDPOINT_URL_CLOUDFRONT_KEYVALUESTORE="+rs.opts.KVSEndpoint)
	}
	r, err := emulators.RunRIE(rie, vars, bootstrap)
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("function %s: %w", name, err)
	}
	return &runtime{dir: dir, rie: r}, nil
}

// extract writes the package's bootstrap into dir and returns its path.
func extract(pkg []byte, dir string) (string, error) {
	zr, err := zip.NewReader(bytes.NewReader(pkg), int64(len(pkg)))
	if err != nil {
		return "", err
	}
	for _, f := range zr.File {
		if f.Name != "bootstrap" {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return "", err
		}
		defer rc.Close()
		path := filepath.Join(dir, "bootstrap")
		out, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
		if err != nil {
			return "", err
		}
		if _, err := io.Copy(out, io.LimitReader(rc, 256<<20)); err != nil {
			out.Close()
			return "", err
		}
		return path, out.Close()
	}
	return "", fmt.Errorf("the zip has no bootstrap at its root (provided.al2023 runs ./bootstrap)")
}

func fingerprint(env map[string]string) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(env)) {
		b.WriteString(k + "=" + env[k] + "\x00")
	}
	return b.String()
}

func (rs *runtimes) stopAll() {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	for name, p := range rs.warm {
		p.retire(true)
		delete(rs.warm, name)
	}
}

// FunctionOutput returns what the warm runtime of a function has printed
// (its logs, as CloudWatch Logs would have them), or "" when none runs.
func (s *Server) FunctionOutput(name string) string {
	s.runtimes.mu.Lock()
	defer s.runtimes.mu.Unlock()
	if p := s.runtimes.warm[name]; p != nil {
		return p.output()
	}
	return ""
}
