package issuer

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/kms"
)

// KMS decrypts with the AWS KMS API. The endpoint comes from the SDK's
// configuration (AWS_ENDPOINT_URL_KMS, AWS_ENDPOINT_URL), so the same
// binary runs against AWS, LocalStack or moto.
type KMS struct{ Client *kms.Client }

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
