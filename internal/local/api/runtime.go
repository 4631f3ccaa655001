package api

import (
	"archive/zip"
	"bytes"
	"context"
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

// runtime is a function kept warm under aws-lambda-rie.
type runtime struct {
	key string // what it was started from: code and environment
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

// runtimes are the warm functions, by name.
type runtimes struct {
	opts Options
	mu   sync.Mutex
	warm map[string]*runtime
}

// get returns the function's runtime, started (or restarted, when its
// code or environment changed since) from the function's configuration
// in moto.
func (rs *runtimes) get(ctx context.Context, client *lambda.Client, name string) (*runtime, error) {
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
	key := aws.ToString(cfg.CodeSha256) + "\x00" + fingerprint(env) + "\x00" + fingerprint(fixed)

	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rt := rs.warm[name]; rt != nil {
		if rt.key == key {
			return rt, nil
		}
		rt.stop() // Terraform changed the function: start it again, as Lambda would
		delete(rs.warm, name)
	}
	pkg, err := rs.pkg(name, arch, aws.ToString(cfg.CodeSha256))
	if err != nil {
		return nil, err
	}
	rt, err := rs.start(name, pkg, env, fixed)
	if err != nil {
		return nil, err
	}
	rt.key = key
	rs.warm[name] = rt
	rs.opts.Logf("local API: started function %s (%s, code %s) under aws-lambda-rie", name, arch, aws.ToString(cfg.CodeSha256))
	return rt, nil
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
func (rs *runtimes) pkg(name, arch, codeSHA string) ([]byte, error) {
	var pkg []byte
	var err error
	what := "the issuer package embedded for " + arch
	if rs.opts.Package != "" {
		what = rs.opts.Package
		pkg, err = os.ReadFile(rs.opts.Package)
	} else {
		pkg, err = issuerpkg.Package(arch)
	}
	if err != nil {
		return nil, fmt.Errorf("function %s: the package to run: %w", name, err)
	}
	if sum := issuerpkg.SourceCodeHash(pkg); sum != codeSHA {
		return nil, fmt.Errorf("function %s: its code (CodeSha256 %s) is not %s (%s); the local API runs only the package the function was created from: "+
			"deploy that package, or give the zip you deployed (make local LOCAL_FLAGS='-issuer-package <zip>')", name, codeSHA, what, sum)
	}
	if want := map[string]string{"arm64": "arm64", "x86_64": "amd64"}[arch]; goruntime.GOOS != "linux" || want != goruntime.GOARCH {
		return nil, fmt.Errorf("function %s is built for linux/%s and this machine is %s/%s: aws-lambda-rie runs only this machine's binaries; "+
			"create the function with architectures = [\"%s\"] for local runs", name, arch, goruntime.GOOS, goruntime.GOARCH, hostArch())
	}
	return pkg, nil
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
	for name, rt := range rs.warm {
		rt.stop()
		delete(rs.warm, name)
	}
}

// FunctionOutput returns what the warm runtime of a function has printed
// (its logs, as CloudWatch Logs would have them), or "" when none runs.
func (s *Server) FunctionOutput(name string) string {
	s.runtimes.mu.Lock()
	defer s.runtimes.mu.Unlock()
	if rt := s.runtimes.warm[name]; rt != nil {
		return rt.output()
	}
	return ""
}
