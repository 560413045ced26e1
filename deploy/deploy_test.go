package deploy

import (
	"bufio"
	"context"
	"maps"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/go-sql-driver/mysql"

	"occonnect/internal/config"
	"occonnect/worker"
)

// No Docker engine runs where the tests do: these tests load docker-compose.yml with
// compose-go (the loader of `docker compose` itself: interpolation, merges, profiles,
// depends_on consistency), with deploy/.env.example filled in as an operator fills it, and
// check the model against the binary's configuration (config.Vars) and commands
// (cmd/occonnect/main.go), and the Temporal cluster against cluster mode (temporal_test.go).
// dockerfile_test.go reads the Dockerfile and .dockerignore.

// The roles of the services that run the occonnect binary.
const (
	roleAPI     = "api"
	roleWorker  = "worker"
	roleCodec   = "codec-server"
	roleMigrate = "migrate"
	roleSetup   = "temporal-setup"
)

// binaryServices: service → role and the command it runs.
var binaryServices = map[string]struct {
	role    string
	command []string
}{
	"api":            {roleAPI, []string{"api"}},
	"worker-1":       {roleWorker, []string{"worker"}},
	"worker-2":       {roleWorker, []string{"worker"}},
	"codec-server":   {roleCodec, []string{"codec-server"}},
	"migrate":        {roleMigrate, []string{"migrate", "up"}},
	"temporal-setup": {roleSetup, []string{"search-attributes"}},
}

// The services of the Temporal cluster (temporal_test.go checks them against cluster mode).
var (
	temporalServers = []string{"temporal-frontend", "temporal-history", "temporal-matching", "temporal-worker"}
	temporalJobs    = []string{"temporal-schema", "temporal-namespace"}
)

// otherServices: service → image repository (its tag is pinned, see TestComposeServices;
// its variables are in imageVars).
var otherServices = map[string]string{
	"mysql":              "mysql",
	"postgres":           "postgres",
	"temporal-schema":    "temporalio/admin-tools",
	"temporal-frontend":  "temporalio/server",
	"temporal-history":   "temporalio/server",
	"temporal-matching":  "temporalio/server",
	"temporal-worker":    "temporalio/server",
	"temporal-namespace": "temporalio/admin-tools",
	"temporal-ui":        "temporalio/ui",
	"mailpit":            "axllent/mailpit",
}

// oneShots: services that run to completion (restart "no"); the others stay up.
var oneShots = []string{"migrate", "temporal-setup", "temporal-schema", "temporal-namespace"}

// mailpitProfile: the profile that runs the bundled Mailpit; without it a real SMTP relay
// named in deploy/.env replaces it.
const mailpitProfile = "mailpit"

// containerVar is the decision for one variable of config.Vars in the containers: which
// roles set it, and whether it may stay empty there. Every variable whose default does not
// work in a container (empty, or on 127.0.0.1) must have a row: a new one fails the test
// until it is decided here and set in docker-compose.yml.
type containerVar struct {
	roles    []string
	optional string // why an empty value is right (the roles pass it from deploy/.env)
}

// temporalRoles are the roles that connect to Temporal.
var temporalRoles = []string{roleAPI, roleWorker, roleSetup}

var containerVars = map[string]containerVar{
	"OCC_API_ADDR":             {roles: []string{roleAPI}},
	"OCC_API_METRICS_ADDR":     {roles: []string{roleAPI}},
	"OCC_WORKER_METRICS_ADDR":  {roles: []string{roleWorker}},
	"OCC_CODEC_ADDR":           {roles: []string{roleCodec}},
	"OCC_CODEC_CORS_ORIGIN":    {roles: []string{roleCodec}},
	"OCC_CODEC_TOKEN":          {roles: []string{roleCodec}},
	"OCC_MYSQL_DSN":            {roles: []string{roleAPI, roleWorker, roleMigrate}},
	"OCC_TEMPORAL_ADDRESS":     {roles: temporalRoles},
	"OCC_TEMPORAL_NAMESPACE":   {roles: temporalRoles},
	"OCC_PAYLOAD_KEYS":         {roles: []string{roleAPI, roleWorker, roleCodec}},
	"OCC_SMTP_HOST":            {roles: []string{roleAPI, roleWorker}},
	"OCC_SMTP_PORT":            {roles: []string{roleAPI, roleWorker}},
	"OCC_SMTP_TLS":             {roles: []string{roleAPI, roleWorker}},
	"OCC_MAIL_FROM":            {roles: []string{roleAPI, roleWorker}},
	"OCC_SMTP_USERNAME":        {roles: []string{roleAPI, roleWorker}, optional: "the bundled Mailpit takes no SMTP AUTH"},
	"OCC_SMTP_PASSWORD":        {roles: []string{roleAPI, roleWorker}, optional: "the bundled Mailpit takes no SMTP AUTH"},
	"OCC_ALLOW_PLAINTEXT_SMTP": {roles: []string{roleAPI, roleWorker}},
	"OCC_TRUSTED_PROXIES":      {roles: []string{roleAPI}, optional: "no reverse proxy until the operator puts one in front"},
	"OCC_API_CORS_ORIGINS":     {roles: []string{roleAPI}, optional: "the mobile app is no browser: no CORS unless a web client is added"},
	"OCC_PUBLIC_URL":           {roles: []string{roleAPI}},
	"OCC_TEMPORAL_TLS_CA":      {roles: temporalRoles, optional: "the bundled Temporal cluster speaks plain gRPC on the private network"},
	"OCC_TEMPORAL_TLS_CERT":    {roles: temporalRoles, optional: "the bundled Temporal cluster speaks plain gRPC on the private network"},
	"OCC_TEMPORAL_TLS_KEY":     {roles: temporalRoles, optional: "the bundled Temporal cluster speaks plain gRPC on the private network"},
	"OCC_TEMPORAL_API_KEY":     {roles: temporalRoles, optional: "only Temporal Cloud takes an API key"},
}

// neverInProduction: variables that must not appear in docker-compose.yml.
var neverInProduction = map[string]string{
	"OCC_COMPLAINT_FIRST_RESPONSE_OVERRIDE":   "demonstrations only: it replaces the complaints' service level",
	"OCC_COMPLAINT_CITIZEN_DEADLINE_OVERRIDE": "demonstrations only: it replaces the citizen's delays to answer",
	"OCC_ALLOW_PLAINTEXT_PAYLOADS":            "local development only: payloads in clear in Temporal",
	"OCC_DEV_SEED":                            "local development only: demo staff accounts sharing one password",
	"OCC_DEV_TOTP_SECRET":                     "local development only: the demo second factor's secret",
}

// imageVars: the variables each image documents, that docker-compose.yml may set. The
// Temporal images' are read from the files they run (TestComposeEnvironmentIsKnown).
var imageVars = map[string][]string{
	// MYSQL_ROOT_PASSWORD (hub.docker.com/_/mysql); the others are read by
	// deploy/mysql/initdb/*.sh and added by TestComposeEnvironmentIsKnown.
	"mysql": {"MYSQL_ROOT_PASSWORD"},
	// hub.docker.com/_/postgres, "Environment Variables".
	"postgres": {"POSTGRES_PASSWORD", "POSTGRES_USER", "POSTGRES_DB", "POSTGRES_INITDB_ARGS", "PGDATA"},
	// docs.temporal.io/references/web-ui-environment-variables
	"temporalio/ui": {"TEMPORAL_ADDRESS", "TEMPORAL_UI_PORT", "TEMPORAL_DEFAULT_NAMESPACE", "TEMPORAL_CORS_ORIGINS",
		"TEMPORAL_CODEC_ENDPOINT", "TEMPORAL_CODEC_PASS_ACCESS_TOKEN", "TEMPORAL_CODEC_INCLUDE_CREDENTIALS",
		"TEMPORAL_DISABLE_WRITE_ACTIONS", "TEMPORAL_AUTH_ENABLED", "TEMPORAL_AUTH_PROVIDER_URL", "TEMPORAL_AUTH_CLIENT_ID",
		"TEMPORAL_AUTH_CLIENT_SECRET", "TEMPORAL_AUTH_CALLBACK_URL", "TEMPORAL_AUTH_SCOPES"},
	// mailpit.axllent.org/docs/configuration/runtime-options/
	"axllent/mailpit": {"MP_DATABASE", "MP_MAX_MESSAGES", "MP_SMTP_AUTH", "MP_SMTP_AUTH_ALLOW_INSECURE", "MP_UI_AUTH"},
}

const (
	healthy   = "service_healthy"
	completed = "service_completed_successfully"
)

// dependency: the condition, and whether the dependency must exist (depends_on's
// required; false only for Mailpit, which the profile may leave out).
type dependency struct {
	condition string
	required  bool
}

var afterFrontend = map[string]dependency{"temporal-frontend": {healthy, true}}

// wantDependsOn: service → dependency, exactly, with the mailpit profile on.
var wantDependsOn = map[string]map[string]dependency{
	"temporal-schema":    {"postgres": {healthy, true}},
	"temporal-frontend":  {"temporal-schema": {completed, true}},
	"temporal-history":   afterFrontend,
	"temporal-matching":  afterFrontend,
	"temporal-worker":    afterFrontend,
	"temporal-namespace": afterFrontend,
	"temporal-ui":        afterFrontend,
	"temporal-setup":     {"temporal-namespace": {completed, true}},
	"migrate":            {"mysql": {healthy, true}},
	"api":                appDependsOn,
	"worker-1":           appDependsOn,
	"worker-2":           appDependsOn,
}

var appDependsOn = map[string]dependency{
	"migrate":           {completed, true},
	"temporal-setup":    {completed, true},
	"temporal-frontend": {healthy, true},
	"mailpit":           {healthy, false},
}

// wantHealthcheck: the long-running services others wait for or that ops watch.
var wantHealthcheck = []string{"mysql", "postgres", "temporal-frontend", "mailpit", "api", "worker-1", "worker-2", "codec-server"}

// --- the files -----------------------------------------------------------------------------

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", path))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// repoRoot is the repository's absolute path: compose-go resolves relative paths from it.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// envExample reads deploy/.env.example: NAME=value lines.
func envExample(t *testing.T) map[string]string {
	t.Helper()
	vars := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(readFile(t, "deploy/.env.example")))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Errorf("deploy/.env.example: %q is no NAME=value line", line)
			continue
		}
		if _, dup := vars[k]; dup {
			t.Errorf("deploy/.env.example: %s twice", k)
		}
		vars[k] = v
	}
	return vars
}

// interpolation: ${NAME}, ${NAME:-default}, ${NAME:?message}… ($$ is a literal dollar).
var interpolation = regexp.MustCompile(`\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)([^}]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)`)

// interpolated: the variables a text reads (docker-compose.yml, a script).
func interpolated(text string) map[string]bool {
	names := map[string]bool{}
	for _, m := range interpolation.FindAllStringSubmatch(text, -1) {
		if m[0] == "$$" {
			continue
		}
		names[m[1]+m[3]] = true
	}
	return names
}

// requiredVars: the variables docker-compose.yml reads as ${NAME:?message}.
func requiredVars(text string) []string {
	var names []string
	for _, m := range interpolation.FindAllStringSubmatch(text, -1) {
		if m[0] != "$$" && strings.HasPrefix(m[2], ":?") && !slices.Contains(names, m[1]) {
			names = append(names, m[1])
		}
	}
	sort.Strings(names)
	return names
}

// notSecret: names that look like credentials and are switches.
var notSecret = map[string]bool{"TEMPORAL_CODEC_PASS_ACCESS_TOKEN": true}

// isSecret: a name that holds a credential.
func isSecret(name string) bool {
	if notSecret[name] {
		return false
	}
	for _, s := range []string{"PASSWORD", "PWD", "TOKEN", "KEYS", "SECRET", "API_KEY"} {
		if strings.Contains(name, s) {
			return true
		}
	}
	return false
}

// shown is a value for a message: quoted, or hidden when it is a secret's.
func shown(name, value string) string {
	if isSecret(name) {
		return "(a secret)"
	}
	return strconv.Quote(value)
}

// optionalSecret: a secret of deploy/.env that may stay empty (containerVars says why).
func optionalSecret(name string) bool {
	cv, ok := containerVars[name]
	return ok && cv.optional != ""
}

// filled is the value the tests give a variable of deploy/.env: recognisable, different
// for each, so that a value found in a container tells where it came from.
func filled(name string) string {
	return "filled-" + strings.ToLower(strings.ReplaceAll(name, "_", "-"))
}

// relay and mailpitRelay: the two ways of filling in the SMTP settings of deploy/.env.
var (
	relay = map[string]string{"OCC_SMTP_HOST": "smtp.example.org", "OCC_SMTP_PORT": "587",
		"OCC_SMTP_TLS": "mandatory", "OCC_SMTP_USERNAME": filled("OCC_SMTP_USERNAME"), "OCC_SMTP_PASSWORD": filled("OCC_SMTP_PASSWORD")}
	mailpitRelay = map[string]string{"OCC_SMTP_HOST": "mailpit", "OCC_SMTP_PORT": "1025", "OCC_SMTP_TLS": "none", "OCC_ALLOW_PLAINTEXT_SMTP": "true"}
)

// stackEnv is deploy/.env as an operator fills it in from deploy/.env.example: every
// required value that the example leaves empty gets one, the SMTP settings are smtp's, the
// optional values stay empty. It is all `docker compose --env-file` would see: nothing
// comes from the environment of the test.
func stackEnv(t *testing.T, smtp map[string]string) map[string]string {
	t.Helper()
	env := envExample(t)
	for _, name := range requiredVars(readFile(t, "docker-compose.yml")) {
		if env[name] == "" {
			env[name] = filled(name)
		}
	}
	for k, v := range smtp {
		env[k] = v
	}
	return env
}

// loadStack loads docker-compose.yml as `docker compose --env-file ENV [--profile …]`.
func loadStack(t *testing.T, env map[string]string, profiles ...string) (*types.Project, error) {
	t.Helper()
	root := repoRoot(t)
	details := types.ConfigDetails{
		WorkingDir:  root,
		ConfigFiles: []types.ConfigFile{{Filename: filepath.Join(root, "docker-compose.yml")}},
		Environment: env,
	}
	return loader.LoadWithContext(context.Background(), details, loader.WithProfiles(profiles))
}

// stack is the stack with the bundled Mailpit (--profile mailpit), the way most checks
// see it; TestComposeWithoutMailpit loads it without.
func stack(t *testing.T) *types.Project {
	t.Helper()
	p, err := loadStack(t, stackEnv(t, mailpitRelay), mailpitProfile)
	if err != nil {
		t.Fatalf("docker-compose.yml with --profile %s: %v", mailpitProfile, err)
	}
	return p
}

// service is a service of p; a missing one fails the test.
func service(t *testing.T, p *types.Project, name string) types.ServiceConfig {
	t.Helper()
	s, err := p.GetService(name)
	if err != nil {
		t.Fatalf("service %s: %v", name, err)
	}
	return s
}

// env is the value of one variable of a service's environment ("" when unset).
func env(s types.ServiceConfig, name string) (string, bool) {
	v, ok := s.Environment[name]
	if !ok || v == nil {
		return "", ok
	}
	return *v, true
}

func configVar(name string) (config.Var, bool) {
	for _, v := range config.Vars {
		if v.Name == name {
			return v, true
		}
	}
	return config.Var{}, false
}

// port is the port of "0.0.0.0:8080"; anything else fails the test.
func port(t *testing.T, what, addr string) string {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("%s: %q is no host:port", what, addr)
	}
	return p
}

// commands: the subcommands cmd/occonnect/main.go dispatches.
func commands(t *testing.T) map[string]bool {
	t.Helper()
	cmds := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^\tcase ("[^:]+):`).FindAllStringSubmatch(readFile(t, "cmd/occonnect/main.go"), -1) {
		for _, q := range regexp.MustCompile(`"([^"]+)"`).FindAllStringSubmatch(m[1], -1) {
			cmds[q[1]] = true
		}
	}
	return cmds
}

// --- the tests -------------------------------------------------------------------------------

// pinnedTag: a full version (x.y or x.y.z), maybe with a variant (15.19-bookworm).
var pinnedTag = regexp.MustCompile(`^v?\d+\.\d+(\.\d+)?(-[a-z0-9][a-z0-9.-]*)?$`)

func TestComposeServices(t *testing.T) {
	p := stack(t)
	if p.Name != "occonnect" {
		t.Errorf("project name %q, want occonnect", p.Name)
	}
	for name := range p.Services {
		_, bin := binaryServices[name]
		_, other := otherServices[name]
		if !bin && !other {
			t.Errorf("service %s is not described in deploy_test.go", name)
		}
	}
	for name := range binaryServices {
		service(t, p, name)
	}
	for name, repo := range otherServices {
		s := service(t, p, name)
		r, tag, _ := strings.Cut(s.Image, ":")
		if r != repo || !pinnedTag.MatchString(tag) {
			t.Errorf("%s: image %q, want %s pinned to a full version", name, s.Image, repo)
		}
		if s.Build != nil {
			t.Errorf("%s: is built, want the published image", name)
		}
	}
	for name, want := range map[string]string{"mysql": "mysql-data:/var/lib/mysql", "postgres": "postgres-data:/var/lib/postgresql/data"} {
		var ok bool
		for _, v := range service(t, p, name).Volumes {
			ok = ok || v.Type == types.VolumeTypeVolume && v.Source+":"+v.Target == want
		}
		if !ok {
			t.Errorf("%s: no volume %s", name, want)
		}
	}
	for name, s := range p.Services {
		oneShot := slices.Contains(oneShots, name)
		if oneShot && s.Restart != "no" {
			t.Errorf("%s: restart %q, want \"no\" for a one-shot", name, s.Restart)
		}
		if !oneShot && s.Restart != "unless-stopped" && s.Restart != "always" {
			t.Errorf("%s: restart %q, want unless-stopped", name, s.Restart)
		}
		if s.User == "root" || s.User == "0" || strings.HasPrefix(s.User, "0:") {
			t.Errorf("%s: runs as root", name)
		}
		if s.Privileged || len(s.CapAdd) > 0 {
			t.Errorf("%s: privileged or with added capabilities", name)
		}
	}
}

// TestComposeWorkersDrain: a worker stopped by compose (a restart, an update) has the time
// it takes to let its running activities finish before it is killed.
func TestComposeWorkersDrain(t *testing.T) {
	p := stack(t)
	for name, b := range binaryServices {
		if b.role != roleWorker {
			continue
		}
		grace := service(t, p, name).StopGracePeriod
		if grace == nil || time.Duration(*grace) < worker.StopTimeout+5*time.Second {
			t.Errorf("%s: stop_grace_period %v, want at least worker.StopTimeout (%s) + 5 s", name, grace, worker.StopTimeout)
		}
	}
}

func TestComposeBinaryServicesShareTheImage(t *testing.T) {
	p := stack(t)
	cmds := commands(t)
	api := service(t, p, "api")
	if api.Build == nil || api.Build.Context != repoRoot(t) || api.Build.Dockerfile != "Dockerfile" || api.Image != "occonnect:local" {
		t.Fatalf("api: build %+v image %q, want the Dockerfile at the root and the image occonnect:local", api.Build, api.Image)
	}
	for name, b := range binaryServices {
		s := service(t, p, name)
		if s.Image != api.Image || s.Build == nil || s.Build.Context != api.Build.Context || s.Build.Dockerfile != api.Build.Dockerfile {
			t.Errorf("%s: image %q build %+v, want those of api", name, s.Image, s.Build)
		}
		if !slices.Equal(s.Command, b.command) {
			t.Errorf("%s: command %q, want %q", name, s.Command, b.command)
		}
		if len(s.Command) > 0 && !cmds[s.Command[0]] {
			t.Errorf("%s: the binary has no command %q (cmd/occonnect/main.go)", name, s.Command[0])
		}
		if !s.ReadOnly || !slices.Contains(s.CapDrop, "ALL") || !slices.Contains(s.SecurityOpt, "no-new-privileges:true") {
			t.Errorf("%s: want read_only, cap_drop ALL and no-new-privileges", name)
		}
	}
	// OCCONNECT_IMAGE names a registry image instead.
	e := stackEnv(t, mailpitRelay)
	e["OCCONNECT_IMAGE"] = "registry.example.org/occonnect:1.2.3"
	q, err := loadStack(t, e, mailpitProfile)
	if err != nil {
		t.Fatal(err)
	}
	for name := range binaryServices {
		if got := service(t, q, name).Image; got != e["OCCONNECT_IMAGE"] {
			t.Errorf("%s: image %q with OCCONNECT_IMAGE set, want it", name, got)
		}
	}
}

// TestComposeConfiguration: every variable of config.Vars is decided for the containers,
// set where it is needed, never where it is not, and listen addresses are 0.0.0.0.
func TestComposeConfiguration(t *testing.T) {
	p := stack(t)
	for _, v := range config.Vars {
		_, decided := containerVars[v.Name]
		_, never := neverInProduction[v.Name]
		loopback := strings.Contains(v.Default, "127.0.0.1") || strings.Contains(v.Default, "localhost")
		if !decided && !never && (v.Default == "" || loopback) {
			t.Errorf("%s (default %q) has no default usable in a container: set it in docker-compose.yml and decide it in deploy_test.go's containerVars", v.Name, v.Default)
		}
	}
	for name := range containerVars {
		if _, ok := configVar(name); !ok {
			t.Errorf("containerVars: %s is not in config.Vars", name)
		}
	}
	for name, b := range binaryServices {
		s := service(t, p, name)
		for k := range s.Environment {
			if _, ok := configVar(k); !ok {
				t.Errorf("%s: %s is not a variable of the binary (config.Vars)", name, k)
			}
			if why, ok := neverInProduction[k]; ok {
				t.Errorf("%s: %s is set (%s)", name, k, why)
			}
		}
		for k, cv := range containerVars {
			val, set := env(s, k)
			if !slices.Contains(cv.roles, b.role) {
				if set {
					t.Errorf("%s: sets %s, which only %v need", name, k, cv.roles)
				}
				continue
			}
			// With deploy/.env's optional values empty, a required one still has a value.
			if !set || (cv.optional == "" && val == "") {
				t.Errorf("%s: %s must be set (default %q does not work in a container)", name, k, defaultOf(k))
				continue
			}
			if strings.HasSuffix(k, "_ADDR") && !strings.HasPrefix(val, "0.0.0.0:") {
				t.Errorf("%s: %s=%q, want 0.0.0.0:PORT (listen on the container's interfaces)", name, k, val)
			}
		}
	}
	// Every value a role passes from deploy/.env reaches it: fill in every variable.
	e := stackEnv(t, relay)
	for name := range envExample(t) {
		if e[name] == "" {
			e[name] = filled(name)
		}
	}
	q, err := loadStack(t, e)
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range binaryServices {
		s := service(t, q, name)
		for k, cv := range containerVars {
			if _, inExample := e[k]; !inExample || !slices.Contains(cv.roles, b.role) {
				continue
			}
			if got, _ := env(s, k); got != e[k] {
				t.Errorf("%s: %s=%s with deploy/.env's %s", name, k, shown(k, got), shown(k, e[k]))
			}
		}
	}
}

func defaultOf(name string) string {
	v, _ := configVar(name)
	return v.Default
}

// published: the port of a service published as HOST_IP:HOST_PORT:CONTAINER_PORT.
type published struct {
	hostIP, hostPort, containerPort string
}

func ports(s types.ServiceConfig) []published {
	var ps []published
	for _, pc := range s.Ports {
		ps = append(ps, published{pc.HostIP, pc.Published, strconv.FormatUint(uint64(pc.Target), 10)})
	}
	return ps
}

// TestComposeWiring: addresses, ports, healthchecks and names agree with each other.
func TestComposeWiring(t *testing.T) {
	p := stack(t)
	binary := dockerfileBinary(t)
	cmds := commands(t)
	for _, name := range wantHealthcheck {
		s := service(t, p, name)
		if s.HealthCheck == nil || len(s.HealthCheck.Test) < 2 || s.HealthCheck.Test[0] != "CMD" {
			t.Errorf("%s: no healthcheck in exec form ([\"CMD\", …])", name)
			continue
		}
		if _, bin := binaryServices[name]; bin {
			test := s.HealthCheck.Test
			if test[1] != binary || len(test) < 4 || test[2] != "healthcheck" || !cmds["healthcheck"] {
				t.Errorf("%s: healthcheck %q, want [CMD %s healthcheck … URL] (distroless has no curl)", name, test, binary)
			}
		}
	}
	// The binary's listeners: published or exposed, and probed, on the port they listen on.
	checks := []struct {
		service, addrVar, path string
		publish                bool
	}{
		{"api", "OCC_API_ADDR", "/readyz", true},
		{"api", "OCC_API_METRICS_ADDR", "", false},
		{"worker-1", "OCC_WORKER_METRICS_ADDR", "/metrics", false},
		{"worker-2", "OCC_WORKER_METRICS_ADDR", "/metrics", false},
		{"codec-server", "OCC_CODEC_ADDR", "/decode", true},
	}
	for _, ck := range checks {
		s := service(t, p, ck.service)
		addr, _ := env(s, ck.addrVar)
		pt := port(t, ck.service+" "+ck.addrVar, addr)
		if ck.publish {
			var ok bool
			for _, pp := range ports(s) {
				ok = ok || pp.containerPort == pt
			}
			if !ok {
				t.Errorf("%s: port %s of %s is not published", ck.service, pt, ck.addrVar)
			}
		} else if !slices.Contains(s.Expose, pt) {
			t.Errorf("%s: port %s of %s is not exposed", ck.service, pt, ck.addrVar)
		}
		if ck.path != "" && s.HealthCheck != nil {
			u, err := url.Parse(s.HealthCheck.Test[len(s.HealthCheck.Test)-1])
			if err != nil || u.Port() != pt || u.Path != ck.path {
				t.Errorf("%s: healthcheck %q, want …:%s%s", ck.service, s.HealthCheck.Test, pt, ck.path)
			}
		}
	}
	// Published ports listen on the host's loopback only.
	hostPorts := map[string]string{}
	for name, s := range p.Services {
		for _, pp := range ports(s) {
			if pp.hostIP != "127.0.0.1" {
				t.Errorf("%s: port %+v is published beyond 127.0.0.1", name, pp)
			}
			if other, dup := hostPorts[pp.hostPort]; dup || pp.hostPort == "" {
				t.Errorf("host port %q published by %s and %s", pp.hostPort, other, name)
			}
			hostPorts[pp.hostPort] = name
			if name == "temporal-ui" && pp.containerPort != "8080" || name == "mailpit" && pp.containerPort != "8025" {
				t.Errorf("%s: publishes container port %s", name, pp.containerPort)
			}
		}
	}
	for _, name := range []string{"api", "codec-server", "temporal-ui", "mailpit"} {
		if len(service(t, p, name).Ports) == 0 {
			t.Errorf("%s: publishes no port", name)
		}
	}
	// The browser loads the UI and calls the codec server: origins must agree.
	ui, codec := service(t, p, "temporal-ui"), service(t, p, "codec-server")
	uiPort, codecPort := ports(ui)[0].hostPort, ports(codec)[0].hostPort
	if got, _ := env(codec, "OCC_CODEC_CORS_ORIGIN"); got != "http://127.0.0.1:"+uiPort {
		t.Errorf("codec-server: OCC_CODEC_CORS_ORIGIN=%q, want the UI's origin http://127.0.0.1:%s", got, uiPort)
	}
	if got, _ := env(ui, "TEMPORAL_CODEC_ENDPOINT"); got != "http://127.0.0.1:"+codecPort {
		t.Errorf("temporal-ui: TEMPORAL_CODEC_ENDPOINT=%q, want the published codec server http://127.0.0.1:%s", got, codecPort)
	}
	// One namespace and one frontend: created by temporal-namespace, shown by the UI, used
	// by the binary.
	e := stackEnv(t, mailpitRelay)
	ns, frontend := e["OCC_TEMPORAL_NAMESPACE"], frontendAddress(t, p)
	for what, got := range map[string]string{
		"temporal-namespace TEMPORAL_NAMESPACE":  envOf(t, p, "temporal-namespace", "TEMPORAL_NAMESPACE"),
		"temporal-ui TEMPORAL_DEFAULT_NAMESPACE": envOf(t, p, "temporal-ui", "TEMPORAL_DEFAULT_NAMESPACE"),
	} {
		if ns == "" || got != ns {
			t.Errorf("%s=%q, want deploy/.env's OCC_TEMPORAL_NAMESPACE %q", what, got, ns)
		}
	}
	if got := envOf(t, p, "temporal-ui", "TEMPORAL_ADDRESS"); got != frontend {
		t.Errorf("temporal-ui: TEMPORAL_ADDRESS=%q, want the frontend %s", got, frontend)
	}
	for name := range binaryServices {
		s := service(t, p, name)
		if v, ok := env(s, "OCC_TEMPORAL_NAMESPACE"); ok && v != ns {
			t.Errorf("%s: OCC_TEMPORAL_NAMESPACE=%q, want %q", name, v, ns)
		}
		if v, ok := env(s, "OCC_TEMPORAL_ADDRESS"); ok && v != frontend {
			t.Errorf("%s: OCC_TEMPORAL_ADDRESS=%q, want the frontend %s", name, v, frontend)
		}
		if v, ok := env(s, "OCC_SMTP_HOST"); ok && v != "mailpit" {
			t.Errorf("%s: OCC_SMTP_HOST=%q, want deploy/.env's mailpit", name, v)
		}
		if dsn, ok := env(s, "OCC_MYSQL_DSN"); ok {
			cfg, err := mysql.ParseDSN(dsn)
			if err != nil || cfg.Addr != "mysql:3306" || cfg.DBName != "occonnect" || cfg.User != "occonnect" {
				t.Errorf("%s: OCC_MYSQL_DSN, want user occonnect at mysql:3306/occonnect (%v)", name, err)
			} else if cfg.Passwd != e["MYSQL_OCCONNECT_PASSWORD"] {
				t.Errorf("%s: the password of OCC_MYSQL_DSN is not deploy/.env's MYSQL_OCCONNECT_PASSWORD", name)
			}
		}
	}
	if !strings.Contains(readFile(t, "deploy/mysql/initdb/01-databases.sh"), "'occonnect'@'%'") {
		t.Error("deploy/mysql/initdb/01-databases.sh does not create the user occonnect")
	}
}

// envOf is one variable of a service's environment.
func envOf(t *testing.T, p *types.Project, svc, name string) string {
	t.Helper()
	v, _ := env(service(t, p, svc), name)
	return v
}

func TestComposeDependsOn(t *testing.T) {
	p := stack(t)
	for name, s := range p.Services {
		want := wantDependsOn[name]
		got := map[string]dependency{}
		for d, dep := range s.DependsOn {
			got[d] = dependency{dep.Condition, dep.Required}
		}
		if !maps.Equal(got, want) {
			t.Errorf("%s: depends on %v, want %v", name, got, want)
		}
		for d, dep := range want {
			switch dep.condition {
			case healthy:
				if service(t, p, d).HealthCheck == nil {
					t.Errorf("%s waits for %s to be healthy, which has no healthcheck", name, d)
				}
			case completed:
				if service(t, p, d).Restart != "no" {
					t.Errorf("%s waits for %s to complete, which restarts", name, d)
				}
			}
		}
	}
	for name := range wantDependsOn {
		service(t, p, name)
	}
}

// TestComposeWithoutMailpit: without the profile, Mailpit does not run, nothing needs it,
// and the SMTP relay is the one deploy/.env names (a missing one stops docker compose).
func TestComposeWithoutMailpit(t *testing.T) {
	e := stackEnv(t, relay)
	p, err := loadStack(t, e)
	if err != nil {
		t.Fatalf("docker-compose.yml without a profile: %v", err)
	}
	if _, err := p.GetService("mailpit"); err == nil {
		t.Error("mailpit runs without --profile mailpit")
	}
	if s, ok := p.DisabledServices["mailpit"]; !ok || !slices.Equal(s.Profiles, []string{mailpitProfile}) {
		t.Errorf("mailpit: profiles %v, want [%s]", s.Profiles, mailpitProfile)
	}
	for name, s := range p.Services {
		if dep, ok := s.DependsOn["mailpit"]; ok && dep.Required {
			t.Errorf("%s: depends on mailpit without required: false", name)
		}
		for _, k := range []string{"OCC_SMTP_HOST", "OCC_SMTP_PORT", "OCC_SMTP_TLS", "OCC_SMTP_USERNAME", "OCC_SMTP_PASSWORD"} {
			if v, ok := env(s, k); ok && v != e[k] {
				t.Errorf("%s: %s=%s, want deploy/.env's %s", name, k, shown(k, v), shown(k, e[k]))
			}
		}
	}
	for _, k := range []string{"OCC_SMTP_HOST", "OCC_SMTP_PORT", "OCC_SMTP_TLS"} {
		missing := stackEnv(t, relay)
		missing[k] = ""
		if _, err := loadStack(t, missing); err == nil || !strings.Contains(err.Error(), k) {
			t.Errorf("docker-compose.yml loads without %s (%v), want its message", k, err)
		}
	}
}

// TestComposeEnvironmentIsKnown: every variable docker-compose.yml sets or reads is the
// binary's, one the image or the file it runs reads, or a value of deploy/.env.example.
func TestComposeEnvironmentIsKnown(t *testing.T) {
	p := stack(t)
	allowed := map[string][]string{}
	for repo, names := range imageVars {
		allowed[repo] = names
	}
	initdb, err := filepath.Glob("../deploy/mysql/initdb/*.sh")
	if err != nil || len(initdb) == 0 {
		t.Fatalf("no deploy/mysql/initdb/*.sh (%v)", err)
	}
	for _, f := range initdb {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for name := range interpolated(string(b)) {
			if strings.HasPrefix(name, "MYSQL_") {
				allowed["mysql"] = append(allowed["mysql"], name)
			}
		}
	}
	for name, repo := range otherServices {
		s := service(t, p, name)
		known := allowed[repo]
		switch repo {
		case "temporalio/server": // what deploy/temporal/config/cluster.yaml reads
			known = templateVars(readFile(t, serverConfigFile))
		case "temporalio/admin-tools": // the settings of the script it runs
			known = nil
			for v := range interpolated(readFile(t, jobScript(t, s))) {
				if regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`).MatchString(v) {
					known = append(known, v)
				}
			}
		}
		for k := range s.Environment {
			if !slices.Contains(known, k) {
				t.Errorf("%s: %s is not a variable %s reads", name, k, repo)
			}
			if strings.HasPrefix(k, "OCC_") {
				t.Errorf("%s: sets the binary's %s", name, k)
			}
		}
	}
	example := envExample(t)
	used := interpolated(readFile(t, "docker-compose.yml"))
	for name := range used {
		if _, ok := example[name]; !ok {
			t.Errorf("docker-compose.yml reads ${%s}, which deploy/.env.example does not list", name)
		}
		if _, ok := configVar(name); strings.HasPrefix(name, "OCC_") && !ok {
			t.Errorf("docker-compose.yml reads ${%s}, which is not in config.Vars", name)
		}
	}
	for name := range example {
		if !used[name] {
			t.Errorf("deploy/.env.example lists %s, which docker-compose.yml does not read", name)
		}
	}
}

// TestComposeSecrets: secrets come from deploy/.env, the required ones stop docker compose
// with their message when missing, and no file holds a real value.
func TestComposeSecrets(t *testing.T) {
	text := readFile(t, "docker-compose.yml")
	example := envExample(t)
	required := requiredVars(text)
	// Each required value, missing: docker compose stops and names it.
	for _, name := range required {
		e := stackEnv(t, relay)
		delete(e, name)
		if _, err := loadStack(t, e, mailpitProfile); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("docker-compose.yml loads without %s (%v), want its message", name, err)
		}
	}
	// Every secret of deploy/.env is required, unless it may stay empty.
	for name := range example {
		if isSecret(name) && !optionalSecret(name) && !slices.Contains(required, name) {
			t.Errorf("docker-compose.yml does not require %s (${%s:?message})", name, name)
		}
	}
	// A secret in a container is a value of deploy/.env, never one written in the file.
	e := stackEnv(t, relay)
	fromEnv := map[string]bool{}
	for name, v := range e {
		if isSecret(name) && v != "" {
			fromEnv[v] = true
		}
	}
	p, err := loadStack(t, e, mailpitProfile)
	if err != nil {
		t.Fatal(err)
	}
	for name, s := range p.Services {
		for k := range s.Environment {
			v, _ := env(s, k)
			switch {
			case k == "OCC_MYSQL_DSN":
				if cfg, err := mysql.ParseDSN(v); err != nil || !fromEnv[cfg.Passwd] {
					t.Errorf("%s: the password of OCC_MYSQL_DSN is not from deploy/.env", name)
				}
			case !isSecret(k):
			case v == "" && optionalSecret(k):
			case !fromEnv[v]:
				t.Errorf("%s: %s is not a secret of deploy/.env", name, k)
			}
		}
		if s.HealthCheck != nil {
			for _, arg := range s.HealthCheck.Test {
				if strings.Contains(strings.ToLower(arg), "password") || strings.HasPrefix(arg, "-p") || fromEnv[arg] {
					t.Errorf("%s: the healthcheck carries a credential", name)
				}
			}
		}
		for _, arg := range append(slices.Clone(s.Entrypoint), s.Command...) {
			for secret := range fromEnv {
				if strings.Contains(arg, secret) {
					t.Errorf("%s: a secret on the command line", name)
				}
			}
		}
	}
	for name, v := range example {
		if isSecret(name) && v != "" {
			t.Errorf("deploy/.env.example: %s has a value; secrets stay empty there", name)
		}
	}
	// A payload key (id:32 bytes in base64), a long hex token or a PEM block is a leak.
	leak := regexp.MustCompile(`[A-Za-z0-9_-]+:[A-Za-z0-9+/]{43}=|\b[0-9a-f]{32,}\b|-----BEGIN`)
	for file, body := range map[string]string{
		"docker-compose.yml":  text,
		"deploy/.env.example": readFile(t, "deploy/.env.example"),
		"Dockerfile":          readFile(t, "Dockerfile"),
	} {
		if m := leak.FindString(body); m != "" {
			t.Errorf("%s holds what looks like a secret: %.12s…", file, m)
		}
	}
	if ign := readFile(t, "deploy/.gitignore"); !slices.Contains(strings.Fields(ign), ".env") {
		t.Error("deploy/.gitignore does not ignore .env")
	}
}
