package stack

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cfsdk "github.com/aws/aws-sdk-go-v2/service/cloudfront"

	"github.com/securestream/terraform-provider-securestream/internal/local/api"
	"github.com/securestream/terraform-provider-securestream/internal/local/emulators"
)

// Endpoints is where each part of the running stack answers, as make
// local writes it for scripts (-endpoints, .local/endpoints.json).
type Endpoints struct {
	// PID is the process that runs the stack: the file is stale once it
	// has exited (make local removes the file when it stops).
	PID int `json:"pid"`
	// Moto is moto_server's URL (the provider's endpoint); empty without.
	Moto string `json:"moto,omitempty"`
	// CloudFront is the local CloudFront's control plane
	// (endpoints.cloudfront); Edge its shared edge.
	CloudFront string `json:"cloudfront"`
	Edge       string `json:"edge"`
	// CloudFrontKeyValueStore is the cloudfront-keyvaluestore data plane
	// (the control plane's listener, paths /key-value-stores/...). The
	// SDK's BaseEndpoint does not reach it (the client puts the store's
	// account id in front of the host): use an endpoint resolver that
	// returns this URL (cloudfront.KVSEndpointResolver in Go).
	CloudFrontKeyValueStore string `json:"cloudfrontKeyValueStore"`
	// API is the local API's URL; empty without.
	API string `json:"api,omitempty"`
	// Issuers is what the local API serves: each issuer (and any other
	// API or function URL in moto) at its local URL.
	Issuers []api.Entry `json:"issuers"`
	// Distributions maps each distribution's id to the edge listener of
	// its own.
	Distributions map[string]string `json:"distributions"`
}

// Endpoints reads what the stack serves now: the local API's entries
// from moto and the distributions from the local CloudFront.
func (s *Stack) Endpoints(ctx context.Context) (Endpoints, error) {
	e := Endpoints{PID: os.Getpid(), Moto: s.MotoURL, Issuers: []api.Entry{}, Distributions: map[string]string{}}
	if s.CloudFront == nil {
		return e, nil
	}
	e.CloudFront, e.Edge, e.CloudFrontKeyValueStore = s.CloudFront.Endpoint, s.CloudFront.EdgeEndpoint, s.CloudFront.Endpoint
	if s.API != nil {
		e.API = s.API.URL
		entries, err := s.API.Entries(ctx)
		if err != nil {
			return e, err
		}
		e.Issuers = append(e.Issuers, entries...)
	}
	client := cfsdk.NewFromConfig(emulators.SDKConfig(s.CloudFront.Endpoint))
	pages := cfsdk.NewListDistributionsPaginator(client, &cfsdk.ListDistributionsInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return e, fmt.Errorf("cloudfront ListDistributions (local CloudFront at %s): %w", s.CloudFront.Endpoint, err)
		}
		if page.DistributionList == nil {
			break
		}
		for _, d := range page.DistributionList.Items {
			id := aws.ToString(d.Id)
			if u := s.CloudFront.EdgeURL(id); u != "" {
				e.Distributions[id] = u
			}
		}
	}
	return e, nil
}

// Watch reads the stack's endpoints every interval until ctx ends, and
// calls changed with them first and whenever they change. A failed read
// (moto busy or stopping) is skipped.
func (s *Stack) Watch(ctx context.Context, every time.Duration, changed func(Endpoints)) {
	var last *Endpoints
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if cur, err := s.Endpoints(ctx); err == nil && (last == nil || !reflect.DeepEqual(cur, *last)) {
			last = &cur
			changed(cur)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Changes are the lines that say what appeared, moved or went between
// two readings: "issuer <name> → <url>" for each issuer (and API or
// function URL) new or at a new URL, "issuer <name> is gone (<url>)" for
// each one gone.
func Changes(prev, cur Endpoints) []string {
	var lines []string
	was := map[string]api.Entry{}
	for _, e := range prev.Issuers {
		was[e.URL] = e
	}
	now := map[string]bool{}
	for _, e := range cur.Issuers {
		now[e.URL] = true
		if _, ok := was[e.URL]; !ok {
			lines = append(lines, fmt.Sprintf("%s → %s", label(e), e.URL))
		}
	}
	for _, e := range prev.Issuers {
		if !now[e.URL] {
			lines = append(lines, fmt.Sprintf("%s is gone (%s)", label(e), e.URL))
		}
	}
	return lines
}

func label(e api.Entry) string {
	switch {
	case e.Issuer:
		return "issuer " + e.Name
	case e.Kind == "function_url":
		return "function URL of " + e.Name
	default:
		return "API " + e.Name + " (" + e.ID + ")"
	}
}

// WriteEndpoints writes e to path as JSON, atomically (a reader sees the
// old file or the new one, never a part).
func WriteEndpoints(path string, e Endpoints) error {
	b, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("writing the endpoints: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("writing the endpoints: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("writing the endpoints: %w", err)
	}
	return nil
}
