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
	Version int   `json:"version"`
	Keys    []Key `json:"keys"`
}

// Key is one key of the document.
type Key struct {
	ID      string    `json:"kid"`
	Secret  []byte    `json:"secret"` // base64 in JSON
	Created time.Time `json:"created"`
	// Seed marks the secret of an original (blog post) deployment.
	Seed bool `json:"seed,omitempty"`
}

// Parse reads and checks a document.
func Parse(b []byte) (*Document, error) {
	var d Document
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("keyring: the key ring is not a JSON document: %w", err)
	}
	if d.Version != Version {
		return nil, fmt.Errorf("keyring: key ring version %d is not supported (want %d)", d.Version, Version)
	}
	if _, err := d.Ring(); err != nil {
		return nil, err
	}
	return &d, nil
}

// Marshal encodes the document.
func (d *Document) Marshal() ([]byte, error) {
	if d.Version == 0 {
		d.Version = Version
	}
	if _, err := d.Ring(); err != nil {
		return nil, err
	}
	return json.Marshal(d)
}

// Ring builds the verification and minting ring.
func (d *Document) Ring() (*streamkey.Ring, error) {
	if len(d.Keys) == 0 {
		return nil, errors.New("keyring: the key ring holds no key")
	}
	keys := make([]streamkey.Key, len(d.Keys))
	for i, k := range d.Keys {
		keys[i] = streamkey.Key{ID: k.ID, Secret: k.Secret, Created: k.Created, Seed: k.Seed}
	}
	r, err := streamkey.NewRing(keys...)
	if err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	return r, nil
}

// EncodeCiphertext and DecodeCiphertext carry KMS ciphertext in
// environment variables and in state as standard base64.
func EncodeCiphertext(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// DecodeCiphertext is the inverse of EncodeCiphertext.
func DecodeCiphertext(s string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("keyring: the ciphertext is not base64: %w", err)
	}
	return b, nil
}

// EncryptionContext is the KMS encryption context a Lambda function's
// secrets are bound to, as in the original deployment.
func EncryptionContext(functionName string) map[string]string {
	return map[string]string{"LambdaFunctionName": functionName}
}
