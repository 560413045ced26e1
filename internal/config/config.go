// Package config reads the configuration from OCC_* environment variables. Every variable
// has a default that works with `make dev`; docs/operations.md has the table.
package config

import (
	"fmt"
	"net/netip"
	"net/url"
	"occonnect/activities/contract"
	"occonnect/domain"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Contacts are the Office's contact details.
type Contacts struct {
	SupportEmail, SupportPhone, ContactEmail, Website string
}

// DefaultContacts are the contact details of the defaults (the brochure's), for the tests
// that render e-mails in their own process.
func DefaultContacts() Contacts {
	return Contacts{SupportEmail: Default("OCC_SUPPORT_EMAIL"), SupportPhone: Default("OCC_SUPPORT_PHONE"),
		ContactEmail: Default("OCC_CONTACT_EMAIL"), Website: Default("OCC_WEBSITE")}
}

// MFARequiredRoles always need a second factor when OCC_STAFF_MFA=required.
var MFARequiredRoles = []domain.Role{domain.RoleAdmin, domain.RoleHeadOfUnit, domain.RoleSupervisor}

// Config is the whole configuration of the binary.
type Config struct {
	APIAddr           string
	MySQLDSN          string
	TemporalAddress   string
	TemporalNamespace string
	// TemporalTLS: how to reach a secured cluster (mTLS or Temporal Cloud API key).
	TemporalTLS   TemporalTLS
	SMTPHost      string
	SMTPPort      int
	SMTPUsername  string
	SMTPPassword  string
	SMTPTLS       string
	MailFrom      string
	CredentialTTL time.Duration
	ReissueWindow time.Duration
	LogLevel      string
	// Metrics listeners (empty: none) and the profiles of net/http/pprof on them.
	APIMetricsAddr    string
	WorkerMetricsAddr string
	Pprof             bool
	// WorkflowCache bounds the workflows a worker keeps in memory (sticky cache).
	WorkflowCache int
	// Retention is what the nightly retention run keeps (OCC_RETENTION_*).
	Retention contract.RetentionInput
	// ReconcileEvery is the interval of the reconciler's Temporal Schedule, ReconcileAfter
	// the age of the rows it repairs.
	ReconcileEvery, ReconcileAfter time.Duration
	// Complaint service levels.
	ComplaintFirstResponseDays     int
	ComplaintResolutionDays        int
	ComplaintFirstResponseOverride time.Duration
	// A request for information left unanswered: the citizen's reminder and the closing.
	ComplaintCitizenReminderDays     int
	ComplaintCitizenCloseDays        int
	ComplaintCitizenDeadlineOverride time.Duration
	// Payload encryption and the codec server of the Temporal Web UI.
	PayloadKeys     string
	CodecAddr       string
	CodecCORSOrigin string
	CodecToken      string

	// The exceptions to failing closed: AllowPlaintextPayloads (OCC_ALLOW_PLAINTEXT_PAYLOADS)
	// starts the api and worker without PayloadKeys, and with keys still reads unencrypted
	// payloads; AllowPlaintextSMTP (OCC_ALLOW_PLAINTEXT_SMTP) lets OCC_SMTP_TLS none or
	// opportunistic reach a host that is not loopback; DevSeed (OCC_DEV_SEED) allows
	// `occonnect seed demo`.
	AllowPlaintextPayloads, AllowPlaintextSMTP, DevSeed bool

	// Contacts are the Office's contact details (OCC_SUPPORT_EMAIL, OCC_SUPPORT_PHONE,
	// OCC_CONTACT_EMAIL, OCC_WEBSITE): the e-mails print them, the app reads them.
	Contacts Contacts

	// StaffMFARoles are the staff roles that must sign in with a second factor (none when
	// OCC_STAFF_MFA=optional).
	StaffMFARoles []domain.Role

	// Abuse resistance of the API: sign-in rate limits, proxies, browser origins.
	RateLimitIP, RateLimitAccount Rate
	// SignInFailuresPerAddress: wrong passwords in a row that shut a client address out of
	// the sign-ins for a while (-1: off).
	SignInFailuresPerAddress int
	TrustedProxies           []netip.Prefix
	APICORSOrigins           []string
	// PublicURL (OCC_PUBLIC_URL) is the base URL clients reach the API at: scheme, host,
	// port and any path prefix a reverse proxy adds, without /api/v1 (the OpenAPI
	// document's paths start with it), e.g. https://api.occonnect.oc.gov.ma. The API lists
	// it as the only server of the document it serves at /api/v1/openapi.yaml. It must be
	// an absolute http or https URL without user, query or fragment; a trailing slash is
	// dropped. Default: http://127.0.0.1:8080, the default listen address (OCC_API_ADDR)
	// for local development; set it wherever the API is reached at another address.
	PublicURL string
}

// Rate is at most Requests per Per (api.RateLimit has the same shape); zero: no limit.
type Rate struct {
	Requests int
	Per      time.Duration
}

// Var documents one variable (used by the table of docs/operations.md and `occonnect config`).
type Var struct {
	Name, Default, Help string
}

// Vars lists every variable with its default.
var Vars = []Var{
	{"OCC_API_ADDR", "127.0.0.1:8080", "address the API listens on"},
	{"OCC_PUBLIC_URL", "http://127.0.0.1:8080", "base URL clients reach the API at, without /api/v1 (e.g. https://api.occonnect.oc.gov.ma): the server listed in /api/v1/openapi.yaml"},
	{"OCC_MYSQL_DSN", "root@tcp(127.0.0.1:3306)/occonnect", "MySQL/MariaDB DSN (go-sql-driver format)"},
	{"OCC_TEMPORAL_ADDRESS", "127.0.0.1:7233", "Temporal frontend (gRPC)"},
	{"OCC_TEMPORAL_NAMESPACE", "default", "Temporal namespace"},
	{"OCC_TEMPORAL_TLS", "false", "true: connect to Temporal over TLS (implied by the four variables below)"},
	{"OCC_TEMPORAL_TLS_CA", "", "PEM file of the CA that signed the Temporal frontend's certificate (empty: the system's roots)"},
	{"OCC_TEMPORAL_TLS_CERT", "", "PEM file of the client certificate for mTLS (with OCC_TEMPORAL_TLS_KEY)"},
	{"OCC_TEMPORAL_TLS_KEY", "", "PEM file of the client certificate's private key"},
	{"OCC_TEMPORAL_API_KEY", "", "Temporal Cloud API key, sent as a bearer token over TLS (empty: none)"},
	{"OCC_SMTP_HOST", "127.0.0.1", "SMTP server"},
	{"OCC_SMTP_PORT", "1025", "SMTP port"},
	{"OCC_SMTP_USERNAME", "", "SMTP AUTH user (none when empty)"},
	{"OCC_SMTP_PASSWORD", "", "SMTP AUTH password"},
	{"OCC_SMTP_TLS", "none", "none | opportunistic | mandatory | implicit; none and opportunistic only towards a loopback OCC_SMTP_HOST (or with OCC_ALLOW_PLAINTEXT_SMTP=true)"},
	{"OCC_ALLOW_PLAINTEXT_SMTP", "false", "true: allow OCC_SMTP_TLS none or opportunistic towards an OCC_SMTP_HOST that is not loopback (a relay on a trusted private network, e.g. the bundled Mailpit of docker compose)"},
	{"OCC_SUPPORT_EMAIL", "occonnect@oc.gov.ma", "the support e-mail address the e-mails print and GET /api/v1/app-config gives the app"},
	{"OCC_SUPPORT_PHONE", "05 37 26 63 63", "the support phone number (the e-mails, the app)"},
	{"OCC_CONTACT_EMAIL", "Contact@oc.gov.ma", "the Office's general contact address (the app)"},
	{"OCC_WEBSITE", "https://www.oc.gov.ma", "the Office's website (the app)"},
	{"OCC_MAIL_FROM", "OC Connect <no-reply@occonnect.local>", "From header of every e-mail"},
	{"OCC_CREDENTIAL_TTL", "24h", "validity of an initial password"},
	{"OCC_REISSUE_WINDOW", "720h", "how long expired credentials wait for a re-issue before the enrollment lapses"},
	{"OCC_LOG_LEVEL", "info", "debug | info | warn | error"},
	{"OCC_API_METRICS_ADDR", "127.0.0.1:9090", "address of the API's /metrics listener (empty: none); never the API port"},
	{"OCC_WORKER_METRICS_ADDR", "127.0.0.1:9091", "address of the worker's /metrics listener (empty: none)"},
	{"OCC_PPROF", "false", "true: serve net/http/pprof on /debug/pprof/ of the metrics listeners"},
	{"OCC_WORKER_WORKFLOW_CACHE", "1000", "workflows a worker keeps in memory between their tasks (the others replay from history when they wake up)"},
	{"OCC_RETENTION_SESSIONS", "168h", "retention: how long an expired or revoked session is kept (then deleted)"},
	{"OCC_RETENTION_IDEMPOTENCY", "168h", "retention: how long the answer to an Idempotency-Key is kept (a retry later than that is a new request)"},
	{"OCC_RETENTION_OUTBOX_BODIES", "168h", "retention: how long the body of an e-mail neither sent nor cancelled is kept (sent or cancelled: erased at once)"},
	{"OCC_RETENTION_LAPSED_DAYS", "90", "retention: days after the lapse of their enrollment before a never-activated citizen is anonymised"},
	{"OCC_RETENTION_COMPLAINT_YEARS", "5", "retention: years after a complaint is closed or rejected before its texts (subject, conversation, feedback) are erased"},
	{"OCC_RECONCILE_EVERY", "5m", "interval of the reconciler (a Temporal Schedule the worker keeps) that starts the workflows of complaints and DTS requests recorded without one"},
	{"OCC_RECONCILE_AFTER", "1m", "the reconciler leaves the rows younger than this (their own start may be under way)"},
	{"OCC_COMPLAINT_FIRST_RESPONSE_DAYS", "2", "complaints: first response target, in business days"},
	{"OCC_COMPLAINT_RESOLUTION_DAYS", "60", "complaints: resolution target, in calendar days"},
	{"OCC_COMPLAINT_CITIZEN_REMINDER_DAYS", "10", "complaints: a request for information unanswered this many business days is reminded to the citizen"},
	{"OCC_COMPLAINT_CITIZEN_CLOSE_DAYS", "5", "complaints: business days after that reminder when the complaint is closed unanswered"},
	{"OCC_PAYLOAD_KEYS", "", "AES-256 keys of the payload codec, id:base64[,id:base64…], newest first; required by the api, worker and codec-server (unless OCC_ALLOW_PLAINTEXT_PAYLOADS=true)"},
	{"OCC_ALLOW_PLAINTEXT_PAYLOADS", "false", "true, for local development only: the api and worker start without OCC_PAYLOAD_KEYS (payloads in clear), and with keys still read the unencrypted payloads of histories written before them"},
	{"OCC_CODEC_ADDR", "127.0.0.1:8081", "address of the codec server (occonnect codec-server)"},
	{"OCC_CODEC_CORS_ORIGIN", "http://127.0.0.1:8233", "origin of the Temporal Web UI allowed to call the codec server"},
	{"OCC_CODEC_TOKEN", "", "bearer token the codec server requires; empty only when OCC_CODEC_ADDR is a loopback address"},
	{"OCC_STAFF_MFA", "required", "required: the roles of OCC_STAFF_MFA_ROLES sign in with a second factor (TOTP), enrolled at their first sign-in | optional, for local development only (make dev): nobody is made to enrol, those enrolled use it"},
	{"OCC_STAFF_MFA_ROLES", "admin,head_of_unit,supervisor,officer,agent", "the staff roles that must have a second factor when OCC_STAFF_MFA=required; admin, head_of_unit and supervisor always must"},
	{"OCC_DEV_SEED", "false", "true: allow occonnect seed demo (demo staff accounts; make dev sets it); never in production"},
	{"OCC_COMPLAINT_FIRST_RESPONSE_OVERRIDE", "", "demonstrations only: a plain duration (e.g. 2m) replacing the first response target"},
	{"OCC_COMPLAINT_CITIZEN_DEADLINE_OVERRIDE", "", "demonstrations only: a plain duration (e.g. 2m) replacing each of the citizen's two delays (reminder, then closing)"},
	{"OCC_RATE_LIMIT_IP", "60/1m", "sign-in attempts (activation, resend, citizen and staff login) per client address, a flood guard sized for carrier-grade NAT (failures have their own budget): N/period, or off"},
	{"OCC_SIGNIN_FAILURES_PER_ADDRESS", "100", "wrong passwords in a row, whatever the accounts, that shut a client address out of the sign-ins for 15 min to 1 h: a number, or off"},
	{"OCC_RATE_LIMIT_ACCOUNT", "10/15m", "sign-in attempts per login name from one client address (CIN or staff e-mail): N/period, or off"},
	{"OCC_TRUSTED_PROXIES", "", "CIDRs or addresses of the reverse proxies whose X-Forwarded-For/-Proto are believed (empty: none)"},
	{"OCC_API_CORS_ORIGINS", "", "exact origins allowed to call the API from a browser, comma-separated (empty: no CORS)"},
}

// Default is a variable's default ("" for an unknown one).
func Default(name string) string {
	for _, v := range Vars {
		if v.Name == name {
			return v.Default
		}
	}
	return ""
}

func get(name string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return Default(name)
}

// Load reads the environment.
func Load() (Config, error) {
	c := Config{
		APIAddr:           get("OCC_API_ADDR"),
		MySQLDSN:          get("OCC_MYSQL_DSN"),
		TemporalAddress:   get("OCC_TEMPORAL_ADDRESS"),
		TemporalNamespace: get("OCC_TEMPORAL_NAMESPACE"),
		TemporalTLS: TemporalTLS{CAFile: get("OCC_TEMPORAL_TLS_CA"), CertFile: get("OCC_TEMPORAL_TLS_CERT"),
			KeyFile: get("OCC_TEMPORAL_TLS_KEY"), APIKey: get("OCC_TEMPORAL_API_KEY")},
		SMTPHost:     get("OCC_SMTP_HOST"),
		SMTPUsername: get("OCC_SMTP_USERNAME"),
		SMTPPassword: get("OCC_SMTP_PASSWORD"),
		SMTPTLS:      strings.ToLower(get("OCC_SMTP_TLS")),
		Contacts: Contacts{SupportEmail: strings.TrimSpace(get("OCC_SUPPORT_EMAIL")), SupportPhone: strings.TrimSpace(get("OCC_SUPPORT_PHONE")),
			ContactEmail: strings.TrimSpace(get("OCC_CONTACT_EMAIL")), Website: strings.TrimSpace(get("OCC_WEBSITE"))},
		MailFrom:          get("OCC_MAIL_FROM"),
		LogLevel:          get("OCC_LOG_LEVEL"),
		APIMetricsAddr:    get("OCC_API_METRICS_ADDR"),
		WorkerMetricsAddr: get("OCC_WORKER_METRICS_ADDR"),
		PayloadKeys:       get("OCC_PAYLOAD_KEYS"),
		CodecAddr:         get("OCC_CODEC_ADDR"),
		CodecCORSOrigin:   get("OCC_CODEC_CORS_ORIGIN"),
		CodecToken:        get("OCC_CODEC_TOKEN"),
	}
	var errs []string
	var err error
	if c.TemporalTLS.Enabled, err = strconv.ParseBool(get("OCC_TEMPORAL_TLS")); err != nil {
		errs = append(errs, "OCC_TEMPORAL_TLS must be true or false")
	}
	if (c.TemporalTLS.CertFile == "") != (c.TemporalTLS.KeyFile == "") {
		errs = append(errs, "OCC_TEMPORAL_TLS_CERT and OCC_TEMPORAL_TLS_KEY go together")
	}
	if c.TemporalTLS.CAFile != "" || c.TemporalTLS.CertFile != "" || c.TemporalTLS.APIKey != "" {
		c.TemporalTLS.Enabled = true
	}
	if c.WorkflowCache, err = strconv.Atoi(get("OCC_WORKER_WORKFLOW_CACHE")); err != nil || c.WorkflowCache < 1 {
		errs = append(errs, "OCC_WORKER_WORKFLOW_CACHE must be a positive number of workflows")
	}
	for _, d := range []struct {
		name string
		to   *time.Duration
	}{{"OCC_RETENTION_SESSIONS", &c.Retention.Sessions}, {"OCC_RETENTION_IDEMPOTENCY", &c.Retention.Idempotency},
		{"OCC_RETENTION_OUTBOX_BODIES", &c.Retention.OutboxBodies}} {
		if *d.to, err = time.ParseDuration(get(d.name)); err != nil || *d.to < time.Hour {
			errs = append(errs, d.name+" must be a duration of at least 1h, such as 168h")
		}
	}
	if days, err := strconv.Atoi(get("OCC_RETENTION_LAPSED_DAYS")); err != nil || days < 1 {
		errs = append(errs, "OCC_RETENTION_LAPSED_DAYS must be a positive number of days")
	} else {
		c.Retention.LapsedCitizens = time.Duration(days) * 24 * time.Hour
	}
	if years, err := strconv.Atoi(get("OCC_RETENTION_COMPLAINT_YEARS")); err != nil || years < 1 {
		errs = append(errs, "OCC_RETENTION_COMPLAINT_YEARS must be a positive number of years")
	} else {
		c.Retention.ClosedTexts = time.Duration(years) * 365 * 24 * time.Hour
	}
	if c.ReconcileEvery, err = time.ParseDuration(get("OCC_RECONCILE_EVERY")); err != nil || c.ReconcileEvery < time.Second {
		errs = append(errs, "OCC_RECONCILE_EVERY must be a duration of at least 1s, such as 5m")
	}
	if c.ReconcileAfter, err = time.ParseDuration(get("OCC_RECONCILE_AFTER")); err != nil || c.ReconcileAfter < time.Second {
		errs = append(errs, "OCC_RECONCILE_AFTER must be a duration of at least 1s, such as 1m")
	}
	if c.Pprof, err = strconv.ParseBool(get("OCC_PPROF")); err != nil {
		errs = append(errs, "OCC_PPROF must be true or false")
	}
	if c.AllowPlaintextPayloads, err = strconv.ParseBool(get("OCC_ALLOW_PLAINTEXT_PAYLOADS")); err != nil {
		errs = append(errs, "OCC_ALLOW_PLAINTEXT_PAYLOADS must be true or false")
	}
	if c.AllowPlaintextSMTP, err = strconv.ParseBool(get("OCC_ALLOW_PLAINTEXT_SMTP")); err != nil {
		errs = append(errs, "OCC_ALLOW_PLAINTEXT_SMTP must be true or false")
	}
	if !domain.ValidEmail(strings.ToLower(c.Contacts.SupportEmail)) || !domain.ValidEmail(strings.ToLower(c.Contacts.ContactEmail)) {
		errs = append(errs, "OCC_SUPPORT_EMAIL and OCC_CONTACT_EMAIL must be e-mail addresses")
	}
	if c.Contacts.SupportPhone == "" || len(c.Contacts.SupportPhone) > 32 {
		errs = append(errs, "OCC_SUPPORT_PHONE must be a phone number of at most 32 characters")
	}
	if u, err := url.Parse(c.Contacts.Website); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		errs = append(errs, "OCC_WEBSITE must be an absolute http(s) URL, such as https://www.oc.gov.ma")
	}
	switch get("OCC_STAFF_MFA") {
	case "required":
		for r := range strings.SplitSeq(get("OCC_STAFF_MFA_ROLES"), ",") {
			r = strings.TrimSpace(r)
			if !domain.ValidRole(r) {
				errs = append(errs, fmt.Sprintf("OCC_STAFF_MFA_ROLES: unknown role %q", r))
			} else if !slices.Contains(c.StaffMFARoles, domain.Role(r)) {
				c.StaffMFARoles = append(c.StaffMFARoles, domain.Role(r))
			}
		}
		for _, must := range MFARequiredRoles {
			if !slices.Contains(c.StaffMFARoles, must) {
				errs = append(errs, fmt.Sprintf("OCC_STAFF_MFA_ROLES must include %s (admin, head_of_unit and supervisor always need a second factor)", must))
			}
		}
	case "optional":
	default:
		errs = append(errs, "OCC_STAFF_MFA must be required or optional")
	}
	if c.DevSeed, err = strconv.ParseBool(get("OCC_DEV_SEED")); err != nil {
		errs = append(errs, "OCC_DEV_SEED must be true or false")
	}
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
	if c.ComplaintCitizenReminderDays, err = strconv.Atoi(get("OCC_COMPLAINT_CITIZEN_REMINDER_DAYS")); err != nil || c.ComplaintCitizenReminderDays < 1 {
		errs = append(errs, "OCC_COMPLAINT_CITIZEN_REMINDER_DAYS must be a positive number of business days")
	}
	if c.ComplaintCitizenCloseDays, err = strconv.Atoi(get("OCC_COMPLAINT_CITIZEN_CLOSE_DAYS")); err != nil || c.ComplaintCitizenCloseDays < 1 {
		errs = append(errs, "OCC_COMPLAINT_CITIZEN_CLOSE_DAYS must be a positive number of business days")
	}
	if v := get("OCC_COMPLAINT_CITIZEN_DEADLINE_OVERRIDE"); v != "" {
		if c.ComplaintCitizenDeadlineOverride, err = time.ParseDuration(v); err != nil || c.ComplaintCitizenDeadlineOverride <= 0 {
			errs = append(errs, "OCC_COMPLAINT_CITIZEN_DEADLINE_OVERRIDE must be a positive duration such as 2m")
		}
	}
	switch v := get("OCC_SIGNIN_FAILURES_PER_ADDRESS"); v {
	case "off":
		c.SignInFailuresPerAddress = -1
	default:
		if c.SignInFailuresPerAddress, err = strconv.Atoi(v); err != nil || c.SignInFailuresPerAddress < 1 {
			errs = append(errs, "OCC_SIGNIN_FAILURES_PER_ADDRESS must be a positive number of failures, or off")
		}
	}
	if c.RateLimitIP, err = ParseRate(get("OCC_RATE_LIMIT_IP")); err != nil {
		errs = append(errs, "OCC_RATE_LIMIT_IP "+err.Error())
	}
	if c.RateLimitAccount, err = ParseRate(get("OCC_RATE_LIMIT_ACCOUNT")); err != nil {
		errs = append(errs, "OCC_RATE_LIMIT_ACCOUNT "+err.Error())
	}
	if c.TrustedProxies, err = parsePrefixes(get("OCC_TRUSTED_PROXIES")); err != nil {
		errs = append(errs, "OCC_TRUSTED_PROXIES "+err.Error())
	}
	if c.APICORSOrigins, err = parseOrigins(get("OCC_API_CORS_ORIGINS")); err != nil {
		errs = append(errs, "OCC_API_CORS_ORIGINS "+err.Error())
	}
	if c.PublicURL, err = parsePublicURL(get("OCC_PUBLIC_URL")); err != nil {
		errs = append(errs, "OCC_PUBLIC_URL "+err.Error())
	}
	if len(errs) > 0 {
		return c, fmt.Errorf("configuration: %s", strings.Join(errs, "; "))
	}
	return c, nil
}

// RequirePayloadKeys is the fail-closed rule of the api and the worker: without
// OCC_PAYLOAD_KEYS they refuse to start, unless OCC_ALLOW_PLAINTEXT_PAYLOADS=true.
func (c Config) RequirePayloadKeys() error {
	if strings.TrimSpace(c.PayloadKeys) != "" || c.AllowPlaintextPayloads {
		return nil
	}
	return fmt.Errorf("OCC_PAYLOAD_KEYS is empty: workflow payloads would be stored in clear in Temporal; " +
		"set it (occonnect codec-key k1 makes a key), or for local development only OCC_ALLOW_PLAINTEXT_PAYLOADS=true")
}

// ErrDevSeed: `occonnect seed demo` without OCC_DEV_SEED=true.
var ErrDevSeed = fmt.Errorf("seed demo creates demo staff accounts that share one password: it runs only with " +
	"OCC_DEV_SEED=true (make dev sets it), never in production")

// ParseRate reads "N/period" such as 20/1m, 10/15m or 100/h; "0" or "off" is no limit.
func ParseRate(v string) (Rate, error) {
	v = strings.TrimSpace(v)
	if v == "0" || strings.EqualFold(v, "off") {
		return Rate{}, nil
	}
	bad := fmt.Errorf("must be N/period such as 20/1m, or off")
	n, period, ok := strings.Cut(v, "/")
	if !ok {
		return Rate{}, bad
	}
	r := Rate{}
	var err error
	if r.Requests, err = strconv.Atoi(n); err != nil || r.Requests < 1 {
		return Rate{}, bad
	}
	if r.Per, err = time.ParseDuration(period); err != nil {
		r.Per, err = time.ParseDuration("1" + period) // "h", "m", "s"
	}
	if err != nil || r.Per <= 0 {
		return Rate{}, bad
	}
	return r, nil
}

// parsePrefixes reads a comma-separated list of CIDRs or single addresses.
func parsePrefixes(v string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(v, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		if a, err := netip.ParseAddr(f); err == nil {
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, fmt.Errorf("must be CIDRs or addresses such as 10.0.0.0/8, 192.0.2.7")
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// parseOrigins reads a comma-separated list of origins (scheme://host[:port], nothing
// after), as browsers send them in Origin.
func parseOrigins(v string) ([]string, error) {
	var out []string
	for _, f := range strings.Split(v, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		u, err := url.Parse(f)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
			u.Path != "" || u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(f, "?") || strings.HasSuffix(f, "#") {
			return nil, fmt.Errorf("must be origins such as https://app.example.ma (no path, no trailing slash)")
		}
		out = append(out, strings.ToLower(u.Scheme+"://"+u.Host))
	}
	return out, nil
}

// parsePublicURL reads an absolute http or https URL with a host, and an optional path,
// but no user, query or fragment; it returns it without a trailing slash.
func parsePublicURL(v string) (string, error) {
	v = strings.TrimSpace(v)
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.User != nil ||
		u.Opaque != "" || u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(v, "?#") {
		return "", fmt.Errorf("must be an absolute http or https URL such as https://api.occonnect.oc.gov.ma (no user, query or fragment)")
	}
	return strings.TrimSuffix(u.String(), "/"), nil
}

// TemporalTLS is the connection security towards the Temporal frontend.
type TemporalTLS struct {
	Enabled                   bool
	CAFile, CertFile, KeyFile string
	APIKey                    string
}
