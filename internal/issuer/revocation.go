package issuer

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	kvs "github.com/aws/aws-sdk-go-v2/service/cloudfrontkeyvaluestore"
	kvstypes "github.com/aws/aws-sdk-go-v2/service/cloudfrontkeyvaluestore/types"
	smithyendpoints "github.com/aws/smithy-go/endpoints"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Revocations live in a CloudFront KeyValueStore that the edge function
// reads: key "r:<session id>", value the entry's expiry in decimal Unix
// seconds, after which no key of the session can pass the edge and the
// entry may be pruned.

const (
	revocationPrefix = "r:"
	// kvsBatch is the most keys one UpdateKeys may carry (more is
	// ServiceQuotaExceededException).
	kvsBatch = 50
	// maxPrunePages bounds the ListKeys pages one write reads looking
	// for expired entries: 100 pages of 50 keys.
	maxPrunePages = 100
	// writeAttempts bounds the tries of a write whose ETag went stale
	// (another writer came first); the waits between them start at
	// firstWriteBackoff and double, with jitter.
	writeAttempts     = 5
	firstWriteBackoff = 100 * time.Millisecond
)

// NewKVSClient is the data-plane (cloudfront-keyvaluestore) client of the
// revocation store, from the same AWS configuration as KMS's. An endpoint
// configured for it as for any AWS service (AWS_ENDPOINT_URL_CLOUDFRONT_KEYVALUESTORE,
// or AWS_ENDPOINT_URL) is used as it is: the SDK's rules would put the
// store's account id in front of its host (http://123456789012.127.0.0.1:4566/),
// which reaches no local stack. Signing stays SigV4A, as on AWS.
func NewKVSClient(cfg aws.Config, optFns ...func(*kvs.Options)) *kvs.Client {
	verbatim := func(o *kvs.Options) {
		if o.BaseEndpoint == nil || *o.BaseEndpoint == "" {
			return
		}
		if u, err := url.Parse(*o.BaseEndpoint); err == nil && u.Host != "" {
			o.EndpointResolverV2 = verbatimEndpoint{url: *u, rules: kvs.NewDefaultEndpointResolverV2()}
		}
	}
	return kvs.NewFromConfig(cfg, append([]func(*kvs.Options){verbatim}, optFns...)...)
}

// verbatimEndpoint resolves every call to url, with the signing
// properties the service's rules give.
type verbatimEndpoint struct {
	url   url.URL
	rules kvs.EndpointResolverV2
}

func (v verbatimEndpoint) ResolveEndpoint(ctx context.Context, p kvs.EndpointParameters) (smithyendpoints.Endpoint, error) {
	p.Endpoint = nil
	e, err := v.rules.ResolveEndpoint(ctx, p)
	if err != nil {
		return e, err
	}
	e.URI = v.url
	return e, nil
}

// kvsCallError is a failed call to the store, naming the call, the store
// and the likely fix.
type kvsCallError struct {
	call, arn string
	err       error
}

func (e *kvsCallError) Error() string {
	fix := ""
	var denied *kvstypes.AccessDeniedException
	var missing *kvstypes.ResourceNotFoundException
	var quota *kvstypes.ServiceQuotaExceededException
	switch {
	case errors.As(e.err, &denied):
		fix = "; give the issuer's role cloudfront-keyvaluestore:DescribeKeyValueStore, GetKey, ListKeys and UpdateKeys on the store"
	case errors.As(e.err, &missing):
		fix = "; SECURESTREAM_REVOCATION_KVS_ARN names no store (deleted, or in another account)"
	case errors.As(e.err, &quota):
		fix = "; the store is full (5 MB): wait for revocations to expire, or delete some"
	case stale(e.err):
		fix = "; other writers kept changing the store: try again"
	}
	return fmt.Sprintf("cloudfront-keyvaluestore:%s on %s: %v%s", e.call, e.arn, e.err, fix)
}

func (e *kvsCallError) Unwrap() error { return e.err }

// stale reports whether err is a write refused for a stale ETag.
func stale(err error) bool {
	var conflict *kvstypes.ConflictException
	if errors.As(err, &conflict) {
		return true
	}
	var re *smithyhttp.ResponseError
	return errors.As(err, &re) && (re.HTTPStatusCode() == 409 || re.HTTPStatusCode() == 412)
}

// revocationStore reads and writes the revocations of one store.
type revocationStore struct {
	client *kvs.Client
	arn    string
	now    func() time.Time
	sleep  func(context.Context, time.Duration) error
}

// revocationValue is the value of an entry that lasts until t, rounded
// up to a whole second.
func revocationValue(t time.Time) string {
	s := t.Unix()
	if t.After(time.Unix(s, 0)) {
		s++
	}
	return strconv.FormatInt(s, 10)
}

// parseRevocationValue reads a value: decimal Unix seconds, nothing else.
func parseRevocationValue(v string) (int64, bool) {
	if v == "" || len(v) > 18 || strings.TrimLeft(v, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	return n, err == nil
}

// revokedUntil says whether sid is revoked now, and until when.
func (s *revocationStore) revokedUntil(ctx context.Context, sid string) (time.Time, bool, error) {
	exp, found, err := s.get(ctx, revocationPrefix+sid)
	if err != nil || !found {
		return time.Time{}, false, err
	}
	return time.Unix(exp, 0).UTC(), s.now().Unix() < exp, nil
}

// get reads an entry; a missing key is found=false.
func (s *revocationStore) get(ctx context.Context, key string) (exp int64, found bool, err error) {
	out, err := s.client.GetKey(ctx, &kvs.GetKeyInput{KvsARN: aws.String(s.arn), Key: aws.String(key)})
	var missing *kvstypes.ResourceNotFoundException
	if errors.As(err, &missing) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, &kvsCallError{"GetKey", s.arn, err}
	}
	exp, ok := parseRevocationValue(aws.ToString(out.Value))
	if !ok {
		return 0, true, fmt.Errorf("cloudfront-keyvaluestore:GetKey on %s: the value of %s is not decimal Unix seconds", s.arn, key)
	}
	return exp, true, nil
}

// writeResult is what a write did.
type writeResult struct {
	// removed: an un-revoke found the entry and deleted it.
	removed bool
	// pruned is the number of expired entries deleted with it.
	pruned int
	// attempts is the number of tries (more than 1 after stale ETags).
	attempts int
}

// revoke writes sid's entry, lasting until until, or (revoke false)
// deletes it; either way with as many expired entries as fit in the call.
// A stale ETag is retried with backoff, writeAttempts times in all.
func (s *revocationStore) write(ctx context.Context, sid string, revoke bool, until time.Time) (writeResult, error) {
	wait := firstWriteBackoff
	for attempt := 1; ; attempt++ {
		res, err := s.writeOnce(ctx, sid, revoke, until)
		res.attempts = attempt
		if err == nil || !stale(err) || attempt == writeAttempts {
			return res, err
		}
		// Jitter spreads writers that collided.
		if err := s.sleep(ctx, wait/2+rand.N(wait/2+1)); err != nil { //nolint:gosec // jitter, not a secret
			return res, err
		}
		wait *= 2
	}
}

func (s *revocationStore) writeOnce(ctx context.Context, sid string, revoke bool, until time.Time) (writeResult, error) {
	var res writeResult
	// The ETag is the store's version: from the data plane's Describe
	// (the control plane's differs), read first, so that anything written
	// after it makes UpdateKeys fail rather than be overwritten.
	d, err := s.client.DescribeKeyValueStore(ctx, &kvs.DescribeKeyValueStoreInput{KvsARN: aws.String(s.arn)})
	if err != nil {
		return res, &kvsCallError{"DescribeKeyValueStore", s.arn, err}
	}
	key := revocationPrefix + sid
	var puts []kvstypes.PutKeyRequestListItem
	var deletes []kvstypes.DeleteKeyRequestListItem
	if revoke {
		puts = append(puts, kvstypes.PutKeyRequestListItem{Key: aws.String(key), Value: aws.String(revocationValue(until))})
	} else {
		// Only a key that is there is deleted: deleting a missing one is
		// not documented to succeed.
		_, found, err := s.get(ctx, key)
		var call *kvsCallError
		if err != nil && errors.As(err, &call) {
			return res, err
		}
		if found {
			deletes = append(deletes, kvstypes.DeleteKeyRequestListItem{Key: aws.String(key)})
			res.removed = true
		}
	}
	expired, err := s.expired(ctx, key, kvsBatch-len(puts)-len(deletes))
	if err != nil {
		return res, err
	}
	deletes = append(deletes, expired...)
	if len(puts)+len(deletes) == 0 {
		return res, nil
	}
	_, err = s.client.UpdateKeys(ctx, &kvs.UpdateKeysInput{KvsARN: aws.String(s.arn), IfMatch: d.ETag, Puts: puts, Deletes: deletes})
	if err != nil {
		return writeResult{}, &kvsCallError{"UpdateKeys", s.arn, err}
	}
	res.pruned = len(expired)
	return res, nil
}

// expired lists up to n expired revocation entries other than skip,
// reading at most maxPrunePages pages. Keys without the prefix, and
// values that are not a revocation's, are someone else's: left alone.
func (s *revocationStore) expired(ctx context.Context, skip string, n int) ([]kvstypes.DeleteKeyRequestListItem, error) {
	var out []kvstypes.DeleteKeyRequestListItem
	now := s.now().Unix()
	var token *string
	for page := 0; page < maxPrunePages && len(out) < n; page++ {
		l, err := s.client.ListKeys(ctx, &kvs.ListKeysInput{KvsARN: aws.String(s.arn), MaxResults: aws.Int32(kvsBatch), NextToken: token})
		if err != nil {
			return nil, &kvsCallError{"ListKeys", s.arn, err}
		}
		for _, it := range l.Items {
			k := aws.ToString(it.Key)
			if len(out) == n || !strings.HasPrefix(k, revocationPrefix) || k == skip {
				continue
			}
			if exp, ok := parseRevocationValue(aws.ToString(it.Value)); ok && exp <= now {
				out = append(out, kvstypes.DeleteKeyRequestListItem{Key: aws.String(k)})
			}
		}
		if token = l.NextToken; aws.ToString(token) == "" {
			break
		}
	}
	return out, nil
}
