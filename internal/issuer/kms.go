package issuer

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/kms"
)

// KMS decrypts with the AWS KMS API. The endpoint comes from the SDK's
// configuration (AWS_ENDPOINT_URL_KMS, AWS_ENDPOINT_URL), so the same
// binary runs against AWS, LocalStack or moto.
type KMS struct{ Client *kms.Client }

// Decrypt calls kms:Decrypt.
func (k KMS) Decrypt(ctx context.Context, ciphertext []byte, encCtx map[string]string) ([]byte, error) {
	out, err := k.Client.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: ciphertext, EncryptionContext: encCtx})
	if err != nil {
		return nil, err
	}
	return out.Plaintext, nil
}
