// Package keyring is the key ring document: the plaintext that KMS keeps
// encrypted, that the provider writes and the issuer and the edge-function
// renderer read. It never appears in Terraform state or in logs; only its
// KMS ciphertext does.
package keyring

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/streamkey"
)

// Version is the document format version.
const Version = 1

// Document is the key ring as JSON:
//
//	{"version":1,"keys":[{"kid":"k20260101a","secret":"<base64>","created":"2026-01-01T00:00:00Z"}]}
type Document struct {
	Version int
	Keys    []Key
}

// Key is one key of the ring: the token format's key (one type for the
// document, the verifier and the edge function).
type Key = streamkey.Key

// wireKey is a key as the JSON document spells it.
type wireKey struct {
	ID      string    `json:"kid"`
	Secret  []byte    `json:"secret"` // base64 in JSON
	Created time.Time `json:"created"`
	// Seed marks the secret of an original (blog post) deployment.
	Seed bool `json:"seed,omitempty"`
}

type wireDocument struct {
	Version int       `json:"version"`
	Keys    []wireKey `json:"keys"`
}

// Parse reads and checks a document.
func Parse(b []byte) (*Document, error) {
	var w wireDocument
	if err := json.Unmarshal(b, &w); err != nil {
		return nil, fmt.Errorf("keyring: the key ring is not a JSON document: %w", err)
	}
	if w.Version != Version {
		return nil, fmt.Errorf("keyring: key ring version %d is not supported (want %d)", w.Version, Version)
	}
	d := &Document{Version: w.Version}
	for _, k := range w.Keys {
		d.Keys = append(d.Keys, Key{ID: k.ID, Secret: k.Secret, Created: k.Created, Seed: k.Seed})
	}
	if _, err := d.Ring(); err != nil {
		return nil, err
	}
	return d, nil
}

// Marshal encodes the document.
func (d *Document) Marshal() ([]byte, error) {
	if d.Version == 0 {
		d.Version = Version
	}
	if _, err := d.Ring(); err != nil {
		return nil, err
	}
	w := wireDocument{Version: d.Version}
	for _, k := range d.Keys {
		w.Keys = append(w.Keys, wireKey{ID: k.ID, Secret: k.Secret, Created: k.Created, Seed: k.Seed})
	}
	return json.Marshal(w)
}

// Ring builds the verification and minting ring.
func (d *Document) Ring() (*streamkey.Ring, error) {
	if len(d.Keys) == 0 {
		return nil, errors.New("keyring: the key ring holds no key")
	}
	r, err := streamkey.NewRing(d.Keys...)
	if err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	return r, nil
}

// SeedKeyID is the id of the original deployment's secret in a ring.
const SeedKeyID = "seed"

// Seed returns the original (blog post) deployment's key, if the ring has
// one. It verifies seed-format keys only and never signs ss1 tokens.
func (d *Document) Seed() (Key, bool) {
	for _, k := range d.Keys {
		if k.Seed {
			return k, true
		}
	}
	return Key{}, false
}

// SetSeed puts the original deployment's secret into the ring, replacing
// any seed key it had; an empty secret removes the seed key.
func (d *Document) SetSeed(secret []byte) {
	kept := d.Keys[:0:0]
	for _, k := range d.Keys {
		if !k.Seed {
			kept = append(kept, k)
		}
	}
	if len(secret) > 0 {
		kept = append(kept, Key{ID: SeedKeyID, Secret: append([]byte(nil), secret...), Created: time.Unix(0, 0).UTC(), Seed: true})
	}
	d.Keys = kept
}

// EncodeCiphertext and DecodeCiphertext carry KMS ciphertext in
// environment variables and in state as standard base64.
func EncodeCiphertext(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// DecodeCiphertext is the inverse of EncodeCiphertext.
func DecodeCiphertext(s string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCiphertext, err)
	}
	return b, nil
}

// The purposes a secret is sealed for. Every secret of an issuer is bound
// to its function (LambdaFunctionName, as the original deployment and the
// Lambda console's encryption helpers have it) and to what it is, so that
// KMS refuses to open a ciphertext as anything but what it was sealed as:
// without the purpose, an HS256 key the user chose would open as a key
// ring (and sign stream keys) wherever a ring is expected.
const (
	// ContextFunction is the encryption context key naming the function.
	ContextFunction = "LambdaFunctionName"
	// ContextPurpose is the encryption context key naming the purpose.
	ContextPurpose = "Purpose"

	// PurposeKeyRing seals the key ring (SECURESTREAM_KEYRING).
	PurposeKeyRing = "key-ring"
	// PurposeJWTHS256Key seals the issuer's JWT HS256 key
	// (SECURESTREAM_JWT_HS256_KEY).
	PurposeJWTHS256Key = "jwt-hs256-key"
	// PurposeOriginSecret seals the issuer's origin secret
	// (SECURESTREAM_ORIGIN_SECRET).
	PurposeOriginSecret = "origin-secret"
)

// Purposes are every purpose, for policies and grants that allow them all.
var Purposes = []string{PurposeKeyRing, PurposeJWTHS256Key, PurposeOriginSecret}

// Context is the KMS encryption context of function's secret of purpose.
func Context(functionName, purpose string) map[string]string {
	return map[string]string{ContextFunction: functionName, ContextPurpose: purpose}
}

// EncryptionContext is the KMS encryption context of function's key ring.
func EncryptionContext(functionName string) map[string]string {
	return Context(functionName, PurposeKeyRing)
}

// LegacyContext is the context versions before the purpose sealed every
// secret under (and the original deployment's). Only re-sealing uses it:
// nothing opens a secret under it to use the secret.
func LegacyContext(functionName string) map[string]string {
	return map[string]string{ContextFunction: functionName}
}
