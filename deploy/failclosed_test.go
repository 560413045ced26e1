package deploy

import (
	"errors"
	"os"
	"testing"

	"occonnect/internal/codec"
	"occonnect/internal/config"
	"occonnect/mail"
)

// serviceConfig is config.Load with a service's environment only, as the binary reads it
// in its container.
func serviceConfig(t *testing.T, env map[string]*string) config.Config {
	t.Helper()
	for _, v := range config.Vars {
		t.Setenv(v.Name, "") // restored when the test ends
		os.Unsetenv(v.Name)
	}
	for k, v := range env {
		if v != nil {
			t.Setenv(k, *v)
		}
	}
	cfg, err := config.Load()
	if err != nil {
		t.Fatalf("the service's configuration: %v", err)
	}
	return cfg
}

func smtpSender(cfg config.Config) error {
	_, err := mail.NewSMTPSender(mail.SMTPConfig{Host: cfg.SMTPHost, Port: cfg.SMTPPort, From: cfg.MailFrom,
		Username: cfg.SMTPUsername, Password: cfg.SMTPPassword, TLS: cfg.SMTPTLS, AllowPlaintext: cfg.AllowPlaintextSMTP})
	return err
}

// TestComposeFailsClosed: with deploy/.env filled in as .env.example says, for the SMTP
// relay and for the bundled Mailpit, the binary's servers pass the checks they make before
// starting: payload keys, e-mail over TLS beyond loopback (Mailpit only with
// OCC_ALLOW_PLAINTEXT_SMTP=true), and a token on the codec server listening on 0.0.0.0.
func TestComposeFailsClosed(t *testing.T) {
	for _, tc := range []struct {
		name     string
		smtp     map[string]string
		profiles []string
	}{{"relay", relay, nil}, {"mailpit", mailpitRelay, []string{mailpitProfile}}} {
		e := stackEnv(t, tc.smtp)
		e["OCC_MAIL_FROM"] = "OC Connect <no-reply@oc.gov.ma>"
		p, err := loadStack(t, e, tc.profiles...)
		if err != nil {
			t.Fatal(err)
		}
		for name, b := range binaryServices {
			cfg := serviceConfig(t, service(t, p, name).Environment)
			switch b.role {
			case roleAPI, roleWorker:
				if err := cfg.RequirePayloadKeys(); err != nil {
					t.Errorf("%s, %s: %v", tc.name, name, err)
				}
				if err := smtpSender(cfg); err != nil {
					t.Errorf("%s, %s: %v", tc.name, name, err)
				}
				if tc.name == "mailpit" {
					cfg.AllowPlaintextSMTP = false
					if err := smtpSender(cfg); !errors.Is(err, mail.ErrPlaintext) {
						t.Errorf("%s: Mailpit without OCC_ALLOW_PLAINTEXT_SMTP: %v, want ErrPlaintext", name, err)
					}
				}
			case roleCodec:
				if err := codec.CheckExposure(cfg.CodecAddr, cfg.CodecToken); err != nil {
					t.Errorf("%s, %s: %v", tc.name, name, err)
				}
				if err := codec.CheckExposure(cfg.CodecAddr, ""); err == nil {
					t.Errorf("%s: listens on %s, where no token must be refused", name, cfg.CodecAddr)
				}
			}
		}
	}
}
