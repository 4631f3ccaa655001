package soak

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cfsdk "github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront/types"

	"github.com/securestream/terraform-provider-securestream/internal/demo"
	"github.com/securestream/terraform-provider-securestream/internal/keyring"
	"github.com/securestream/terraform-provider-securestream/internal/local/emulators"
	"github.com/securestream/terraform-provider-securestream/internal/pause"
	"github.com/securestream/terraform-provider-securestream/internal/streamkey"
)

// ring is the key ring after an apply, as Terraform's state lists it
// (securestream_secret: ids and creation times, no secret) and as the
// edge function's LIVE code holds it.
type ring struct {
	// Doc holds the keys, secrets left out.
	Doc       *keyring.Document
	Newest    string
	Lifetimes keyring.Lifetimes
	// Live are the key ids in the LIVE code; Published is when that code
	// was published.
	Live      []string
	Published time.Time
}

func (r *ring) ids() []string {
	var ids []string
	for _, k := range r.Doc.Keys {
		if !k.Seed {
			ids = append(ids, k.ID)
		}
	}
	slices.Sort(ids)
	return ids
}

func (r *ring) has(kid string) bool { return slices.Contains(r.ids(), kid) }

func (r *ring) created(kid string) time.Time {
	for _, k := range r.Doc.Keys {
		if k.ID == kid {
			return k.Created
		}
	}
	return time.Time{}
}

func (r *ring) String() string {
	var parts []string
	for _, k := range r.Doc.Keys {
		parts = append(parts, k.ID+"@"+k.Created.Format("15:04:05"))
	}
	return strings.Join(parts, " ")
}

// observe reads the ring from Terraform's state and the edge function's
// LIVE code from the local CloudFront.
func observe(ctx context.Context, env *demo.Env) (*ring, error) {
	res, err := env.Resources(ctx)
	if err != nil {
		return nil, err
	}
	secret, fn := res["securestream_secret.demo"], res["securestream_function.demo"]
	if secret == nil || fn == nil {
		return nil, fmt.Errorf("the state has no securestream_secret.demo or securestream_function.demo")
	}
	r := &ring{Doc: &keyring.Document{}}
	r.Newest, _ = secret["newest_key_id"].(string)
	ad, err1 := time.ParseDuration(fmt.Sprint(secret["activation_delay"]))
	life, err2 := time.ParseDuration(fmt.Sprint(secret["max_token_lifetime"]))
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("securestream_secret.demo: activation_delay %v, max_token_lifetime %v", secret["activation_delay"], secret["max_token_lifetime"])
	}
	r.Lifetimes = keyring.Lifetimes{ActivationDelay: ad, MaxTokenLifetime: life, Leeway: streamkey.DefaultLeeway}
	keys, _ := secret["keys"].([]any)
	for _, k := range keys {
		m, _ := k.(map[string]any)
		created, err := time.Parse(time.RFC3339, fmt.Sprint(m["created"]))
		if err != nil {
			return nil, fmt.Errorf("securestream_secret.demo keys: %v", m)
		}
		seed, _ := m["seed"].(bool)
		r.Doc.Keys = append(r.Doc.Keys, keyring.Key{ID: fmt.Sprint(m["kid"]), Created: created, Seed: seed})
	}
	name, _ := fn["name"].(string)
	if r.Live, r.Published, err = liveKeys(ctx, env, name); err != nil {
		return nil, err
	}
	return r, nil
}

// liveKeys returns the key ids in the LIVE code of the function name and
// when it was published, through the CloudFront API.
func liveKeys(ctx context.Context, env *demo.Env, name string) ([]string, time.Time, error) {
	client := cloudFront(env)
	desc, err := client.DescribeFunction(ctx, &cfsdk.DescribeFunctionInput{Name: aws.String(name), Stage: types.FunctionStageLive})
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("cloudfront DescribeFunction %s LIVE: %w", name, err)
	}
	code, err := client.GetFunction(ctx, &cfsdk.GetFunctionInput{Name: aws.String(name), Stage: types.FunctionStageLive})
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("cloudfront GetFunction %s LIVE: %w", name, err)
	}
	ids, err := codeKeys(code.FunctionCode)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("function %s LIVE: %w", name, err)
	}
	var published time.Time
	if s := desc.FunctionSummary; s != nil && s.FunctionMetadata != nil && s.FunctionMetadata.LastModifiedTime != nil {
		published = *s.FunctionMetadata.LastModifiedTime
	}
	return ids, published, nil
}

// cloudFront is a client of the local CloudFront's API.
func cloudFront(env *demo.Env) *cfsdk.Client {
	return cfsdk.NewFromConfig(emulators.SDKConfig(env.Stack.CloudFront.Endpoint))
}

// waitDeployed waits until the distribution is Deployed: until then, with
// a propagation delay, the edge may serve it as it was before the edge
// function was attached, checking nothing.
func waitDeployed(ctx context.Context, env *demo.Env, within time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	client := cloudFront(env)
	for {
		out, err := client.GetDistribution(ctx, &cfsdk.GetDistributionInput{Id: aws.String(env.DistributionID)})
		if err != nil {
			return fmt.Errorf("waiting for distribution %s to be Deployed: %w", env.DistributionID, err)
		}
		if out.Distribution != nil && aws.ToString(out.Distribution.Status) == "Deployed" {
			return nil
		}
		if !pause.For(ctx, 200*time.Millisecond) {
			return fmt.Errorf("distribution %s is not Deployed after %s", env.DistributionID, within)
		}
	}
}

// codeKeys are the key ids of the ring in rendered function code: the
// names of its K object ('.' + id), read as the JSON the renderer writes.
// The secrets are not kept.
func codeKeys(code []byte) ([]string, error) {
	const decl = "var K="
	i := bytes.Index(code, []byte(decl))
	if i < 0 {
		return nil, fmt.Errorf("the code has no key ring (%s)", decl)
	}
	var k map[string]json.RawMessage
	if err := json.NewDecoder(bytes.NewReader(code[i+len(decl):])).Decode(&k); err != nil {
		return nil, fmt.Errorf("the code's key ring: %w", err)
	}
	var ids []string
	for name := range k {
		ids = append(ids, strings.TrimPrefix(name, "."))
	}
	slices.Sort(ids)
	return ids, nil
}

// rotation is one apply of the soak and what it did to the ring.
type rotation struct {
	Round         int
	Start, End    time.Time // of terraform apply
	Before, After *ring
	// Added is the new key's id, Retired the ids that left.
	Added   string
	Retired []string
	// Lag is from the new key's creation to the publish of the code that
	// holds it: the activation delay must cover it and the propagation.
	Lag time.Duration
}

// checkRing checks one apply against the retention rules, and returns
// what is wrong:
//
//   - the LIVE code holds exactly the ring's keys;
//   - a rotation added exactly one key;
//   - a key left only once no token it signed can be valid: every token
//     the issuer gave with it (tokens) expired by the time the code
//     without it was published, and the provider's bound (its successor's
//     creation + activation delay + maximum lifetime + leeway) had passed;
//   - a key whose bound had passed when the apply started left;
//   - every token signed with a key expires within that key's bound, so
//     the bound is a real one.
func checkRing(rot *rotation, tokens *tokenLog, rotated bool) []string {
	var bad []string
	before, after := rot.Before, rot.After
	if !slices.Equal(after.ids(), after.Live) {
		bad = append(bad, fmt.Sprintf("the LIVE function holds keys %v, the ring %v", after.Live, after.ids()))
	}
	var added []string
	for _, id := range after.ids() {
		if !before.has(id) {
			added = append(added, id)
		}
	}
	switch {
	case rotated && len(added) != 1:
		bad = append(bad, fmt.Sprintf("the rotation added keys %v, want one", added))
	case !rotated && len(added) != 0:
		bad = append(bad, fmt.Sprintf("an apply without rotation added keys %v", added))
	}
	if len(added) == 1 {
		rot.Added = added[0]
		rot.Lag = after.Published.Sub(after.created(rot.Added))
	}
	l := after.Lifetimes
	for _, id := range before.ids() {
		at, bounded := before.Doc.RetiresAt(id, l)
		if after.has(id) {
			if bounded && !at.After(rot.Start) {
				bad = append(bad, fmt.Sprintf("key %s stayed, though no token it signed could be valid after %s (before the apply at %s)",
					id, at.Format(time.RFC3339), rot.Start.Format(time.RFC3339)))
			}
			continue
		}
		rot.Retired = append(rot.Retired, id)
		if !bounded || at.After(after.Published) {
			bad = append(bad, fmt.Sprintf("key %s left the function at %s, before its bound %s (successor's creation + activation delay + max lifetime + leeway)",
				id, after.Published.Format(time.RFC3339), at.Format(time.RFC3339)))
		}
		if t, ok := tokens.get(id); ok && t.LastExpires.After(after.Published) {
			bad = append(bad, fmt.Sprintf("key %s left the function at %s, while a token it signed was valid until %s",
				id, after.Published.Format(time.RFC3339), t.LastExpires.Format(time.RFC3339)))
		}
	}
	for id, t := range tokens.snapshot() {
		if at, ok := after.Doc.RetiresAt(id, l); ok && t.LastExpires.After(at) {
			bad = append(bad, fmt.Sprintf("a token signed with key %s expires at %s, after the key's bound %s",
				id, t.LastExpires.Format(time.RFC3339), at.Format(time.RFC3339)))
		}
	}
	return bad
}
