package provider

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/securestream/terraform-provider-securestream/internal/keyring"
)

// Changing rotation_triggers rotates: the plan shows the ring changing in place,
// new keys sign only once they are activation_delay old, and a previous key
// leaves the ring only once no token it signed can be valid: activation
// delay + max_token_lifetime + leeway after its successor was created.
// (On 8ec92d4, retain counted rotations: two rotations five minutes apart
// dropped a key whose tokens were still valid.)
func TestAccSecret_rotation(t *testing.T) {
	e := newAccEnv(t)
	fn := name("issuer")
	clock := &testClock{}
	cfg := func(epoch int) string {
		return e.provider() + fmt.Sprintf(`
resource "securestream_secret" "s" {
  function_name      = %q
  activation_delay   = "1h"
  max_token_lifetime = "2h"
  rotation_triggers        = { epoch = "%d" }
}

# What the issuer signs with now, with the secret's activation delay.
`+streamKeyBlock("data", "now",
			`activation_delay = securestream_secret.s.activation_delay`,
			`playback_url = "https://video.example.com/live/a/index.m3u8"`, `client_ip = "198.51.100.7"`,
			`user_agent = "Player/1.0"`)+`
# What it signs with once the newest key is an hour old.
`+streamKeyBlock("data", "later",
			`activation_delay = securestream_secret.s.activation_delay`,
			`not_before = timeadd(securestream_secret.s.rotated_at, "1h")`,
			`playback_url = "https://video.example.com/live/a/index.m3u8"`, `client_ip = "198.51.100.7"`,
			`user_agent = "Player/1.0"`), fn, epoch)
	}
	var first, firstKid, secondKid string // a key minted before any rotation, the key ids
	req := func(now time.Time) streamkeyRequest {
		return streamkeyRequest{path: "/live/a/seg1.ts", host: "video.example.com", ip: "198.51.100.9", ua: "Player/1.0", now: now}
	}
	verifies := func(tok *string, wantErr string) resource.TestCheckFunc {
		return func(s *terraform.State) error {
			a, _ := attrs(s, "securestream_secret.s")
			v, err := e.verifier(a["ciphertext"], fn)
			if err != nil {
				return err
			}
			return wantVerdict(v, *tok, req(time.Now()), wantErr)
		}
	}
	hasKeys := func(want ...*string) resource.TestCheckFunc {
		return func(s *terraform.State) error {
			a, _ := attrs(s, "securestream_secret.s")
			in := map[string]bool{}
			for i := 0; a[fmt.Sprintf("keys.%d.kid", i)] != ""; i++ {
				in[a[fmt.Sprintf("keys.%d.kid", i)]] = true
			}
			for _, k := range want {
				if !in[*k] {
					return fmt.Errorf("key %s is not in the ring %v", *k, in)
				}
			}
			return nil
		}
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: factoriesWithClock(clock),
		CheckDestroy:             e.checkDestroyed,
		Steps: []resource.TestStep{
			{
				Config: cfg(1),
				Check: resource.ComposeTestCheckFunc(
					e.checkRing("securestream_secret.s", 1),
					resource.TestCheckResourceAttrPair("data.securestream_stream_key.now", "signing_key_id", "securestream_secret.s", "newest_key_id"),
					func(s *terraform.State) error {
						a, _ := attrs(s, "data.securestream_stream_key.now")
						first, firstKid = a["token"], a["signing_key_id"]
						return nil
					},
					verifies(&first, ""),
				),
			},
			{
				Config: cfg(2),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("securestream_secret.s", plancheck.ResourceActionUpdate),
						plancheck.ExpectUnknownValue("securestream_secret.s", tfjsonpath.New("ciphertext")),
						// The key that stays is known; the new one is not.
						plancheck.ExpectKnownValue("securestream_secret.s", tfjsonpath.New("keys").AtSliceIndex(0).AtMapKey("kid"), knownvalue.StringRegexp(kidRE)),
						plancheck.ExpectUnknownValue("securestream_secret.s", tfjsonpath.New("keys").AtSliceIndex(1)),
						plancheck.ExpectUnknownValue("securestream_secret.s", tfjsonpath.New("newest_key_id")),
						plancheck.ExpectUnknownValue("securestream_secret.s", tfjsonpath.New("rotated_at")),
						plancheck.ExpectKnownValue("securestream_secret.s", tfjsonpath.New("id"), knownvalue.NotNull()),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: resource.ComposeTestCheckFunc(
					e.checkRing("securestream_secret.s", 2),
					// The old key stays: keys minted before still work.
					verifies(&first, ""),
					// The new key is not an hour old: the issuer still signs
					// with the old one...
					func(s *terraform.State) error {
						a, _ := attrs(s, "data.securestream_stream_key.now")
						if a["signing_key_id"] != firstKid {
							return fmt.Errorf("right after the rotation the issuer signs with %s; want the previous key %s", a["signing_key_id"], firstKid)
						}
						return nil
					},
					// ...and with the new one an hour later.
					resource.TestCheckResourceAttrPair("data.securestream_stream_key.later", "signing_key_id", "securestream_secret.s", "newest_key_id"),
					resource.TestCheckResourceAttrPair("securestream_secret.s", "keys.0.kid", "data.securestream_stream_key.now", "signing_key_id"),
					capture("securestream_secret.s", "newest_key_id", &secondKid),
				),
			},
			{
				// Five minutes later, another rotation: the first key still
				// signs tokens (its successor is not an hour old), so it stays.
				PreConfig: func() { clock.advance(5 * time.Minute) },
				Config:    cfg(3),
				Check: resource.ComposeTestCheckFunc(
					e.checkRing("securestream_secret.s", 3),
					hasKeys(&firstKid, &secondKid),
					verifies(&first, ""),
				),
			},
			{
				// 3h02m after the first rotation: the first key's last token
				// (signed up to 1 h after it, living 2 h) has expired, so the
				// next rotation retires it. The second key's successor is
				// younger: it stays.
				PreConfig: func() { clock.advance(2*time.Hour + 57*time.Minute) },
				Config:    cfg(4),
				Check: resource.ComposeTestCheckFunc(
					e.checkRing("securestream_secret.s", 3),
					hasKeys(&secondKid),
					verifies(&first, "unknown_kid"),
				),
			},
		},
	})
}

// The edge function holds at most 8 keys: a rotation that would need more,
// because every previous key still has valid tokens, is refused at plan
// with the time it fits, and goes through at that time.
func TestAccSecret_ringFull(t *testing.T) {
	e := newAccEnv(t)
	clock := &testClock{}
	cfg := func(epoch int) string {
		return secretConfig(e, fmt.Sprintf("function_name = %q\nmax_token_lifetime = \"24h\"\nrotation_triggers = { epoch = \"%d\" }", name("issuer"), epoch))
	}
	steps := []resource.TestStep{{Config: cfg(1)}}
	for i := 2; i <= keyring.MaxKeys; i++ {
		steps = append(steps, resource.TestStep{PreConfig: func() { clock.advance(time.Hour) }, Config: cfg(i)})
	}
	steps[len(steps)-1].Check = e.checkRing("securestream_secret.s", keyring.MaxKeys)
	steps = append(steps,
		resource.TestStep{
			Config:      cfg(keyring.MaxKeys + 1),
			ExpectError: regexp.MustCompile(`(?s)The key ring cannot take another key yet.*rotation_triggers.*at\s+most\s+8.*next\s+rotation\s+fits\s+at`),
		},
		resource.TestStep{
			// Keys were made an hour apart (the 8th 7 h after the 1st). 10m +
			// 24h + 30s after the second key was made, the first key's
			// tokens have all expired; the second key's successor is an hour
			// younger.
			PreConfig: func() { clock.advance(18*time.Hour + 15*time.Minute) },
			Config:    cfg(keyring.MaxKeys + 1),
			Check:     e.checkRing("securestream_secret.s", keyring.MaxKeys),
		})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: factoriesWithClock(clock),
		CheckDestroy:             e.checkDestroyed,
		Steps:                    steps,
	})
}

// A rotation_triggers whose value is known only at apply may rotate: the plan
// shows the ring changing, and the apply rotates only if a value changed.
func TestAccSecret_rotateWhenUnknown(t *testing.T) {
	e := newAccEnv(t)
	fn := name("issuer")
	cfg := func(input, replace string) string {
		return e.provider() + fmt.Sprintf(`
resource "terraform_data" "epoch" {
  input            = %q
  triggers_replace = [%q]
}

resource "securestream_secret" "s" {
  function_name = %q
  rotation_triggers   = { epoch = terraform_data.epoch.output }
}
`, input, replace, fn)
	}
	var rotatedAt string
	ringChanges := plancheck.ExpectUnknownValue("securestream_secret.s", tfjsonpath.New("ciphertext"))
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             e.checkDestroyed,
		Steps: []resource.TestStep{
			{Config: cfg("1", "a"), Check: e.checkRing("securestream_secret.s", 1)},
			{
				// A new value: rotated.
				Config:           cfg("2", "a"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{ringChanges}},
				Check: resource.ComposeTestCheckFunc(e.checkRing("securestream_secret.s", 2),
					capture("securestream_secret.s", "rotated_at", &rotatedAt)),
			},
			{
				// Unknown in the plan, the same value at apply: not rotated.
				Config:           cfg("2", "b"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{ringChanges}},
				Check: resource.ComposeTestCheckFunc(e.checkRing("securestream_secret.s", 2),
					resource.TestCheckResourceAttrWith("securestream_secret.s", "rotated_at", func(v string) error {
						if v != rotatedAt {
							return fmt.Errorf("rotated_at moved from %s to %s", rotatedAt, v)
						}
						return nil
					})),
			},
		},
	})
}

// testAccRotationDays runs steps on a ring with rotation_days = 30 under a
// test clock, after a first step that creates it and captures its
// rotated_at.
func testAccRotationDays(t *testing.T, steps func(e *accEnv, clock *testClock, cfg string, rotatedAt *string) []resource.TestStep) {
	e := newAccEnv(t)
	clock := &testClock{}
	cfg := secretConfig(e, fmt.Sprintf("function_name = %q\nrotation_days = 30", name("issuer")))
	var rotatedAt string
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: factoriesWithClock(clock),
		CheckDestroy:             e.checkDestroyed,
		Steps: append([]resource.TestStep{{Config: cfg, Check: capture("securestream_secret.s", "rotated_at", &rotatedAt)}},
			steps(e, clock, cfg, &rotatedAt)...),
	})
}

// rotation_days rotates at the first plan once the newest key is that old.
func TestAccSecret_rotationDays(t *testing.T) {
	testAccRotationDays(t, func(e *accEnv, clock *testClock, cfg string, rotatedAt *string) []resource.TestStep {
		return []resource.TestStep{
			{
				PreConfig:        func() { clock.advance(29 * 24 * time.Hour) },
				Config:           cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
			{
				PreConfig: func() { clock.advance(2 * 24 * time.Hour) },
				Config:    cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("securestream_secret.s", plancheck.ResourceActionUpdate),
						plancheck.ExpectUnknownValue("securestream_secret.s", tfjsonpath.New("rotated_at")),
						plancheck.ExpectUnknownValue("securestream_secret.s", tfjsonpath.New("ciphertext")),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: resource.ComposeTestCheckFunc(
					e.checkRing("securestream_secret.s", 2),
					func(s *terraform.State) error {
						a, _ := attrs(s, "securestream_secret.s")
						before, _ := time.Parse(time.RFC3339, *rotatedAt)
						after, err := time.Parse(time.RFC3339, a["rotated_at"])
						if err != nil || after.Sub(before) < 31*24*time.Hour {
							return fmt.Errorf("rotated_at %s after %s; want 31 days later", a["rotated_at"], *rotatedAt)
						}
						return nil
					},
				),
			},
		}
	})
}

// A plan saved before the rotation_days boundary and applied after it
// does what it showed (on 8ec92d4: "Provider produced inconsistent final
// plan"): the decision was taken at the refresh before the plan. The next
// plan rotates.
func TestAccSecret_savedPlanAcrossRotationDay(t *testing.T) {
	testAccRotationDays(t, func(e *accEnv, clock *testClock, cfg string, rotatedAt *string) []resource.TestStep {
		return []resource.TestStep{
			{
				// Planned a minute before the day; applied (the saved plan)
				// two minutes later, after it.
				PreConfig: func() { clock.advance(30*24*time.Hour - time.Minute) },
				Config:    cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectEmptyPlan(),
					advanceClock{clock, 2 * time.Minute},
				}},
				Check: resource.TestCheckResourceAttrPtr("securestream_secret.s", "rotated_at", rotatedAt),
				// The refresh after the apply finds the rotation due.
				ExpectNonEmptyPlan: true,
			},
			{
				Config: cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("securestream_secret.s", plancheck.ResourceActionUpdate),
					plancheck.ExpectUnknownValue("securestream_secret.s", tfjsonpath.New("rotated_at")),
				}},
				Check: e.checkRing("securestream_secret.s", 2),
			},
		}
	})
}

// advanceClock is a plan check that moves the test's clock: between a
// plan and the apply of the saved plan.
type advanceClock struct {
	clock *testClock
	by    time.Duration
}

func (a advanceClock) CheckPlan(_ context.Context, _ plancheck.CheckPlanRequest, _ *plancheck.CheckPlanResponse) {
	a.clock.advance(a.by)
}

// The rotation rules: rotation_days judged at the time of the last
// refresh, and changed rotation_triggers.
func TestRotationRules(t *testing.T) {
	rotated := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	state := nullSecretModel()
	state.RotatedAt = types.StringValue(rotated.Format(time.RFC3339))
	when := func(v string) types.Map {
		m, _ := types.MapValue(types.StringType, map[string]attr.Value{"x": types.StringValue(v)})
		return m
	}
	for _, c := range []struct {
		name string
		days types.Int64
		when types.Map
		at   time.Time
		want bool
	}{
		{"no rule", types.Int64Null(), types.MapNull(types.StringType), rotated.AddDate(1, 0, 0), false},
		{"not yet", types.Int64Value(30), types.MapNull(types.StringType), rotated.AddDate(0, 0, 29), false},
		{"due", types.Int64Value(30), types.MapNull(types.StringType), rotated.AddDate(0, 0, 30), true},
		{"trigger first set (or imported)", types.Int64Null(), when("a"), rotated, false},
		{"trigger changed", types.Int64Null(), when("b"), rotated, true},
		{"trigger unchanged", types.Int64Null(), when("a"), rotated, false},
		{"trigger removed", types.Int64Null(), types.MapNull(types.StringType), rotated, false},
		{"trigger unknown", types.Int64Null(), types.MapUnknown(types.StringType), rotated, false},
	} {
		plan, prior := state, state
		if strings.HasPrefix(c.name, "trigger") && !strings.Contains(c.name, "first set") {
			prior.RotationTriggers = when("a")
		}
		plan.RotationDays, plan.RotationTriggers = c.days, c.when
		due, _ := dueByDays(plan, prior, c.at)
		if got := due || triggersChanged(plan, prior); got != c.want {
			t.Errorf("%s: rotates = %v; want %v", c.name, got, c.want)
		}
	}
}
