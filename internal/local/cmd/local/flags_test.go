package main

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/local/cloudfront"
)

// The flags reach the local CloudFront's configuration: by default it is
// faithful (InProgress for DefaultDeployDelay, an unchanged publish
// refused), -deploy-delay 0 deploys at once, -lenient-publish accepts an
// unchanged publish.
func TestFlagsReachTheCloudFrontConfig(t *testing.T) {
	for _, tc := range []struct {
		args          []string
		delay         time.Duration
		instant, lenc bool
	}{
		{nil, cloudfront.DefaultDeployDelay, false, false},
		{[]string{"-deploy-delay", "0"}, 0, true, false},
		{[]string{"-deploy-delay", "45s"}, 45 * time.Second, false, false},
		{[]string{"-lenient-publish"}, cloudfront.DefaultDeployDelay, false, true},
		{[]string{"-deploy-delay=0", "-lenient-publish", "-state", "s.json"}, 0, true, true},
	} {
		o, _, err := parseFlags(tc.args)
		if err != nil {
			t.Fatalf("%q: %v", tc.args, err)
		}
		cf := o.CloudFront
		if cf.DeployDelay != tc.delay || cf.InstantDeploy != tc.instant || cf.LenientPublish != tc.lenc {
			t.Errorf("%q: DeployDelay %s, InstantDeploy %t, LenientPublish %t; want %s, %t, %t",
				tc.args, cf.DeployDelay, cf.InstantDeploy, cf.LenientPublish, tc.delay, tc.instant, tc.lenc)
		}
		if want := deployments(cf); !strings.Contains(want, map[bool]string{true: "at once after", false: "InProgress for " + tc.delay.String()}[tc.instant]) {
			t.Errorf("%q: the banner says deployments are %q", tc.args, want)
		}
	}
	if o, _, _ := parseFlags([]string{"-state", "s.json"}); o.CloudFront.StateFile != "s.json" {
		t.Errorf("-state s.json: StateFile %q", o.CloudFront.StateFile)
	}
	if _, _, err := parseFlags([]string{"-deploy-delay", "-1s"}); err == nil || !strings.Contains(err.Error(), "-deploy-delay -1s") {
		t.Errorf("-deploy-delay -1s: %v; want an error that names it", err)
	}
	if _, _, err := parseFlags([]string{"-deploy-delay", "soon"}); !errors.Is(err, errUsage) {
		t.Errorf("-deploy-delay soon: %v; want the usage", err)
	}
}

// -kvs-propagation-delay reaches Config.KVSPropagationDelay; by default
// writes are read at once, and a negative delay is refused, named.
func TestKVSPropagationFlag(t *testing.T) {
	if o, _, err := parseFlags(nil); err != nil || o.CloudFront.KVSPropagationDelay != 0 {
		t.Fatalf("default: %v, KVSPropagationDelay %s; want 0", err, o.CloudFront.KVSPropagationDelay)
	}
	if o, _, err := parseFlags([]string{"-kvs-propagation-delay", "15s"}); err != nil || o.CloudFront.KVSPropagationDelay != 15*time.Second {
		t.Fatalf("-kvs-propagation-delay 15s: %v, KVSPropagationDelay %s", err, o.CloudFront.KVSPropagationDelay)
	}
	if _, _, err := parseFlags([]string{"-kvs-propagation-delay", "-1s"}); err == nil || !strings.Contains(err.Error(), "-kvs-propagation-delay -1s") {
		t.Fatalf("-kvs-propagation-delay -1s: %v; want an error that names it", err)
	}
}
