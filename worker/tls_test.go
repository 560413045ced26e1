package worker

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"occonnect/internal/config"
)

// writeCert writes a self-signed certificate and its key as PEM files.
func writeCert(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "occonnect-test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

func TestWithSecurity(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := writeCert(t, dir)

	var o client.Options
	opt, err := WithSecurity(config.TemporalTLS{})
	if err != nil {
		t.Fatal(err)
	}
	opt(&o)
	if o.ConnectionOptions.TLS != nil || o.Credentials != nil {
		t.Fatal("TLS off must leave the connection in plain gRPC")
	}

	opt, err = WithSecurity(config.TemporalTLS{Enabled: true, CAFile: certFile, CertFile: certFile, KeyFile: keyFile, APIKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	o = client.Options{}
	opt(&o)
	if o.ConnectionOptions.TLS == nil || o.ConnectionOptions.TLS.RootCAs == nil || len(o.ConnectionOptions.TLS.Certificates) != 1 {
		t.Fatalf("TLS config: %+v", o.ConnectionOptions.TLS)
	}
	if o.Credentials == nil {
		t.Fatal("the API key gives credentials")
	}

	for name, c := range map[string]config.TemporalTLS{
		"missing CA":  {Enabled: true, CAFile: filepath.Join(dir, "none.pem")},
		"CA not PEM":  {Enabled: true, CAFile: keyFile + ".txt"},
		"key for CA":  {Enabled: true, CertFile: certFile, KeyFile: certFile},
		"missing key": {Enabled: true, CertFile: certFile, KeyFile: filepath.Join(dir, "none.pem")},
	} {
		if name == "CA not PEM" {
			if err := os.WriteFile(c.CAFile, []byte("not a certificate"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := WithSecurity(c); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
