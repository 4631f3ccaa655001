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
	// Purpose is the encryption context's Purpose; empty for the legacy
	// context (no purpose).
	Purpose string
	// KeyID is the KMS key named in the call, if any.
	KeyID string
	Err   error
}

func (e *CallError) Error() string {
	key := ""
	if e.KeyID != "" {
		key = " and KeyId " + e.KeyID
	}
	purpose := ""
	if e.Purpose != "" {
		purpose = ", Purpose=" + e.Purpose
	}
	return fmt.Sprintf("%s with encryption context LambdaFunctionName=%s%s%s failed: %v", e.Call, e.Function, purpose, key, e.Err)
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
	defer clear(pt)
	return SealSecret(ctx, e, keyID, function, PurposeKeyRing, pt)
}

// SealSecret encrypts a secret of the issuer function for purpose.
func SealSecret(ctx context.Context, e Encrypter, keyID, function, purpose string, plaintext []byte) (string, error) {
	ct, err := e.Encrypt(ctx, keyID, plaintext, Context(function, purpose))
	if err != nil {
		return "", &CallError{Call: "kms:Encrypt", Function: function, Purpose: purpose, KeyID: keyID, Err: err}
	}
	return EncodeCiphertext(ct), nil
}

// Open decrypts and checks a ring sealed for function (under keyID, when
// set). Its errors are ErrCiphertext, a *CallError, or an invalid document.
func Open(ctx context.Context, dec Decrypter, keyID, function, ciphertext string) (*Document, error) {
	pt, err := OpenSecret(ctx, dec, keyID, function, PurposeKeyRing, ciphertext)
	if err != nil {
		return nil, err
	}
	defer clear(pt)
	return Parse(pt)
}

// OpenSecret decrypts a secret sealed for function and purpose: KMS
// refuses a ciphertext sealed for another function or purpose, or with
// no purpose (see Reseal).
func OpenSecret(ctx context.Context, dec Decrypter, keyID, function, purpose, ciphertext string) ([]byte, error) {
	return decrypt(ctx, dec, keyID, function, purpose, ciphertext, Context(function, purpose))
}

func decrypt(ctx context.Context, dec Decrypter, keyID, function, purpose, ciphertext string, encCtx map[string]string) ([]byte, error) {
	ct, err := DecodeCiphertext(ciphertext)
	if err != nil {
		return nil, err
	}
	pt, err := dec.Decrypt(ctx, ct, encCtx, keyID)
	if err != nil {
		return nil, &CallError{Call: "kms:Decrypt", Function: function, Purpose: purpose, KeyID: keyID, Err: err}
	}
	return pt, nil
}

// OpenLegacy decrypts a secret sealed under the legacy context (no
// purpose), by this provider before the purpose or by the original
// deployment. Only re-sealing may use it, where the caller knows from its
// own state what the ciphertext is (a resource re-sealing its own
// attribute); nothing that uses a secret may, or a ciphertext sealed for
// one purpose would open as another.
func OpenLegacy(ctx context.Context, dec Decrypter, keyID, function, ciphertext string) ([]byte, error) {
	return decrypt(ctx, dec, keyID, function, "", ciphertext, LegacyContext(function))
}

// SealedWithoutPurpose tells whether ciphertext is a secret of function
// sealed under the legacy context, to say "re-seal it" rather than
// "wrong ciphertext" when the purpose-bound open failed. The plaintext is
// dropped at once.
func SealedWithoutPurpose(ctx context.Context, dec Decrypter, keyID, function, ciphertext string) bool {
	pt, err := OpenLegacy(ctx, dec, keyID, function, ciphertext)
	clear(pt)
	return err == nil
}

// EncryptDecrypter seals and opens.
type EncryptDecrypter interface {
	Encrypter
	Decrypter
}

// Reseal returns ciphertext sealed for purpose: as it is when it opens
// for purpose (resealed is false), or, when it opens only under the
// legacy context, sealed again for purpose (decrypted and encrypted: the
// two calls the provider may already make, where kms:ReEncrypt would need
// a permission that key policies and IAM policies written for earlier
// versions do not give). The plaintext lives only in memory. When neither
// opens, the error is the purpose-bound open's.
func Reseal(ctx context.Context, kms EncryptDecrypter, keyID, function, purpose, ciphertext string) (sealed string, resealed bool, err error) {
	pt, err := OpenSecret(ctx, kms, keyID, function, purpose, ciphertext)
	if err == nil {
		clear(pt)
		return ciphertext, false, nil
	}
	var call *CallError
	if !errors.As(err, &call) {
		return "", false, err
	}
	pt, legacyErr := OpenLegacy(ctx, kms, keyID, function, ciphertext)
	if legacyErr != nil {
		return "", false, err
	}
	defer clear(pt)
	sealed, err = SealSecret(ctx, kms, keyID, function, purpose, pt)
	if err != nil {
		return "", false, err
	}
	return sealed, true, nil
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
