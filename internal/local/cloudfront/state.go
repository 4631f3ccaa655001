package cloudfront

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log"
	"os"
	"path/filepath"
	"reflect"
	"slices"
)

// state is what Config.StateFile holds.
type state struct {
	Functions               map[string]*function              `json:"functions"`
	Distributions           map[string]*distribution          `json:"distributions"`
	OriginAccessControls    map[string]*originAccessControl   `json:"originAccessControls,omitempty"`
	ResponseHeadersPolicies map[string]*responseHeadersPolicy `json:"responseHeadersPolicies,omitempty"`
	KeyValueStores          map[string]*kvStore               `json:"keyValueStores,omitempty"`
}

// load reads Config.StateFile, if set and present.
func (s *Server) load() error {
	if s.cfg.StateFile == "" {
		return nil
	}
	b, err := os.ReadFile(s.cfg.StateFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("local cloudfront: reading the state file: %w", err)
	}
	var st state
	if err := json.Unmarshal(b, &st); err != nil {
		return fmt.Errorf("local cloudfront: the state file %s is not valid (%v); move it away to start empty", s.cfg.StateFile, err)
	}
	for id, d := range st.Distributions {
		if d.Raw == nil {
			return fmt.Errorf("local cloudfront: the state file %s has distribution %s without its configuration; move the file away to start empty", s.cfg.StateFile, id)
		}
		if d.cfg, err = decodeConfig(withDefaults(d.Raw)); err != nil {
			return fmt.Errorf("local cloudfront: the state file %s: distribution %s: %v", s.cfg.StateFile, id, err)
		}
		for _, e := range d.Earlier {
			if e == nil || e.Raw == nil {
				return fmt.Errorf("local cloudfront: the state file %s has an earlier configuration of distribution %s without its content; move the file away to start empty", s.cfg.StateFile, id)
			}
			if e.cfg, err = decodeConfig(e.Raw); err != nil {
				return fmt.Errorf("local cloudfront: the state file %s: distribution %s, earlier configuration: %v", s.cfg.StateFile, id, err)
			}
		}
	}
	for name, f := range st.Functions {
		if f == nil || f.Dev == nil || slices.Contains(f.Earlier, nil) {
			return fmt.Errorf("local cloudfront: the state file %s has function %s without its code; move the file away to start empty", s.cfg.StateFile, name)
		}
	}
	for name, kv := range st.KeyValueStores {
		if kv == nil || kv.Data == nil || kv.Data.Items == nil || slices.Contains(kv.Earlier, nil) {
			return fmt.Errorf("local cloudfront: the state file %s has key value store %s without its contents; move the file away to start empty", s.cfg.StateFile, name)
		}
	}
	if err := oacKind.load(s, st.OriginAccessControls); err != nil {
		return err
	}
	if err := rhpKind.load(s, st.ResponseHeadersPolicies); err != nil {
		return err
	}
	if st.Functions != nil {
		s.functions = st.Functions
	}
	if st.Distributions != nil {
		s.dists = st.Distributions
	}
	if st.KeyValueStores != nil {
		s.kvs = st.KeyValueStores
	}
	return nil
}

// saveLocked rewrites Config.StateFile, atomically (a crash leaves the
// old file). A failure is logged: the change stands in memory. s.mu must
// be held.
func (s *Server) saveLocked() {
	if s.cfg.StateFile == "" {
		return
	}
	b, err := json.MarshalIndent(state{Functions: s.functions, Distributions: s.dists, OriginAccessControls: s.oacs, ResponseHeadersPolicies: s.rhps, KeyValueStores: s.kvs}, "", " ")
	if err == nil {
		tmp := s.cfg.StateFile + ".tmp"
		if err = os.WriteFile(tmp, b, 0o600); err == nil {
			err = os.Rename(tmp, filepath.Clean(s.cfg.StateFile))
		}
	}
	if err != nil {
		log.Printf("local cloudfront: saving the state to %s: %v (the change is kept in memory only)", s.cfg.StateFile, err)
	}
}

// load keeps the policies of this kind a state file holds, each checked
// and its configuration decoded.
func (k *policyKind[C]) load(s *Server, kept map[string]*keptPolicy[C]) error {
	for id, p := range kept {
		if p == nil || p.Raw == nil {
			return fmt.Errorf("local cloudfront: the state file %s has %s %s without its configuration; move the file away to start empty", s.cfg.StateFile, k.noun, id)
		}
		p.cfg = new(C)
		if err := p.Raw.decode(reflect.ValueOf(p.cfg).Elem(), k.root+"Config"); err != nil {
			return fmt.Errorf("local cloudfront: the state file %s: %s %s: %v", s.cfg.StateFile, k.noun, id, err)
		}
		k.kept(s)[id] = p
	}
	return nil
}
