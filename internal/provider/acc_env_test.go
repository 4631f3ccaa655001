package provider

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/acctest"

	"github.com/securestream/terraform-provider-securestream/internal/awsclients"
	"github.com/securestream/terraform-provider-securestream/internal/issuerpkg"
	"github.com/securestream/terraform-provider-securestream/internal/keyring"
	"github.com/securestream/terraform-provider-securestream/internal/local/localtest"
	"github.com/securestream/terraform-provider-securestream/internal/reporoot"
	"github.com/securestream/terraform-provider-securestream/internal/streamkey"
)

// accEnv is where an acceptance test runs: a moto_server the test starts
// on a free loopback port (and stops), or, with SECURESTREAM_ACC_ENDPOINT,
// an emulator that is already running (LocalStack: http://localhost:4566)
// or, with the value "aws", AWS itself with the environment's credentials.
type accEnv struct {
	endpoint string // "" for AWS
	clients  *awsclients.Clients
	// stateDir holds Terraform's working directories, for the state grep
	// (the package's: tests running beside this one write there too).
	stateDir string
}

// embeddedIssuerCurrent checks, once a test binary, that the issuer
// package the provider deploys from itself is what the issuer's source
// builds now: the tests would otherwise deploy whatever issuer the last
// `make issuer` built, and fail far from the cause.
var embeddedIssuerCurrent = sync.OnceValue(func() error {
	root, err := reporoot.Find()
	if err != nil {
		return err
	}
	arch := map[string]string{"amd64": "x86_64", "arm64": "arm64"}[runtime.GOARCH]
	return issuerpkg.CheckEmbedded(context.Background(), root, arch)
})

// newAccEnv prepares an acceptance test: it skips unless TF_ACC is set,
// and then fails, naming the install command, when Terraform or moto is
// missing.
func newAccEnv(t *testing.T) *accEnv {
	t.Helper()
	requireTerraform(t)
	if err := embeddedIssuerCurrent(); err != nil {
		t.Fatal(err)
	}
	e := &accEnv{stateDir: stateDir}
	o := awsclients.Options{Region: "us-east-1", MaxRetries: 2, UserAgent: "securestream-acceptance-tests"}
	switch ep := os.Getenv("SECURESTREAM_ACC_ENDPOINT"); ep {
	case "aws":
		o.Region = os.Getenv("AWS_REGION")
	case "":
		e.endpoint = localtest.StartMoto(t).Endpoint
	default:
		e.endpoint = ep
	}
	if e.endpoint != "" {
		o.Endpoint, o.AccessKey, o.SecretKey = e.endpoint, "testing", "testing"
	}
	c, err := awsclients.New(context.Background(), o)
	if err != nil {
		t.Fatalf("the acceptance test's own AWS clients: %v", err)
	}
	e.clients = c
	return e
}

// provider is the provider block for the test's environment (testProvider
// with moto's endpoint, or AWS's own), with more settings, one a line.
func (e *accEnv) provider(settings ...string) string {
	if e.endpoint == "" {
		return "\nprovider \"securestream\" {\n  " + strings.Join(settings, "\n  ") + "\n}\n"
	}
	return testProvider(e.endpoint, settings...)
}

// cloudfrontEndpoint is the provider setting that sends CloudFront's calls
// to endpoint (a local CloudFront).
func cloudfrontEndpoint(endpoint string) string {
	return fmt.Sprintf("endpoints {\n    cloudfront = %q\n  }", endpoint)
}

// name is a unique function name, so that tests against a shared
// emulator or account do not collide.
func name(prefix string) string {
	return prefix + "-" + acctest.RandString(8)
}

// openRing decrypts a ciphertext from the state, as the issuer would.
func (e *accEnv) openRing(ciphertext, function string) (*keyring.Document, error) {
	ct, err := keyring.DecodeCiphertext(ciphertext)
	if err != nil {
		return nil, err
	}
	out, err := e.clients.KMS.Decrypt(context.Background(), &kms.DecryptInput{CiphertextBlob: ct, EncryptionContext: keyring.EncryptionContext(function)})
	if err != nil {
		return nil, fmt.Errorf("kms:Decrypt: %w", err)
	}
	return keyring.Parse(out.Plaintext)
}

// verifier builds the edge's verifier from a ciphertext.
func (e *accEnv) verifier(ciphertext, function string) (*streamkey.Verifier, error) {
	doc, err := e.openRing(ciphertext, function)
	if err != nil {
		return nil, err
	}
	r, err := doc.Ring()
	if err != nil {
		return nil, err
	}
	return &streamkey.Verifier{Ring: r}, nil
}

// keyState asks KMS for a key's state.
func (e *accEnv) keyState(id string) (string, error) {
	m, err := e.describeKey(id)
	if err != nil {
		return "", err
	}
	return string(m.KeyState), nil
}

func (e *accEnv) describeKey(id string) (*kmstypes.KeyMetadata, error) {
	out, err := e.clients.KMS.DescribeKey(context.Background(), &kms.DescribeKeyInput{KeyId: aws.String(id)})
	if err != nil {
		return nil, err
	}
	return out.KeyMetadata, nil
}

// secretForms are the spellings of a secret that must not appear in a
// state file.
func secretForms(secret []byte) map[string]string {
	return map[string]string{
		"raw":              string(secret),
		"hex":              hex.EncodeToString(secret),
		"HEX":              strings.ToUpper(hex.EncodeToString(secret)),
		"base64":           base64.StdEncoding.EncodeToString(secret),
		"base64 unpadded":  base64.RawStdEncoding.EncodeToString(secret),
		"base64url":        base64.URLEncoding.EncodeToString(secret),
		"base64url raw":    base64.RawURLEncoding.EncodeToString(secret),
		"JSON-escaped raw": strings.ReplaceAll(string(secret), "/", `\/`),
	}
}

// grepStates searches every state file (and backup) Terraform wrote for
// each secret in every spelling; it returns what it found and how many
// state files it searched.
func (e *accEnv) grepStates(secrets map[string][]byte) (found []string, files int, err error) {
	err = filepath.WalkDir(e.stateDir, func(p string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) { // a parallel test's directory, removed as it ended
			return nil
		}
		if err != nil || d.IsDir() || !strings.Contains(d.Name(), ".tfstate") {
			return err
		}
		b, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		files++
		for label, s := range secrets {
			for form, v := range secretForms(s) {
				if len(v) >= 8 && bytes.Contains(b, []byte(v)) {
					found = append(found, fmt.Sprintf("%s (%s) in %s", label, form, p))
				}
			}
		}
		return nil
	})
	return found, files, err
}
