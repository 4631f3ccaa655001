package cloudfront

import (
	"maps"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/cfruntime"
)

// CloudFront KeyValueStore: one registry that the control plane (the
// CloudFront API, XML, by name: kvs_control.go) and the data plane (the
// cloudfront-keyvaluestore API, JSON, by ARN: kvs_data.go) share, and
// that the edge reads (kvsFor).

// KeyValueStore quotas (DG:cloudfront-limits.html).
const (
	maxKVSPerAccount   = 50
	maxKVSKeyBytes     = cfruntime.MaxKVSKeyBytes   // 512
	maxKVSValueBytes   = cfruntime.MaxKVSValueBytes // 1 KB
	maxKVSBytes        = cfruntime.MaxKVSBytes      // 5 MB
	maxUpdateKeysItems = 50                         // Puts + Deletes in one UpdateKeys
	// maxKVSVersions bounds the earlier contents a store keeps for edge
	// locations that have not learned its latest writes
	// (Config.KVSPropagationDelay): beyond it the oldest are dropped, and
	// a location that lags further is served the oldest kept.
	maxKVSVersions = 256
)

// kvStore is a KeyValueStore.
type kvStore struct {
	Name    string `json:"name"`
	ID      string `json:"id"`
	ARN     string `json:"arn"`
	Comment string `json:"comment"`
	// ETag and Modified are the control plane's (UpdateKeyValueStore
	// changes them); the data plane has its own ETag, DataETag, which
	// every write of a key changes (the two differ at AWS too).
	ETag     string    `json:"etag"`
	Created  time.Time `json:"created"`
	Modified time.Time `json:"modified"`
	DataETag string    `json:"dataEtag"`
	// Data is the store's contents; Earlier are earlier contents that
	// edge locations may still read, oldest first.
	Data    *kvsContents   `json:"data"`
	Earlier []*kvsContents `json:"earlier,omitempty"`
}

// kvsContents is a store's contents as of one write. It is never changed
// once made: a write makes new contents.
type kvsContents struct {
	Items map[string]string `json:"items"`
	// Since is when the write that made them was made.
	Since time.Time `json:"since"`

	once sync.Once
	kvs  *cfruntime.KVS
}

// size is TotalSizeInBytes: the keys' and values' bytes.
func (c *kvsContents) size() int64 {
	var n int64
	for k, v := range c.Items {
		n += int64(len(k) + len(v))
	}
	return n
}

// runtime returns the contents as the store cf.kvs() reads, made once.
func (c *kvsContents) runtime(st *kvStore) *cfruntime.KVS {
	c.once.Do(func() {
		data := make(map[string][]byte, len(c.Items))
		for k, v := range c.Items {
			data[k] = []byte(v)
		}
		c.kvs = cfruntime.NewKVSFrom(st.ID, data, st.Created, c.Since)
	})
	return c.kvs
}

func contentsSince(c *kvsContents) time.Time { return c.Since }

func (s *Server) kvsARN(id string) string {
	return "arn:aws:cloudfront::" + s.cfg.AccountID + ":key-value-store/" + id
}

// kvsByARN finds a store by its ARN. s.mu must be held.
func (s *Server) kvsByARN(arn string) *kvStore {
	for _, st := range s.kvs {
		if st.ARN == arn {
			return st
		}
	}
	return nil
}

// kvsUsers returns the names of the functions whose configuration, in any
// stage the edge may still run, associates the store arn. s.mu must be
// held.
func (s *Server) kvsUsers(arn string) []string {
	var names []string
	for _, name := range slices.Sorted(maps.Keys(s.functions)) {
		f := s.functions[name]
		stages := append([]*stage{f.Dev, f.Live}, f.Earlier...)
		for _, st := range stages {
			if st != nil && slices.Contains(st.KVS, arn) {
				names = append(names, name)
				break
			}
		}
	}
	return names
}

// checkKVSAssociations checks that every store a function's configuration
// associates exists. s.mu must be held. AWS's answer to an ARN of no
// store is not documented (CreateFunction and UpdateFunction list
// neither EntityNotFound nor NoSuchKeyValueStore): InvalidArgument, the
// error both list for a bad configuration, is what is answered here
// (UNVERIFIED on AWS).
func (s *Server) checkKVSAssociations(st *stage) error {
	for _, arn := range st.KVS {
		if s.kvsByARN(arn) == nil {
			return errInvalidArgument("the key value store %s in KeyValueStoreAssociations does not exist in account %s: create it (CreateKeyValueStore) first, or associate an existing store's ARN", arn, s.cfg.AccountID)
		}
	}
	return nil
}

// kvsHorizon is the time up to which every edge location has learned the
// stores' writes.
func (s *Server) kvsHorizon() time.Time {
	return s.now().Add(-max(s.cfg.KVSPropagationDelay, 0))
}

// kvsCutoff is, for one edge request, the time up to which its edge
// location has learned the stores' writes (Config.KVSPropagationDelay,
// spread as Config.PropagationSpread says).
func (s *Server) kvsCutoff() time.Time {
	lag := max(s.cfg.KVSPropagationDelay, 0)
	if lag > 0 && s.cfg.PropagationSpread {
		lag = time.Duration(rand.Int64N(int64(lag) + 1))
	}
	return s.now().Add(-lag)
}

// kvsFor returns what cf.kvs() reads for a function stage that
// associates arns, at an edge location that learned the writes made up
// to cutoff: nil when the stage associates no store (or the store is
// gone). s.mu must be held.
func (s *Server) kvsFor(arns []string, cutoff time.Time) *cfruntime.KVS {
	if len(arns) == 0 {
		return nil
	}
	st := s.kvsByARN(arns[0])
	if st == nil {
		return nil
	}
	if err := s.kvsFail[st.Name]; err != nil {
		failing := cfruntime.NewKVSFrom(st.ID, nil, st.Created, st.Data.Since)
		failing.FailReads(err)
		return failing
	}
	return servedAt(st.Earlier, contentsSince, st.Data, cutoff).runtime(st)
}

// writeContents makes items the store's contents, keeping the ones they
// replace for the edge locations that have not learned the write, and
// gives the store a new data-plane ETag. s.mu must be held.
func (s *Server) writeContents(st *kvStore, items map[string]string) {
	now := s.now().UTC()
	earlier := append(slices.Clip(st.Earlier), st.Data)
	st.Data = &kvsContents{Items: items, Since: now}
	st.Earlier = servable(earlier, contentsSince, now, s.kvsHorizon())
	if n := len(st.Earlier) - maxKVSVersions; n > 0 {
		st.Earlier = slices.Clone(st.Earlier[n:])
	}
	st.DataETag = newID()
}

// FailKVSReads makes every read the edge's functions make of the store
// name (cf.kvs() get, exists, meta) reject with err, as a store the edge
// cannot read; nil makes reads work again. The data plane is unaffected.
// For end-to-end tests of a function's fail-open or fail-closed handling
// (cfruntime.KVS.FailReads is the same for a function run directly).
func (s *Server) FailKVSReads(name string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.kvsFail == nil {
		s.kvsFail = map[string]error{}
	}
	s.kvsFail[name] = err
}
