package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/local/mirror"
	"github.com/securestream/terraform-provider-securestream/internal/local/proc"
)

// TerraformInstall says how to get the Terraform the demo drives.
const TerraformInstall = "install Terraform 1.11 or later (https://developer.hashicorp.com/terraform/install) and put it on PATH or set TF_ACC_TERRAFORM_PATH"

// providerAddress is the provider's registry address, which the
// dev_overrides block maps to the built binary.
const providerAddress = "registry.terraform.io/securestream/securestream"

// openTofuAddress is where OpenTofu resolves the configuration's short
// source (securestream/securestream): its own registry's host. The CLI
// configuration overrides both, so either binary takes the built provider.
const openTofuAddress = "registry.opentofu.org/securestream/securestream"

// findTerraform returns TF_ACC_TERRAFORM_PATH (which the Makefile and the
// acceptance tests use) when it exists, or terraform on PATH.
func findTerraform() (string, error) {
	if p := os.Getenv("TF_ACC_TERRAFORM_PATH"); p != "" {
		if _, err := os.Stat(p); err == nil { //nolint:gosec // the user's own setting: where their Terraform is
			return p, nil
		}
	}
	if p, err := exec.LookPath("terraform"); err == nil {
		return p, nil
	}
	return "", errors.New("terraform is not installed: " + TerraformInstall)
}

// buildProvider builds the provider from the module at root into dir. A
// provider built without `make issuer` has no issuer package in it; the
// demo then deploys one it builds (issuerPackage).
func buildProvider(ctx context.Context, root, dir string) (string, error) {
	bin := filepath.Join(dir, "terraform-provider-securestream")
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", bin, ".")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building the provider (go build in %s): %w\n%s", root, err, out)
	}
	return bin, nil
}

// terraform runs Terraform in a working directory of its own, with a CLI
// configuration whose dev_overrides point at the provider binary, so that
// nothing is installed or downloaded (no terraform init).
type terraform struct {
	bin, dir string
	env      []string
	vars     map[string]string // TF_VAR_<name>: kept off the command line
	out      io.Writer
}

// newTerraform copies the configuration at example into tmp/work, with
// the CAT deployment (cat.tf) beside it unless it has its own, and writes
// tmp/terraformrc, whose dev_overrides serve provider (a binary,
// linked into a directory of its own under the name Terraform looks for).
func newTerraform(bin, provider, example, tmp string, out io.Writer) (*terraform, error) {
	work := filepath.Join(tmp, "work")
	if err := mirror.CopyConfig(example, work); err != nil {
		return nil, err
	}
	if err := addCATConfig(work); err != nil {
		return nil, err
	}
	pdir := filepath.Dir(provider)
	if filepath.Base(provider) != "terraform-provider-securestream" {
		pdir = filepath.Join(tmp, "provider-override")
		if err := os.MkdirAll(pdir, 0o755); err != nil {
			return nil, err
		}
		abs, err := filepath.Abs(provider)
		if err != nil {
			return nil, err
		}
		if err := os.Symlink(abs, filepath.Join(pdir, "terraform-provider-securestream")); err != nil {
			return nil, err
		}
	}
	pdir, err := filepath.Abs(pdir)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(pdir, "terraform-provider-securestream")); err != nil {
		return nil, fmt.Errorf("the provider binary: %w (make build builds it)", err)
	}
	rc := filepath.Join(tmp, "terraformrc")
	if err := os.WriteFile(rc, []byte(cliConfig(pdir)), 0o600); err != nil {
		return nil, err
	}
	return &terraform{bin: bin, dir: work, out: out, env: []string{
		"TF_CLI_CONFIG_FILE=" + rc,
		"TF_IN_AUTOMATION=1",
		"TF_INPUT=0",
		"CHECKPOINT_DISABLE=1",
	}}, nil
}

// cliConfig is a Terraform CLI configuration that takes the provider from
// dir, as provider developers do, and installs nothing else.
func cliConfig(dir string) string {
	return fmt.Sprintf(`# Written by make demo: Terraform takes the securestream provider from the
# binary just built, with no terraform init and no registry.
provider_installation {
  dev_overrides {
    %q = %q
    %q = %q
  }
  direct {}
}
`, providerAddress, dir, openTofuAddress, dir)
}

// run runs terraform with args. Ctrl-C (ctx cancelled) reaches Terraform
// as an interrupt, which it handles by stopping cleanly, not by dying
// with a half-written state.
func (t *terraform) run(ctx context.Context, args ...string) error {
	_, err := t.exec(ctx, args...)
	return err
}

// command returns terraform with args, to run in the configuration's
// directory with its environment and variables.
func (t *terraform) command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, t.bin, args...) //nolint:gosec // Terraform, found as the acceptance tests find it
	cmd.Dir = t.dir
	cmd.Env = append(os.Environ(), t.env...)
	names := make([]string, 0, len(t.vars))
	for name := range t.vars {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		cmd.Env = append(cmd.Env, "TF_VAR_"+name+"="+t.vars[name])
	}
	return cmd
}

func (t *terraform) exec(ctx context.Context, args ...string) ([]byte, error) {
	cmd := t.command(ctx, args...)
	var stdout bytes.Buffer
	cmd.Stdout = io.MultiWriter(&stdout, t.out)
	cmd.Stderr = t.out
	// Its own process group keeps the terminal's Ctrl-C from reaching
	// Terraform directly: the demo gets it, and stops Terraform in order
	// (an interrupt), then destroys.
	proc.OwnProcessGroup(cmd)
	cmd.Cancel = func() error { return proc.Interrupt(cmd) }
	cmd.WaitDelay = time.Minute
	fmt.Fprintf(t.out, "$ terraform %s\n", strings.Join(args, " "))
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("terraform %s: %w", strings.Join(args, " "), err)
	}
	return stdout.Bytes(), nil
}

// outputs reads the configuration's outputs (strings only).
func (t *terraform) outputs(ctx context.Context) (map[string]string, error) {
	b, err := t.exec(ctx, "output", "-json")
	if err != nil {
		return nil, err
	}
	var raw map[string]struct {
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("terraform output -json: %w", err)
	}
	out := map[string]string{}
	for name, o := range raw {
		var s string
		if json.Unmarshal(o.Value, &s) == nil {
			out[name] = s
		}
	}
	return out, nil
}

// tail keeps the last part of the output for an error message, and
// passes everything on to w when w is set.
type tail struct {
	mu  sync.Mutex
	w   io.Writer
	buf []byte
}

const tailBytes = 16 << 10

func newTail(w io.Writer) *tail { return &tail{w: w} }

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.w != nil {
		if _, err := t.w.Write(p); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	t.buf = append(t.buf, p...)
	if len(t.buf) > 2*tailBytes {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-tailBytes:]...)
	}
	return len(p), nil
}

// String is the last 16 KiB kept (nothing when the output went to w).
func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	b := t.buf
	if len(b) > tailBytes {
		b = b[len(b)-tailBytes:]
	}
	return string(b)
}
