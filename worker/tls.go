package worker

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"

	"go.temporal.io/sdk/client"

	"occonnect/internal/config"
)

// WithSecurity connects over TLS when the configuration asks for it: the CA to trust (the
// system's roots when none), a client certificate for mTLS, and a Temporal Cloud API key.
// The files are read once, at dial time; a certificate rotation needs a restart.
func WithSecurity(c config.TemporalTLS) (Option, error) {
	if !c.Enabled {
		return func(*client.Options) {}, nil
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, fmt.Errorf("OCC_TEMPORAL_TLS_CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, errors.New("OCC_TEMPORAL_TLS_CA: no PEM certificate in the file")
		}
		tc.RootCAs = pool
	}
	if c.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("OCC_TEMPORAL_TLS_CERT/KEY: %w", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return func(o *client.Options) {
		o.ConnectionOptions.TLS = tc
		if c.APIKey != "" {
			o.Credentials = client.NewAPIKeyStaticCredentials(c.APIKey)
		}
	}, nil
}
