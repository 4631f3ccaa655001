package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"
	"github.com/securestream/terraform-provider-securestream/internal/syncbuf"
)

// registryHosts are the hosts on which a short source address
// (securestream/securestream, as the examples and users write it) is
// resolved: Terraform's default registry and OpenTofu's.
var registryHosts = []string{"registry.terraform.io", "registry.opentofu.org"}

// reattachProviders is TF_REATTACH_PROVIDERS for the provider served at
// rc, under its address on each of registryHosts: the binary that runs
// (Terraform or OpenTofu) resolves securestream/securestream on its own
// default host and finds the provider there, so nothing is installed.
func reattachProviders(rc *plugin.ReattachConfig) (string, error) {
	conf := map[string]any{}
	for _, host := range registryHosts {
		conf[host+"/securestream/securestream"] = map[string]any{
			"Protocol": string(rc.Protocol), "ProtocolVersion": rc.ProtocolVersion, "Pid": rc.Pid, "Test": true,
			"Addr": map[string]string{"Network": rc.Addr.Network(), "String": rc.Addr.String()},
		}
	}
	b, err := json.Marshal(conf)
	return string(b), err
}

// tfProcess runs Terraform as a child process that a test may kill
// (SIGKILL) in the middle of an apply, which terraform-plugin-testing
// cannot do: the provider is served from the test's own process, and
// Terraform attaches to it through TF_REATTACH_PROVIDERS, so nothing is
// built or installed. The provider outlives each Terraform process, as
// it would not in production; a killed Terraform closes its connection,
// which cancels the provider's calls in flight, as the provider's own
// death would stop them.
type tfProcess struct {
	t   *testing.T
	bin string
	dir string
	env []string
}

// newTFProcess serves the provider and prepares a working directory with
// main.tf = config.
func newTFProcess(t *testing.T, config string) *tfProcess {
	t.Helper()
	requireTerraform(t)
	ctx, cancel := context.WithCancel(context.Background())
	reattach := make(chan *plugin.ReattachConfig, 1)
	closed := make(chan struct{})
	go func() {
		err := tf6server.Serve(Address, providerserver.NewProtocol6(New("test", "none")()),
			tf6server.WithDebug(ctx, reattach, closed), tf6server.WithoutLogStderrOverride(), tf6server.WithLoggingSink(t),
			tf6server.WithGoPluginLogger(hclog.New(&hclog.LoggerOptions{Output: io.Discard})))
		if err != nil {
			t.Errorf("serving the provider: %v", err)
		}
	}()
	var rc *plugin.ReattachConfig
	select {
	case rc = <-reattach:
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatal("the provider did not start serving within 30 s")
	}
	t.Cleanup(func() {
		cancel()
		select {
		case <-closed:
		case <-time.After(10 * time.Second):
			t.Error("the provider did not stop within 10 s")
		}
	})
	env, err := reattachProviders(rc)
	if err != nil {
		t.Fatal(err)
	}
	tf := &tfProcess{t: t, bin: os.Getenv("TF_ACC_TERRAFORM_PATH"), dir: t.TempDir()}
	cli := filepath.Join(t.TempDir(), "terraform.rc") // no user's CLI configuration, and no warning for its absence
	if err := os.WriteFile(cli, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tf.env = append(os.Environ(), "TF_REATTACH_PROVIDERS="+env, "TF_CLI_CONFIG_FILE="+cli,
		"CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1", "TF_INPUT=0")
	tf.write(config)
	if out, err := tf.run("init", "-no-color"); err != nil {
		t.Fatalf("terraform init: %v\n%s", err, out)
	}
	return tf
}

// write replaces the configuration.
func (tf *tfProcess) write(config string) {
	tf.t.Helper()
	cfg := "terraform {\n  required_providers {\n    securestream = {\n      source = \"securestream/securestream\"\n    }\n  }\n}\n\n" + config
	if err := os.WriteFile(filepath.Join(tf.dir, "main.tf"), []byte(cfg), 0o600); err != nil {
		tf.t.Fatal(err)
	}
}

func (tf *tfProcess) command(args ...string) *exec.Cmd {
	cmd := exec.Command(tf.bin, args...)
	cmd.Dir, cmd.Env = tf.dir, tf.env
	return cmd
}

// run runs a Terraform command to its end, returning its output.
func (tf *tfProcess) run(args ...string) (string, error) {
	out, err := tf.command(args...).CombinedOutput()
	return string(out), err
}

// running is a Terraform command in progress.
type running struct {
	cmd *exec.Cmd
	out *syncbuf.Buffer
}

// start starts a Terraform command and returns at once.
func (tf *tfProcess) start(args ...string) *running {
	tf.t.Helper()
	r := &running{cmd: tf.command(args...), out: &syncbuf.Buffer{}}
	r.cmd.Stdout, r.cmd.Stderr = r.out, r.out
	if err := r.cmd.Start(); err != nil {
		tf.t.Fatal(err)
	}
	tf.t.Cleanup(func() {
		if r.cmd.ProcessState == nil {
			_ = r.cmd.Process.Kill()
			_ = r.cmd.Wait()
		}
	})
	return r
}

// kill ends the command with SIGKILL, as an operator's kill -9 or a lost
// machine would: Terraform writes nothing more.
func (r *running) kill() error {
	if err := r.cmd.Process.Kill(); err != nil {
		return err
	}
	_ = r.cmd.Wait()
	return nil
}

// state is the local state Terraform wrote, as JSON ("" before the first
// write).
func (tf *tfProcess) state() string {
	b, _ := os.ReadFile(filepath.Join(tf.dir, "terraform.tfstate"))
	return string(b)
}

// stateResources lists the addresses of the resources the state on disk
// records an instance of (Terraform lists a resource being created with
// none).
func (tf *tfProcess) stateResources() []string {
	var st struct {
		Resources []struct {
			Mode, Type, Name string
			Instances        []json.RawMessage
		}
	}
	if json.Unmarshal([]byte(tf.state()), &st) != nil {
		return nil
	}
	var out []string
	for _, r := range st.Resources {
		if r.Mode == "managed" && len(r.Instances) > 0 {
			out = append(out, r.Type+"."+r.Name)
		}
	}
	return out
}

// planIsEmpty runs terraform plan -detailed-exitcode: nil when there is
// nothing to do.
func (tf *tfProcess) planIsEmpty() error {
	out, err := tf.run("plan", "-no-color", "-detailed-exitcode")
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) && ee.ExitCode() == 2 {
			return fmt.Errorf("the plan after the apply is not empty:\n%s", planSummary(out))
		}
		return fmt.Errorf("terraform plan: %v\n%s", err, out)
	}
	return nil
}

// planSummary keeps the lines of a plan that say what changes.
func planSummary(out string) string {
	var keep []string
	for _, l := range strings.Split(out, "\n") {
		if t := strings.TrimSpace(l); strings.HasPrefix(t, "#") || strings.HasPrefix(t, "~") || strings.HasPrefix(t, "+") ||
			strings.HasPrefix(t, "-") || strings.HasPrefix(t, "Plan:") || strings.Contains(t, "Error") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}
