package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strings"
)

// Apply runs terraform apply again with vars set over the variables Start
// gave (as a user who edits terraform.tfvars and applies), and keeps them
// for later applies and for Close's destroy. A value is what Terraform
// reads from TF_VAR_<name>: HCL for maps and lists ({round="2"}).
//
// The soak test (internal/soak) rotates the key ring this way, through
// examples/local's rotation_triggers.
func (e *Env) Apply(ctx context.Context, vars map[string]string) error {
	if e.tf == nil || !e.applied {
		return errors.New("demo: Apply before Start applied the configuration")
	}
	maps.Copy(e.tf.vars, vars)
	return e.tf.run(ctx, "apply", "-auto-approve", "-input=false")
}

// Resources returns the values of the resources in Terraform's state, by
// address (securestream_secret.demo...), as terraform show -json gives
// them. They include sensitive values (the ring's ciphertext): do not
// print them.
func (e *Env) Resources(ctx context.Context) (map[string]map[string]any, error) {
	if e.tf == nil {
		return nil, errors.New("demo: Resources before Start")
	}
	b, err := e.tf.quiet(ctx, "show", "-json")
	if err != nil {
		return nil, err
	}
	var st struct {
		Values struct {
			RootModule struct {
				Resources []struct {
					Address string         `json:"address"`
					Values  map[string]any `json:"values"`
				} `json:"resources"`
			} `json:"root_module"`
		} `json:"values"`
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("terraform show -json: %w", err)
	}
	out := map[string]map[string]any{}
	for _, r := range st.Values.RootModule.Resources {
		out[r.Address] = r.Values
	}
	return out, nil
}

// quiet runs terraform as exec does, but keeps its standard output (the
// state, with its ciphertexts) out of the demo's output.
func (t *terraform) quiet(ctx context.Context, args ...string) ([]byte, error) {
	cmd := t.command(ctx, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("terraform %s: %w\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.Bytes(), nil
}
