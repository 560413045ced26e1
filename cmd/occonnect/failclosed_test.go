package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/converter"

	"occonnect/internal/codec"
	"occonnect/internal/config"
	"occonnect/internal/testenv"
)

var quietLogger = slog.New(slog.NewTextHandler(io.Discard, nil))

// loadConfig is config.Load with the OCC_* variables given (the others at their defaults).
func loadConfig(t *testing.T, vars map[string]string) config.Config {
	t.Helper()
	for _, v := range config.Vars {
		t.Setenv(v.Name, "") // restored when the test ends
		os.Unsetenv(v.Name)
	}
	for k, v := range vars {
		t.Setenv(k, v)
	}
	cfg, err := config.Load()
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestServersRefuseWithoutPayloadKeys: the api and the worker refuse to start without
// OCC_PAYLOAD_KEYS, before opening anything (the DSN points nowhere), with one message
// naming OCC_PAYLOAD_KEYS and OCC_ALLOW_PLAINTEXT_PAYLOADS; the codec server names the key
// too; with OCC_ALLOW_PLAINTEXT_PAYLOADS=true they go on (and fail on the database).
func TestServersRefuseWithoutPayloadKeys(t *testing.T) {
	nowhere := map[string]string{"OCC_MYSQL_DSN": "root@tcp(127.0.0.1:1)/nowhere", "OCC_API_METRICS_ADDR": "", "OCC_WORKER_METRICS_ADDR": ""}
	cfg := loadConfig(t, nowhere)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for name, run := range map[string]func(context.Context, config.Config, *slog.Logger) error{"api": runAPI, "worker": runWorker} {
		err := run(ctx, cfg, quietLogger)
		if err == nil || !strings.Contains(err.Error(), "OCC_PAYLOAD_KEYS is empty") || !strings.Contains(err.Error(), "OCC_ALLOW_PLAINTEXT_PAYLOADS=true") {
			t.Errorf("%s without OCC_PAYLOAD_KEYS: %v, want the refusal naming OCC_PAYLOAD_KEYS and OCC_ALLOW_PLAINTEXT_PAYLOADS", name, err)
		}
	}
	if err := runCodecServer(ctx, cfg, quietLogger); err == nil || !strings.Contains(err.Error(), "OCC_PAYLOAD_KEYS is empty") {
		t.Errorf("codec-server without OCC_PAYLOAD_KEYS: %v", err)
	}
	nowhere["OCC_ALLOW_PLAINTEXT_PAYLOADS"] = "true"
	cfg = loadConfig(t, nowhere)
	for name, run := range map[string]func(context.Context, config.Config, *slog.Logger) error{"api": runAPI, "worker": runWorker} {
		if err := run(ctx, cfg, quietLogger); err == nil || strings.Contains(err.Error(), "OCC_PAYLOAD_KEYS") {
			t.Errorf("%s with OCC_ALLOW_PLAINTEXT_PAYLOADS=true: %v, want it past the keys (to the unreachable database)", name, err)
		}
	}
}

// TestPayloadKeysAllowPlaintext: with keys, the api's and worker's keyring refuses an
// unencrypted payload unless OCC_ALLOW_PLAINTEXT_PAYLOADS=true.
func TestPayloadKeysAllowPlaintext(t *testing.T) {
	p, err := converter.GetDefaultDataConverter().ToPayload("in clear")
	if err != nil {
		t.Fatal(err)
	}
	for _, allow := range []bool{false, true} {
		cfg := loadConfig(t, map[string]string{"OCC_PAYLOAD_KEYS": testenv.PayloadKeys, "OCC_ALLOW_PLAINTEXT_PAYLOADS": strconv.FormatBool(allow)})
		keys, err := payloadKeys(cfg, quietLogger)
		if err != nil {
			t.Fatal(err)
		}
		dc, _ := codec.Converters(keys)
		var got string
		err = dc.FromPayload(p, &got)
		if !allow && !errors.Is(err, codec.ErrPlaintext) {
			t.Errorf("OCC_ALLOW_PLAINTEXT_PAYLOADS=false: %v, want ErrPlaintext", err)
		}
		if allow && (err != nil || got != "in clear") {
			t.Errorf("OCC_ALLOW_PLAINTEXT_PAYLOADS=true: %q %v", got, err)
		}
	}
}

// TestCodecServerFailsClosed: without a token the codec server starts on loopback only,
// and the refusal names both variables; running, it refuses a body over 4 MiB with 413,
// and with a token it wants it.
func TestCodecServerFailsClosed(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, addr := range []string{"0.0.0.0:0", ":0", "[::]:0"} {
		cfg := loadConfig(t, map[string]string{"OCC_PAYLOAD_KEYS": testenv.PayloadKeys, "OCC_CODEC_ADDR": addr})
		refuseCtx, cancel := context.WithTimeout(ctx, 3*time.Second) // a server that starts stops there
		err := runCodecServer(refuseCtx, cfg, quietLogger)
		cancel()
		if err == nil || !strings.Contains(err.Error(), "OCC_CODEC_TOKEN is empty") || !strings.Contains(err.Error(), "OCC_CODEC_ADDR") {
			t.Errorf("codec-server on %s without a token: %v, want the refusal", addr, err)
		}
	}
	for _, token := range []string{"", "codec-test-token"} {
		port, err := testenv.FreePort()
		if err != nil {
			t.Fatal(err)
		}
		addr := "127.0.0.1:" + strconv.Itoa(port)
		cfg := loadConfig(t, map[string]string{"OCC_PAYLOAD_KEYS": testenv.PayloadKeys, "OCC_CODEC_ADDR": addr, "OCC_CODEC_TOKEN": token})
		runCtx, stop := context.WithCancel(ctx)
		exited := make(chan error, 1)
		go func() { exited <- runCodecServer(runCtx, cfg, quietLogger) }()
		post := func(body []byte, auth string) int {
			t.Helper()
			deadline := time.Now().Add(10 * time.Second)
			for {
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+addr+"/decode", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				if auth != "" {
					req.Header.Set("Authorization", "Bearer "+auth)
				}
				resp, err := http.DefaultClient.Do(req)
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					return resp.StatusCode
				}
				if time.Now().After(deadline) {
					t.Fatalf("codec server on %s: %v", addr, err)
				}
				time.Sleep(50 * time.Millisecond)
			}
		}
		if got := post([]byte(`{"payloads":[]}`), token); got != http.StatusOK {
			t.Errorf("token %t: an empty decode: %d, want 200", token != "", got)
		}
		// An unencrypted payload, already in clear in its history, is shown as it is.
		if got := post([]byte(`{"payloads":[{"metadata":{"encoding":"anNvbi9wbGFpbg=="},"data":"ImhlbGxvIg=="}]}`), token); got != http.StatusOK {
			t.Errorf("token %t: decoding an unencrypted payload: %d, want 200", token != "", got)
		}
		if got := post(bytes.Repeat([]byte(" "), codec.MaxRequestBytes+1), token); got != http.StatusRequestEntityTooLarge {
			t.Errorf("token %t: a body over 4 MiB: %d, want 413", token != "", got)
		}
		if token != "" {
			for _, wrong := range []string{"", "codec-test-toke", "codec-test-token2"} {
				if got := post([]byte(`{"payloads":[]}`), wrong); got != http.StatusUnauthorized {
					t.Errorf("token %q: %d, want 401", wrong, got)
				}
			}
		}
		stop()
		if err := <-exited; err != nil {
			t.Errorf("codec server stop: %v", err)
		}
	}
}

// TestSeedDemoRefusedWithoutDevSeed: `seed demo` refuses before touching the database
// unless OCC_DEV_SEED=true.
func TestSeedDemoRefusedWithoutDevSeed(t *testing.T) {
	ctx := context.Background()
	nowhere := map[string]string{"OCC_MYSQL_DSN": "root@tcp(127.0.0.1:1)/nowhere"}
	err := runSeed(ctx, loadConfig(t, nowhere), []string{"demo"})
	if !errors.Is(err, config.ErrDevSeed) || !strings.Contains(err.Error(), "OCC_DEV_SEED=true") {
		t.Fatalf("seed demo without OCC_DEV_SEED: %v, want the refusal naming OCC_DEV_SEED", err)
	}
	nowhere["OCC_DEV_SEED"] = "true"
	if err := runSeed(ctx, loadConfig(t, nowhere), []string{"demo"}); err == nil || errors.Is(err, config.ErrDevSeed) {
		t.Fatalf("seed demo with OCC_DEV_SEED=true: %v, want it past the check (to the unreachable database)", err)
	}
}

// TestSMTPRefusedInClear: the api and the worker refuse OCC_SMTP_TLS none towards a relay
// that is not loopback, naming OCC_SMTP_TLS and OCC_SMTP_HOST and not the password.
func TestSMTPRefusedInClear(t *testing.T) {
	vars := map[string]string{"OCC_SMTP_HOST": "smtp.example.org", "OCC_SMTP_USERNAME": "relay-user", "OCC_SMTP_PASSWORD": "relay-pw-s3cret",
		"OCC_PAYLOAD_KEYS": testenv.PayloadKeys, "OCC_MYSQL_DSN": "root@tcp(127.0.0.1:1)/nowhere", "OCC_API_METRICS_ADDR": "", "OCC_WORKER_METRICS_ADDR": ""}
	for _, mode := range []string{"none", "opportunistic"} {
		vars["OCC_SMTP_TLS"] = mode
		err := runWorker(context.Background(), loadConfig(t, vars), quietLogger)
		if err == nil || !strings.Contains(err.Error(), "OCC_SMTP_TLS="+mode) || !strings.Contains(err.Error(), "OCC_SMTP_HOST=smtp.example.org") {
			t.Errorf("OCC_SMTP_TLS=%s towards smtp.example.org: %v, want the refusal naming OCC_SMTP_TLS and OCC_SMTP_HOST", mode, err)
		} else if strings.Contains(err.Error(), "relay-pw-s3cret") {
			t.Errorf("the refusal prints the SMTP password: %v", err)
		}
	}
	for mode, host := range map[string]string{"mandatory": "smtp.example.org", "implicit": "smtp.example.org", "none": "127.0.0.1"} {
		vars["OCC_SMTP_TLS"], vars["OCC_SMTP_HOST"] = mode, host
		if _, err := newMailer(loadConfig(t, vars)); err != nil {
			t.Errorf("OCC_SMTP_TLS=%s towards %s: %v", mode, host, err)
		}
	}
	vars["OCC_SMTP_TLS"], vars["OCC_SMTP_HOST"], vars["OCC_ALLOW_PLAINTEXT_SMTP"] = "none", "mailpit", "true"
	if _, err := newMailer(loadConfig(t, vars)); err != nil {
		t.Errorf("OCC_ALLOW_PLAINTEXT_SMTP=true: %v", err)
	}
}

// TestCodecKeyFile: codec-key -o writes the key to a new file of mode 0600 whatever the
// umask, and never overwrites one.
func TestCodecKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "payload.keys")
	if err := runCodecKey([]string{"-o", path, "dev1"}); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", fi.Mode().Perm())
	}
	b, _ := os.ReadFile(path)
	if k, err := codec.ParseKeys(string(b)); err != nil || k == nil || !strings.HasPrefix(string(b), "dev1:") {
		t.Errorf("key file does not hold a key dev1: %v", err)
	}
	if err := runCodecKey([]string{"-o", path, "dev2"}); err == nil {
		t.Error("an existing key file was overwritten")
	}
	if again, _ := os.ReadFile(path); !bytes.Equal(again, b) {
		t.Error("the existing key file changed")
	}
}

// TestConfigHidesSecrets: `occonnect config` prints secrets as (set), a DSN's password masked.
func TestConfigHidesSecrets(t *testing.T) {
	for name, val := range map[string]string{"OCC_PAYLOAD_KEYS": testenv.PayloadKeys, "OCC_CODEC_TOKEN": "tok-s3cret",
		"OCC_SMTP_PASSWORD": "pw-s3cret", "OCC_TEMPORAL_API_KEY": "api-s3cret", "OCC_MYSQL_DSN": "occ:pw-s3cret@tcp(db:3306)/occonnect"} {
		got := shownValue(name, val)
		if strings.Contains(got, "s3cret") || strings.Contains(got, "uuSwJ") {
			t.Errorf("%s shown as %q", name, got)
		}
	}
	if got := shownValue("OCC_MYSQL_DSN", "root@tcp(127.0.0.1:3306)/occonnect"); got != "root@tcp(127.0.0.1:3306)/occonnect" {
		t.Errorf("a DSN without a password shown as %q", got)
	}
}
