// Package emulators runs the local stand-ins for AWS: moto_server (KMS,
// IAM, STS, Lambda, API Gateway), behind a proxy that answers loopback
// Host names only, and AWS's Lambda runtime interface emulator, which
// the local API (internal/local/api) runs functions under and which must
// be linked statically. A missing tool is an error with the command that
// installs it. internal/local/localtest starts them for a test.
package emulators

import (
	"bytes"
	"cmp"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/securestream/terraform-provider-securestream/internal/local/hostcheck"
	"github.com/securestream/terraform-provider-securestream/internal/local/proc"
	"github.com/securestream/terraform-provider-securestream/internal/reporoot"
)

// RIEVersion is the runtime interface emulator the project uses.
const RIEVersion = "v0.0.0-20261030222936-bef5c4ba774d"

// RIEDir is where `make tools` installs it, under the repository's root:
// built static (CGO_ENABLED=0), in a directory of its version and build,
// so that an older, dynamically linked .tools/bin/aws-lambda-rie is not
// taken for it.
const RIEDir = ".tools/aws-lambda-rie-" + RIEVersion + "-static"

// RIEInstall is the command that installs it where the tests look.
const RIEInstall = "make tools   (or: CGO_ENABLED=0 GOBIN=$PWD/" + RIEDir + " go install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@" + RIEVersion + ")"

// MotoInstall is the command that installs moto_server.
const MotoInstall = "pip install 'moto[server]==5.2.1'   (moto_server 5)"

// ErrNoMoto is StartMoto's error when moto_server is not installed; the
// error that wraps it says how to install it.
var ErrNoMoto = errors.New("moto_server is not installed")

// MotoOptions say where and how StartMoto runs moto_server.
type MotoOptions struct {
	// Addr is where it answers ("127.0.0.1:5000"); empty: a free loopback
	// port.
	Addr string
	// Output receives moto_server's output; nil keeps it for Output.
	Output io.Writer
	// OwnGroup runs it in a process group of its own (proc.Options), so
	// that the Ctrl-C meant for make local does not stop it before a
	// terraform destroy that still needs it.
	OwnGroup bool
}

// Moto is a running moto_server.
type Moto struct {
	// Endpoint is its URL, the SDK's and the provider's endpoint.
	Endpoint string

	proc  *proc.Process
	front *http.Server
}

// StartMoto starts moto_server and serves it at opts.Addr through a proxy
// that answers loopback Host names only: moto answers any Host, so a web
// page that rebinds its own name to 127.0.0.1 could otherwise call it
// (KMS Decrypt among it) as same-origin. moto itself listens on a free
// loopback port that nothing prints. It returns once moto answers; on
// error nothing it started is left running.
func StartMoto(ctx context.Context, opts MotoOptions) (_ *Moto, err error) {
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrNoMoto, MotoInstall)
	}
	front, err := net.Listen("tcp", cmp.Or(opts.Addr, "127.0.0.1:0"))
	if err != nil {
		return nil, fmt.Errorf("moto_server's address %s: %w", opts.Addr, err)
	}
	defer func() {
		if err != nil {
			front.Close()
		}
	}()
	// moto_server binds its port itself, a second or so after the pick: a
	// process beside this one can take it meanwhile. Moto's own dashboard
	// answering 200 proves it bound the port (another server's error page
	// does not); a moto that exited on a taken port is started again on
	// another.
	var p *proc.Process
	var inner string
	for attempt := 1; ; attempt++ {
		if inner, err = proc.FreeAddr(); err != nil {
			return nil, err
		}
		host, port, err := net.SplitHostPort(inner)
		if err != nil {
			return nil, fmt.Errorf("moto_server address %q: %w", inner, err)
		}
		if p, err = proc.Start("moto_server", MotoCommand(bin, host, port), proc.Options{Output: opts.Output, OwnGroup: opts.OwnGroup}); err != nil {
			return nil, err
		}
		err = p.WaitHTTPOK(ctx, "http://"+inner+"/moto-api/", 30*time.Second)
		if err == nil {
			break
		}
		_ = p.Kill()
		if attempt == 3 || ctx.Err() != nil {
			return nil, err
		}
	}
	innerURL := "http://" + inner
	target, _ := url.Parse(innerURL)
	proxy := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		pr.SetURL(target)
		pr.Out.Host = pr.In.Host // moto sees the Host the client sent
	}}
	m := &Moto{Endpoint: "http://" + front.Addr().String(), proc: p}
	m.front = &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !hostcheck.Loopback(r.Host) {
			http.Error(w, "local moto_server: "+hostcheck.Refused(r.Host, "loopback names (127.0.0.1, localhost, ::1)"), http.StatusForbidden)
			return
		}
		proxy.ServeHTTP(w, r)
	})}
	go func() { _ = m.front.Serve(front) }()
	return m, nil
}

// Output returns what moto_server wrote so far, unless
// MotoOptions.Output took it.
func (m *Moto) Output() string { return m.proc.Output() }

// Close stops the proxy, then asks moto_server to stop (an interrupt)
// and kills it when it has not within 10 s.
func (m *Moto) Close() error {
	_ = m.front.Close()
	return m.proc.Stop(10 * time.Second)
}

// SDKConfig is the AWS SDK configuration for a local stand-in at
// endpoint (moto, the local CloudFront, a fault proxy in front of
// either): us-east-1 and placeholder credentials, which they accept as
// any other.
func SDKConfig(endpoint string) aws.Config {
	return aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(endpoint),
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")}
}

// MotoCommand is moto_server at bin listening on host:port, with its
// global CORS off: on, it answers every Origin with
// Access-Control-Allow-Origin, preflights included, so that any web page
// the developer opens could call moto (KMS Decrypt among it) and read the
// answers.
func MotoCommand(bin, host, port string) *exec.Cmd {
	cmd := exec.Command(bin, "-H", host, "-p", port)
	// moto reads any non-empty value as true.
	cmd.Env = append(os.Environ(), "MOTO_DISABLE_GLOBAL_CORS=true")
	return cmd
}

// RIE is a running runtime interface emulator hosting one function.
type RIE struct {
	// URL is where events are POSTed.
	URL  string
	proc *proc.Process
}

// Output returns what the emulator and the function wrote so far.
func (r *RIE) Output() string { return r.proc.Output() }

// Stop ends the emulator and the function now.
func (r *RIE) Stop() { _ = r.proc.Kill() }

// LookRIE returns the path of a statically linked aws-lambda-rie, looking
// in the repository's RIEDir, then GOBIN and GOPATH/bin, then PATH, or an
// error with the command that installs it. A dynamically linked one is
// passed over, and is the error when there is no other (CheckStatic).
func LookRIE() (string, error) {
	var candidates []string
	if root, err := reporoot.Find(); err == nil {
		candidates = append(candidates, filepath.Join(root, filepath.FromSlash(RIEDir), "aws-lambda-rie"))
	}
	if gobin := os.Getenv("GOBIN"); gobin != "" {
		candidates = append(candidates, filepath.Join(gobin, "aws-lambda-rie"))
	}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		candidates = append(candidates, filepath.Join(strings.TrimSpace(string(out)), "bin", "aws-lambda-rie"))
	}
	if p, err := exec.LookPath("aws-lambda-rie"); err == nil {
		candidates = append(candidates, p)
	}
	var refused error
	for _, c := range candidates {
		if _, err := os.Stat(c); err != nil {
			continue
		}
		if err := CheckStatic(c); err != nil {
			refused = cmp.Or(refused, err)
			continue
		}
		return c, nil
	}
	if refused != nil {
		return "", refused
	}
	return "", errors.New("aws-lambda-rie is not installed: " + RIEInstall)
}

// CheckStatic returns an error, saying how to get a static build, unless
// the executable at path is linked statically. A dynamically linked one
// asks for the dynamic loader (PT_INTERP) or shared libraries
// (DT_NEEDED), and the loader runs whatever LD_PRELOAD names in any
// environment it is started with.
func CheckStatic(path string) error {
	f, err := elf.Open(path)
	if err != nil {
		return fmt.Errorf("aws-lambda-rie at %s: %w; the local API runs only a statically linked Linux build: %s", path, err, RIEInstall)
	}
	defer f.Close()
	dynamic := slices.ContainsFunc(f.Progs, func(p *elf.Prog) bool { return p.Type == elf.PT_INTERP })
	if libs, err := f.ImportedLibraries(); err == nil && len(libs) > 0 {
		dynamic = true
	}
	if dynamic {
		return fmt.Errorf("aws-lambda-rie at %s is dynamically linked, so a loader variable (LD_PRELOAD) in its environment would run code in it; "+
			"build it static: %s", path, RIEInstall)
	}
	return nil
}

// RunRIE runs command under the emulator at path rie, with env added to
// the environment, until Stop; the local API keeps its functions warm
// with it. The emulator binds the two ports it is given after they were
// picked free: meanwhile another process may take one (an outgoing
// connection's local port is enough), and the emulator exits; it is then
// started again on others, as StartMoto does.
func RunRIE(rie string, env []string, command ...string) (*RIE, error) {
	for attempt := 1; ; attempt++ {
		r, exited, err := startRIE(rie, env, command)
		if err == nil || !exited || attempt == 3 {
			return r, err
		}
	}
}

// startRIE is one attempt of RunRIE; exited says whether a failure was
// the emulator exiting before it listened.
func startRIE(rie string, env, command []string) (_ *RIE, exited bool, _ error) {
	ports, err := proc.FreePorts(2)
	if err != nil {
		return nil, false, err
	}
	args := append([]string{"--runtime-interface-emulator-address", fmt.Sprintf("127.0.0.1:%d", ports[0]),
		"--runtime-api-address", fmt.Sprintf("127.0.0.1:%d", ports[1]), "--log-level", "error"}, command...)
	cmd := exec.Command(rie, args...)
	cmd.Env = append(os.Environ(), env...)
	r := &RIE{URL: fmt.Sprintf("http://127.0.0.1:%d/2015-03-31/functions/function/invocations", ports[0])}
	if r.proc, err = proc.Start("aws-lambda-rie", cmd, proc.Options{}); err != nil {
		return nil, false, err
	}
	if err := r.proc.WaitTCP(context.Background(), fmt.Sprintf("127.0.0.1:%d", ports[0]), 15*time.Second); err != nil {
		select {
		case <-r.proc.Exited():
			exited = true
		default:
		}
		r.Stop()
		return nil, exited, err
	}
	return r, false, nil
}

// Call posts an event and returns the function's answer.
func (r *RIE) Call(ctx context.Context, event []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.URL, bytes.NewReader(event))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("invoking the function under aws-lambda-rie: %w\n%s", err, r.Output())
	}
	defer resp.Body.Close()
	return io.ReadAll(resp.Body)
}
