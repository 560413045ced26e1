// Package config reads the configuration from OCC_* environment variables. Every variable
// has a default that works with `make dev`; the README has the table.
package config

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config is the whole configuration of the binary.
type Config struct {
	APIAddr           string
	MySQLDSN          string
	TemporalAddress   string
	TemporalNamespace string
	SMTPHost          string
	SMTPPort          int
	SMTPUsername      string
	SMTPPassword      string
	SMTPTLS           string
	MailFrom          string
	CredentialTTL     time.Duration
	ReissueWindow     time.Duration
	LogLevel          string
	// Complaint service levels.
	ComplaintFirstResponseDays     int
	ComplaintResolutionDays        int
	ComplaintFirstResponseOverride time.Duration
	// Payload encryption and the codec server of the Temporal Web UI.
	PayloadKeys     string
	CodecAddr       string
	CodecCORSOrigin string
	CodecToken      string
}

// Var documents one variable (used by the README table and `occonnect config`).
type Var struct {
	Name, Default, Help string
}

// Vars lists every variable with its default.
var Vars = []Var{
	{"OCC_API_ADDR", "127.0.0.1:8080", "address the API listens on"},
	{"OCC_MYSQL_DSN", "root@tcp(127.0.0.1:3306)/occonnect", "MySQL/MariaDB DSN (go-sql-driver format)"},
	{"OCC_TEMPORAL_ADDRESS", "127.0.0.1:7233", "Temporal frontend (gRPC)"},
	{"OCC_TEMPORAL_NAMESPACE", "default", "Temporal namespace"},
	{"OCC_SMTP_HOST", "127.0.0.1", "SMTP server"},
	{"OCC_SMTP_PORT", "1025", "SMTP port"},
	{"OCC_SMTP_USERNAME", "", "SMTP AUTH user (none when empty)"},
	{"OCC_SMTP_PASSWORD", "", "SMTP AUTH password"},
	{"OCC_SMTP_TLS", "none", "none | opportunistic | mandatory | implicit"},
	{"OCC_MAIL_FROM", "OC Connect <no-reply@occonnect.local>", "From header of every e-mail"},
	{"OCC_CREDENTIAL_TTL", "24h", "validity of an initial password"},
	{"OCC_REISSUE_WINDOW", "720h", "how long expired credentials wait for a re-issue before the enrollment lapses"},
	{"OCC_LOG_LEVEL", "info", "debug | info | warn | error"},
	{"OCC_COMPLAINT_FIRST_RESPONSE_DAYS", "2", "complaints: first response target, in business days"},
	{"OCC_COMPLAINT_RESOLUTION_DAYS", "60", "complaints: resolution target, in calendar days"},
	{"OCC_PAYLOAD_KEYS", "", "AES-256 keys of the payload codec, id:base64[,id:base64…], newest first (empty: payloads in clear)"},
	{"OCC_CODEC_ADDR", "127.0.0.1:8081", "address of the codec server (occonnect codec-server)"},
	{"OCC_CODEC_CORS_ORIGIN", "http://127.0.0.1:8233", "origin of the Temporal Web UI allowed to call the codec server"},
	{"OCC_CODEC_TOKEN", "", "bearer token the codec server requires (empty: none, for local development only)"},
	{"OCC_COMPLAINT_FIRST_RESPONSE_OVERRIDE", "", "demonstrations only: a plain duration (e.g. 2m) replacing the first response target"},
}

func get(name string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	for _, v := range Vars {
		if v.Name == name {
			return v.Default
		}
	}
	return ""
}

// Load reads the environment.
func Load() (Config, error) {
	c := Config{
		APIAddr:           get("OCC_API_ADDR"),
		MySQLDSN:          get("OCC_MYSQL_DSN"),
		TemporalAddress:   get("OCC_TEMPORAL_ADDRESS"),
		TemporalNamespace: get("OCC_TEMPORAL_NAMESPACE"),
		SMTPHost:          get("OCC_SMTP_HOST"),
		SMTPUsername:      get("OCC_SMTP_USERNAME"),
		SMTPPassword:      get("OCC_SMTP_PASSWORD"),
		SMTPTLS:           strings.ToLower(get("OCC_SMTP_TLS")),
		MailFrom:          get("OCC_MAIL_FROM"),
		LogLevel:          get("OCC_LOG_LEVEL"),
		PayloadKeys:       get("OCC_PAYLOAD_KEYS"),
		CodecAddr:         get("OCC_CODEC_ADDR"),
		CodecCORSOrigin:   get("OCC_CODEC_CORS_ORIGIN"),
		CodecToken:        get("OCC_CODEC_TOKEN"),
	}
	var errs []string
	var err error
	if c.SMTPPort, err = strconv.Atoi(get("OCC_SMTP_PORT")); err != nil || c.SMTPPort <= 0 || c.SMTPPort > 65535 {
		errs = append(errs, "OCC_SMTP_PORT must be a port number")
	}
	if c.CredentialTTL, err = time.ParseDuration(get("OCC_CREDENTIAL_TTL")); err != nil || c.CredentialTTL <= 0 {
		errs = append(errs, "OCC_CREDENTIAL_TTL must be a positive duration such as 24h")
	}
	if c.ReissueWindow, err = time.ParseDuration(get("OCC_REISSUE_WINDOW")); err != nil || c.ReissueWindow <= 0 {
		errs = append(errs, "OCC_REISSUE_WINDOW must be a positive duration such as 720h")
	}
	if c.ComplaintFirstResponseDays, err = strconv.Atoi(get("OCC_COMPLAINT_FIRST_RESPONSE_DAYS")); err != nil || c.ComplaintFirstResponseDays < 1 {
		errs = append(errs, "OCC_COMPLAINT_FIRST_RESPONSE_DAYS must be a positive number of business days")
	}
	if c.ComplaintResolutionDays, err = strconv.Atoi(get("OCC_COMPLAINT_RESOLUTION_DAYS")); err != nil || c.ComplaintResolutionDays < 1 {
		errs = append(errs, "OCC_COMPLAINT_RESOLUTION_DAYS must be a positive number of days")
	}
	if v := get("OCC_COMPLAINT_FIRST_RESPONSE_OVERRIDE"); v != "" {
		if c.ComplaintFirstResponseOverride, err = time.ParseDuration(v); err != nil || c.ComplaintFirstResponseOverride <= 0 {
			errs = append(errs, "OCC_COMPLAINT_FIRST_RESPONSE_OVERRIDE must be a positive duration such as 2m")
		}
	}
	if len(errs) > 0 {
		return c, fmt.Errorf("configuration: %s", strings.Join(errs, "; "))
	}
	return c, nil
}
