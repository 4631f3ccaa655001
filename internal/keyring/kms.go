package keyring

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/kms"
)

// Encrypter seals with KMS (kms:Encrypt).
type Encrypter interface {
	Encrypt(ctx context.Context, keyID string, plaintext []byte, encCtx map[string]string) ([]byte, error)
}

// Decrypter opens with KMS (kms:Decrypt). keyID, when set, is passed as
// KeyId, so that a ciphertext made under any other key is refused
// (symmetric Decrypt would otherwise take any key the caller may use).
type Decrypter interface {
	Decrypt(ctx context.Context, ciphertext []byte, encCtx map[string]string, keyID string) ([]byte, error)
}

// CallError is a KMS call that failed while sealing or opening a ring.
type CallError struct {
	// Call is the API action, "kms:Encrypt" or "kms:Decrypt".
	Call string
	// Function is the encryption context's LambdaFunctionName.
	Function string
	// KeyID is the KMS key named in the call, if any.
	KeyID string
	Err   error
}

func (e *CallError) Error() string {
	key := ""
	if e.KeyID != "" {
		key = " and KeyId " + e.KeyID
	}
	return fmt.Sprintf("%s with encryption context LambdaFunctionName=%s%s failed: %v", e.Call, e.Function, key, e.Err)
}

func (e *CallError) Unwrap() error { return e.Err }

// ErrCiphertext wraps a ciphertext that is not standard base64.
var ErrCiphertext = errors.New("keyring: the ciphertext is not base64")

// Seal encrypts the document under the KMS key keyID for the issuer
// function, and returns the ciphertext as the issuer's SECURESTREAM_KEYRING
// carries it. The plaintext lives only in memory.
func Seal(ctx context.Context, e Encrypter, keyID, function string, d *Document) (string, error) {
	pt, err := d.Marshal()
	if err != nil {
		return "", err
	}
	ct, err := e.Encrypt(ctx, keyID, pt, EncryptionContext(function))
	if err != nil {
		return "", &CallError{Call: "kms:Encrypt", Function: function, KeyID: keyID, Err: err}
	}
	return EncodeCiphertext(ct), nil
}

// Open decrypts and checks a ring sealed for function (under keyID, when
// set). Its errors are ErrCiphertext, a *CallError, or an invalid document.
func Open(ctx context.Context, dec Decrypter, keyID, function, ciphertext string) (*Document, error) {
	pt, err := OpenSecret(ctx, dec, keyID, function, ciphertext)
	if err != nil {
		return nil, err
	}
	return Parse(pt)
}

// OpenSecret decrypts another secret sealed as the ring is (the issuer's
// HS256 key, its origin secret).
func OpenSecret(ctx context.Context, dec Decrypter, keyID, function, ciphertext string) ([]byte, error) {
	ct, err := DecodeCiphertext(ciphertext)
	if err != nil {
		return nil, err
	}
	pt, err := dec.Decrypt(ctx, ct, EncryptionContext(function), keyID)
	if err != nil {
		return nil, &CallError{Call: "kms:Decrypt", Function: function, KeyID: keyID, Err: err}
	}
	return pt, nil
}

// KMS seals and opens with the AWS KMS API. The endpoint comes from the
// client's configuration, so the same code runs against AWS, LocalStack or
// moto.
type KMS struct{ Client *kms.Client }

// Encrypt calls kms:Encrypt.
func (k KMS) Encrypt(ctx context.Context, keyID string, plaintext []byte, encCtx map[string]string) ([]byte, error) {
	out, err := k.Client.Encrypt(ctx, &kms.EncryptInput{KeyId: &keyID, Plaintext: plaintext, EncryptionContext: encCtx})
	if err != nil {
		return nil, err
	}
	return out.CiphertextBlob, nil
}

// Decrypt calls kms:Decrypt, with KeyId when keyID is set.
func (k KMS) Decrypt(ctx context.Context, ciphertext []byte, encCtx map[string]string, keyID string) ([]byte, error) {
	in := &kms.DecryptInput{CiphertextBlob: ciphertext, EncryptionContext: encCtx}
	if keyID != "" {
		in.KeyId = &keyID
	}
	out, err := k.Client.Decrypt(ctx, in)
	if err != nil {
		return nil, err
	}
	return out.Plaintext, nil
}
