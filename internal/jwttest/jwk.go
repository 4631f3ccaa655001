package jwttest

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
)

// JWK is the public half of key (an *rsa.PrivateKey, or an
// *ecdsa.PrivateKey on P-256) as a JSON Web Key, with members added (kid,
// use, alg), for a JWKS as an identity provider publishes it.
func JWK(key any, members map[string]string) map[string]any {
	b64 := func(i *big.Int) string { return base64.RawURLEncoding.EncodeToString(i.Bytes()) }
	var k map[string]any
	switch key := key.(type) {
	case *rsa.PrivateKey:
		k = map[string]any{"kty": "RSA", "n": b64(key.N), "e": b64(big.NewInt(int64(key.E)))}
	case *ecdsa.PrivateKey:
		k = map[string]any{"kty": "EC", "crv": "P-256", "x": b64(key.X), "y": b64(key.Y)}
	default:
		panic(fmt.Sprintf("jwttest: no JWK for a %T", key))
	}
	for name, v := range members {
		k[name] = v
	}
	return k
}

// JWKS is the JWKS document that holds keys.
func JWKS(keys ...map[string]any) string {
	b, err := json.Marshal(map[string]any{"keys": keys})
	if err != nil {
		panic(err)
	}
	return string(b)
}
