// Command bootstrap is the issuer Lambda function (runtime
// provided.al2023): it reads its configuration from the environment,
// decrypts the key ring once, and serves API Gateway and function URL
// events. A configuration it cannot read ends the process (Lambda reports
// the fatal line at every invocation); a key ring KMS would not open is
// answered 500 and retried (see issuer.Container).
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/securestream/terraform-provider-securestream/internal/issuer"
	"github.com/securestream/terraform-provider-securestream/internal/issuer/config"
	"github.com/securestream/terraform-provider-securestream/internal/keyring"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Second)
	c, err := start(ctx)
	cancel()
	if err != nil {
		// A failed cold start: the message names the variable.
		b, _ := json.Marshal(map[string]string{"level": "fatal", "error": err.Error()})
		fmt.Fprintf(os.Stdout, "%s\n", b)
		os.Exit(1)
	}
	lambda.Start(c.Handle)
}

func start(ctx context.Context) (*issuer.Container, error) {
	cfg, err := config.Load(os.Getenv)
	if err != nil {
		return nil, fmt.Errorf("configuration: %w", err)
	}
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("AWS configuration: %w", err)
	}
	c := issuer.NewContainer(cfg, keyring.KMS{Client: kms.NewFromConfig(awsCfg)})
	if cfg.RevocationKVSARN != "" {
		c.KVS = issuer.NewKVSClient(awsCfg)
	}
	return c.Start(ctx), nil
}
