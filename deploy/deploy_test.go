package deploy

import (
	"bufio"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"
	"gopkg.in/yaml.v3"

	"occonnect/internal/config"
)

// No Docker engine runs where the tests do: these tests read docker-compose.yml, the
// Dockerfile, .dockerignore and deploy/.env.example, and check them against the binary's
// configuration (config.Vars) and commands (cmd/occonnect/main.go).

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

// otherServices: service → image repository (its tag is pinned; its variables are below).
var otherServices = map[string]string{
	"mysql":       "mysql",
	"temporal":    "temporalio/auto-setup",
	"temporal-ui": "temporalio/ui",
	"mailpit":     "axllent/mailpit",
}

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
	"OCC_API_ADDR":            {roles: []string{roleAPI}},
	"OCC_API_METRICS_ADDR":    {roles: []string{roleAPI}},
	"OCC_WORKER_METRICS_ADDR": {roles: []string{roleWorker}},
	"OCC_CODEC_ADDR":          {roles: []string{roleCodec}},
	"OCC_CODEC_CORS_ORIGIN":   {roles: []string{roleCodec}},
	"OCC_CODEC_TOKEN":         {roles: []string{roleCodec}},
	"OCC_MYSQL_DSN":           {roles: []string{roleAPI, roleWorker, roleMigrate}},
	"OCC_TEMPORAL_ADDRESS":    {roles: []string{roleAPI, roleWorker, roleSetup}},
	"OCC_TEMPORAL_NAMESPACE":  {roles: []string{roleAPI, roleWorker, roleSetup}},
	"OCC_PAYLOAD_KEYS":        {roles: []string{roleAPI, roleWorker, roleCodec}},
	"OCC_SMTP_HOST":           {roles: []string{roleAPI, roleWorker}},
	"OCC_SMTP_PORT":           {roles: []string{roleAPI, roleWorker}},
	"OCC_SMTP_TLS":            {roles: []string{roleAPI, roleWorker}},
	"OCC_MAIL_FROM":           {roles: []string{roleAPI, roleWorker}},
	"OCC_SMTP_USERNAME":       {roles: []string{roleAPI, roleWorker}, optional: "the bundled Mailpit takes no SMTP AUTH"},
	"OCC_SMTP_PASSWORD":       {roles: []string{roleAPI, roleWorker}, optional: "the bundled Mailpit takes no SMTP AUTH"},
	"OCC_TRUSTED_PROXIES":     {roles: []string{roleAPI}, optional: "no reverse proxy until the operator puts one in front"},
	"OCC_API_CORS_ORIGINS":    {roles: []string{roleAPI}, optional: "the mobile app is no browser: no CORS unless a web client is added"},
	"OCC_PUBLIC_URL":          {roles: []string{roleAPI}},
	"OCC_TEMPORAL_TLS_CA":     {roles: temporalRoles, optional: "the bundled Temporal server speaks plain gRPC on the private network"},
	"OCC_TEMPORAL_TLS_CERT":   {roles: temporalRoles, optional: "the bundled Temporal server speaks plain gRPC on the private network"},
	"OCC_TEMPORAL_TLS_KEY":    {roles: temporalRoles, optional: "the bundled Temporal server speaks plain gRPC on the private network"},
	"OCC_TEMPORAL_API_KEY":    {roles: temporalRoles, optional: "only Temporal Cloud takes an API key"},
}

// neverInProduction: variables that must not appear in docker-compose.yml.
var neverInProduction = map[string]string{
	"OCC_COMPLAINT_FIRST_RESPONSE_OVERRIDE": "demonstrations only: it replaces the complaints' service level",
}

// imageVars: the variables each image documents, that docker-compose.yml may set.
var imageVars = map[string][]string{
	// MYSQL_ROOT_PASSWORD (hub.docker.com/_/mysql); the others are read by
	// deploy/mysql/initdb/*.sh and added by TestComposeEnvironmentIsKnown.
	"mysql": {"MYSQL_ROOT_PASSWORD"},
	// temporalio/docker-builds docker-readme/auto-setup.md and the server's
	// docker/config_template.yaml.
	"temporalio/auto-setup": {"DB", "DB_PORT", "MYSQL_SEEDS", "MYSQL_USER", "MYSQL_PWD", "DBNAME", "VISIBILITY_DBNAME",
		"SKIP_SCHEMA_SETUP", "SKIP_DB_CREATE", "NUM_HISTORY_SHARDS", "TEMPORAL_ADDRESS", "DEFAULT_NAMESPACE",
		"DEFAULT_NAMESPACE_RETENTION", "SKIP_DEFAULT_NAMESPACE_CREATION", "SKIP_ADD_CUSTOM_SEARCH_ATTRIBUTES",
		"LOG_LEVEL", "DYNAMIC_CONFIG_FILE_PATH", "BIND_ON_IP"},
	// docs.temporal.io/references/web-ui-environment-variables
	"temporalio/ui": {"TEMPORAL_ADDRESS", "TEMPORAL_UI_PORT", "TEMPORAL_DEFAULT_NAMESPACE", "TEMPORAL_CORS_ORIGINS",
		"TEMPORAL_CODEC_ENDPOINT", "TEMPORAL_CODEC_PASS_ACCESS_TOKEN", "TEMPORAL_CODEC_INCLUDE_CREDENTIALS",
		"TEMPORAL_DISABLE_WRITE_ACTIONS", "TEMPORAL_AUTH_ENABLED", "TEMPORAL_AUTH_PROVIDER_URL", "TEMPORAL_AUTH_CLIENT_ID",
		"TEMPORAL_AUTH_CLIENT_SECRET", "TEMPORAL_AUTH_CALLBACK_URL", "TEMPORAL_AUTH_SCOPES"},
	// mailpit.axllent.org/docs/configuration/runtime-options/
	"axllent/mailpit": {"MP_DATABASE", "MP_MAX_MESSAGES", "MP_SMTP_AUTH", "MP_SMTP_AUTH_ALLOW_INSECURE", "MP_UI_AUTH"},
}

// wantDependsOn: service → dependency → condition, exactly.
var wantDependsOn = map[string]map[string]string{
	"temporal":       {"mysql": "service_healthy"},
	"temporal-ui":    {"temporal": "service_healthy"},
	"migrate":        {"mysql": "service_healthy"},
	"temporal-setup": {"temporal": "service_healthy"},
	"api":            appDependsOn,
	"worker-1":       appDependsOn,
	"worker-2":       appDependsOn,
}

var appDependsOn = map[string]string{
	"migrate":        "service_completed_successfully",
	"temporal-setup": "service_completed_successfully",
	"temporal":       "service_healthy",
	"mailpit":        "service_healthy",
}

// wantHealthcheck: the long-running services others wait for or that ops watch.
var wantHealthcheck = []string{"mysql", "temporal", "mailpit", "api", "worker-1", "worker-2", "codec-server"}

// --- the files -----------------------------------------------------------------------------

type compose struct {
	Name     string             `yaml:"name"`
	Services map[string]service `yaml:"services"`
	Volumes  map[string]any     `yaml:"volumes"`
}

type service struct {
	Image       string         `yaml:"image"`
	Build       *build         `yaml:"build"`
	Command     []string       `yaml:"command"`
	Restart     string         `yaml:"restart"`
	User        string         `yaml:"user"`
	Environment envMap         `yaml:"environment"`
	DependsOn   map[string]dep `yaml:"depends_on"`
	Ports       []string       `yaml:"ports"`
	Expose      []string       `yaml:"expose"`
	Volumes     []string       `yaml:"volumes"`
	Healthcheck *struct {
		Test []string `yaml:"test"`
	} `yaml:"healthcheck"`
}

type build struct {
	Context    string `yaml:"context"`
	Dockerfile string `yaml:"dockerfile"`
}

type dep struct {
	Condition string `yaml:"condition"`
}

// envMap reads environment: as a mapping or as a list of NAME=value.
type envMap map[string]string

func (e *envMap) UnmarshalYAML(n *yaml.Node) error {
	*e = envMap{}
	if n.Kind == yaml.SequenceNode {
		var list []string
		if err := n.Decode(&list); err != nil {
			return err
		}
		for _, kv := range list {
			k, v, _ := strings.Cut(kv, "=")
			(*e)[k] = v
		}
		return nil
	}
	var m map[string]string
	if err := n.Decode(&m); err != nil {
		return err
	}
	for k, v := range m {
		(*e)[k] = v
	}
	return nil
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", path))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func loadCompose(t *testing.T) (compose, string) {
	t.Helper()
	text := readFile(t, "docker-compose.yml")
	var c compose
	if err := yaml.Unmarshal([]byte(text), &c); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	return c, text
}

// envExample reads deploy/.env.example: NAME=value lines, in order.
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

func configVar(name string) (config.Var, bool) {
	for _, v := range config.Vars {
		if v.Name == name {
			return v, true
		}
	}
	return config.Var{}, false
}

// interpolation: ${NAME}, ${NAME:-default}, ${NAME:?message}… ($$ is a literal dollar).
var interpolation = regexp.MustCompile(`\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)([^}]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)`)

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

// required: the whole value is ${NAME:?message}.
var requiredRef = regexp.MustCompile(`^\$\{([A-Za-z_][A-Za-z0-9_]*):\?[^}]+\}$`)

// notSecret: names that look like credentials and are switches.
var notSecret = map[string]bool{"TEMPORAL_CODEC_PASS_ACCESS_TOKEN": true}

// isSecret: a name that holds a credential.
func isSecret(name string) bool {
	if notSecret[name] {
		return false
	}
	for _, s := range []string{"PASSWORD", "PWD", "TOKEN", "KEYS", "SECRET"} {
		if strings.Contains(name, s) {
			return true
		}
	}
	return false
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

// published: "127.0.0.1:8080:8080" → host IP, host port, container port.
func published(t *testing.T, svc, spec string) (ip, hostPort, containerPort string) {
	t.Helper()
	parts := strings.Split(spec, ":")
	if len(parts) != 3 {
		t.Fatalf("%s: port %q: want HOST_IP:HOST_PORT:CONTAINER_PORT", svc, spec)
	}
	return parts[0], parts[1], parts[2]
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

func TestComposeServices(t *testing.T) {
	c, _ := loadCompose(t)
	for name := range c.Services {
		_, bin := binaryServices[name]
		_, other := otherServices[name]
		if !bin && !other {
			t.Errorf("service %s is not described in deploy_test.go", name)
		}
	}
	for name := range binaryServices {
		if _, ok := c.Services[name]; !ok {
			t.Errorf("service %s is missing", name)
		}
	}
	for name, repo := range otherServices {
		s, ok := c.Services[name]
		if !ok {
			t.Errorf("service %s is missing", name)
			continue
		}
		r, tag, _ := strings.Cut(s.Image, ":")
		if r != repo || !regexp.MustCompile(`^v?\d+\.\d+\.\d+$`).MatchString(tag) {
			t.Errorf("%s: image %q, want %s pinned to a full version (x.y.z)", name, s.Image, repo)
		}
		if s.Build != nil {
			t.Errorf("%s: is built, want the published image", name)
		}
	}
	for _, vol := range []string{"mysql-data:/var/lib/mysql"} {
		if !slices.Contains(c.Services["mysql"].Volumes, vol) {
			t.Errorf("mysql: no volume %s", vol)
		}
	}
}

func TestComposeBinaryServicesShareTheImage(t *testing.T) {
	c, _ := loadCompose(t)
	cmds := commands(t)
	api := c.Services["api"]
	if api.Build == nil || api.Build.Context != "." || api.Build.Dockerfile != "Dockerfile" || api.Image == "" {
		t.Fatalf("api: build %+v image %q, want the Dockerfile at the root and an image name", api.Build, api.Image)
	}
	for name, b := range binaryServices {
		s := c.Services[name]
		if s.Image != api.Image || s.Build == nil || *s.Build != *api.Build {
			t.Errorf("%s: image %q build %+v, want those of api (%q, %+v)", name, s.Image, s.Build, api.Image, *api.Build)
		}
		if !slices.Equal(s.Command, b.command) {
			t.Errorf("%s: command %q, want %q", name, s.Command, b.command)
		}
		if len(s.Command) > 0 && !cmds[s.Command[0]] {
			t.Errorf("%s: the binary has no command %q (cmd/occonnect/main.go)", name, s.Command[0])
		}
		oneShot := b.role == roleMigrate || b.role == roleSetup
		if oneShot && s.Restart != "no" {
			t.Errorf("%s: restart %q, want \"no\" for a one-shot command", name, s.Restart)
		}
		if !oneShot && s.Restart != "unless-stopped" && s.Restart != "always" {
			t.Errorf("%s: restart %q, want unless-stopped", name, s.Restart)
		}
		if s.User == "root" || s.User == "0" || strings.HasPrefix(s.User, "0:") {
			t.Errorf("%s: runs as root", name)
		}
	}
}

// TestComposeConfiguration: every variable of config.Vars is decided for the containers,
// set where it is needed, never where it is not, and listen addresses are 0.0.0.0.
func TestComposeConfiguration(t *testing.T) {
	c, _ := loadCompose(t)
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
		env := c.Services[name].Environment
		for k := range env {
			if _, ok := configVar(k); !ok {
				t.Errorf("%s: %s is not a variable of the binary (config.Vars)", name, k)
			}
			if why, ok := neverInProduction[k]; ok {
				t.Errorf("%s: %s is set (%s)", name, k, why)
			}
		}
		for k, cv := range containerVars {
			val, set := env[k]
			if !slices.Contains(cv.roles, b.role) {
				if set {
					t.Errorf("%s: sets %s, which only %v need", name, k, cv.roles)
				}
				continue
			}
			if !set || (cv.optional == "" && (val == "" || regexp.MustCompile(`^\$\{[A-Z_]+:-\}$`).MatchString(val))) {
				t.Errorf("%s: %s must be set (default %q does not work in a container)", name, k, defaultOf(k))
				continue
			}
			if strings.HasSuffix(k, "_ADDR") && !strings.HasPrefix(val, "0.0.0.0:") {
				t.Errorf("%s: %s=%q, want 0.0.0.0:PORT (listen on the container's interfaces)", name, k, val)
			}
		}
	}
}

func defaultOf(name string) string {
	v, _ := configVar(name)
	return v.Default
}

// TestComposeWiring: addresses, ports, healthchecks and names agree with each other.
func TestComposeWiring(t *testing.T) {
	c, _ := loadCompose(t)
	binary := dockerfileBinary(t)
	cmds := commands(t)
	for _, name := range wantHealthcheck {
		s := c.Services[name]
		if s.Healthcheck == nil || len(s.Healthcheck.Test) < 2 || s.Healthcheck.Test[0] != "CMD" {
			t.Errorf("%s: no healthcheck in exec form ([\"CMD\", …])", name)
			continue
		}
		if _, bin := binaryServices[name]; bin {
			test := s.Healthcheck.Test
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
		s := c.Services[ck.service]
		p := port(t, ck.service+" "+ck.addrVar, s.Environment[ck.addrVar])
		if ck.publish {
			var ok bool
			for _, spec := range s.Ports {
				if _, _, cp := published(t, ck.service, spec); cp == p {
					ok = true
				}
			}
			if !ok {
				t.Errorf("%s: port %s of %s is not published", ck.service, p, ck.addrVar)
			}
		} else if !slices.Contains(s.Expose, p) {
			t.Errorf("%s: port %s of %s is not exposed", ck.service, p, ck.addrVar)
		}
		if ck.path != "" && s.Healthcheck != nil {
			u, err := url.Parse(s.Healthcheck.Test[len(s.Healthcheck.Test)-1])
			if err != nil || u.Port() != p || u.Path != ck.path {
				t.Errorf("%s: healthcheck %q, want …:%s%s", ck.service, s.Healthcheck.Test, p, ck.path)
			}
		}
	}
	// Published ports listen on the host's loopback only.
	hostPorts := map[string]string{}
	for name, s := range c.Services {
		for _, spec := range s.Ports {
			ip, hp, cp := published(t, name, spec)
			if ip != "127.0.0.1" {
				t.Errorf("%s: port %q is published beyond 127.0.0.1", name, spec)
			}
			if other, dup := hostPorts[hp]; dup {
				t.Errorf("host port %s published by %s and %s", hp, other, name)
			}
			hostPorts[hp] = name
			if name == "temporal-ui" && cp != "8080" || name == "mailpit" && cp != "8025" {
				t.Errorf("%s: publishes container port %s", name, cp)
			}
		}
	}
	for _, name := range []string{"api", "codec-server", "temporal-ui", "mailpit"} {
		if len(c.Services[name].Ports) == 0 {
			t.Errorf("%s: publishes no port", name)
		}
	}
	// The browser loads the UI and calls the codec server: origins must agree.
	ui, codec := c.Services["temporal-ui"], c.Services["codec-server"]
	_, uiPort, _ := published(t, "temporal-ui", ui.Ports[0])
	_, codecPort, _ := published(t, "codec-server", codec.Ports[0])
	if got, want := codec.Environment["OCC_CODEC_CORS_ORIGIN"], "http://127.0.0.1:"+uiPort; got != want {
		t.Errorf("codec-server: OCC_CODEC_CORS_ORIGIN=%q, want the UI's origin %q", got, want)
	}
	if got, want := ui.Environment["TEMPORAL_CODEC_ENDPOINT"], "http://127.0.0.1:"+codecPort; got != want {
		t.Errorf("temporal-ui: TEMPORAL_CODEC_ENDPOINT=%q, want the published codec server %q", got, want)
	}
	// One namespace: created by auto-setup, shown by the UI, used by the binary.
	ns := c.Services["api"].Environment["OCC_TEMPORAL_NAMESPACE"]
	temporal := c.Services["temporal"]
	for what, got := range map[string]string{
		"temporal DEFAULT_NAMESPACE":             temporal.Environment["DEFAULT_NAMESPACE"],
		"temporal-ui TEMPORAL_DEFAULT_NAMESPACE": ui.Environment["TEMPORAL_DEFAULT_NAMESPACE"],
	} {
		if got != ns {
			t.Errorf("%s=%q, want %q as OCC_TEMPORAL_NAMESPACE", what, got, ns)
		}
	}
	if temporal.Healthcheck == nil || !slices.Contains(temporal.Healthcheck.Test, ns) {
		t.Errorf("temporal: the healthcheck does not wait for the namespace %q", ns)
	}
	for name := range binaryServices {
		env := c.Services[name].Environment
		if v, ok := env["OCC_TEMPORAL_NAMESPACE"]; ok && v != ns {
			t.Errorf("%s: OCC_TEMPORAL_NAMESPACE=%q, want %q", name, v, ns)
		}
		if v, ok := env["OCC_TEMPORAL_ADDRESS"]; ok && v != "temporal:7233" {
			t.Errorf("%s: OCC_TEMPORAL_ADDRESS=%q, want temporal:7233", name, v)
		}
		if v, ok := env["OCC_SMTP_HOST"]; ok && v != "${OCC_SMTP_HOST:-mailpit}" {
			t.Errorf("%s: OCC_SMTP_HOST=%q, want the bundled Mailpit by default", name, v)
		}
		if dsn, ok := env["OCC_MYSQL_DSN"]; ok {
			cfg, err := mysql.ParseDSN(interpolation.ReplaceAllString(dsn, "password"))
			if err != nil || cfg.Addr != "mysql:3306" || cfg.DBName != "occonnect" || cfg.User != "occonnect" {
				t.Errorf("%s: OCC_MYSQL_DSN %q, want user occonnect at mysql:3306/occonnect (%v)", name, dsn, err)
			}
		}
	}
	if !strings.Contains(readFile(t, "deploy/mysql/initdb/01-databases.sh"), "'occonnect'@'%'") {
		t.Error("deploy/mysql/initdb/01-databases.sh does not create the user occonnect")
	}
}

func TestComposeDependsOn(t *testing.T) {
	c, _ := loadCompose(t)
	for name, s := range c.Services {
		want := wantDependsOn[name]
		if len(s.DependsOn) != len(want) {
			t.Errorf("%s: depends on %v, want %v", name, s.DependsOn, want)
		}
		for d, cond := range want {
			if got := s.DependsOn[d].Condition; got != cond {
				t.Errorf("%s: depends on %s with condition %q, want %q", name, d, got, cond)
			}
			switch cond {
			case "service_healthy":
				if c.Services[d].Healthcheck == nil {
					t.Errorf("%s waits for %s to be healthy, which has no healthcheck", name, d)
				}
			case "service_completed_successfully":
				if c.Services[d].Restart != "no" {
					t.Errorf("%s waits for %s to complete, which restarts", name, d)
				}
			}
		}
	}
}

// TestComposeEnvironmentIsKnown: every variable docker-compose.yml sets or reads is the
// binary's, an image's documented one, or a value of deploy/.env.example.
func TestComposeEnvironmentIsKnown(t *testing.T) {
	c, text := loadCompose(t)
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
		for k := range c.Services[name].Environment {
			if !slices.Contains(allowed[repo], k) {
				t.Errorf("%s: %s is not a documented variable of %s", name, k, repo)
			}
			if strings.HasPrefix(k, "OCC_") {
				t.Errorf("%s: sets the binary's %s", name, k)
			}
		}
	}
	example := envExample(t)
	used := interpolated(text)
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

// TestComposeSecrets: secrets come from deploy/.env, required ones fail loudly when
// missing, and no file holds a real value.
func TestComposeSecrets(t *testing.T) {
	c, text := loadCompose(t)
	for name, s := range c.Services {
		for k, v := range s.Environment {
			if k == "OCC_MYSQL_DSN" {
				cfg, err := mysql.ParseDSN(v)
				if err != nil || !requiredRef.MatchString(cfg.Passwd) {
					t.Errorf("%s: the password in OCC_MYSQL_DSN must be ${NAME:?message} (%v)", name, err)
				}
				continue
			}
			if !isSecret(k) {
				continue
			}
			if cv, ok := containerVars[k]; ok && cv.optional != "" {
				if v != "${"+k+":-}" {
					t.Errorf("%s: %s=%q, want ${%s:-} (optional, from deploy/.env)", name, k, v, k)
				}
				continue
			}
			if !requiredRef.MatchString(v) {
				t.Errorf("%s: %s must be ${NAME:?message} (from deploy/.env, failing when missing), not %q", name, k, v)
			}
		}
		if s.Healthcheck != nil {
			for _, arg := range s.Healthcheck.Test {
				if strings.Contains(strings.ToLower(arg), "password") || strings.HasPrefix(arg, "-p") {
					t.Errorf("%s: the healthcheck carries a credential", name)
				}
			}
		}
	}
	for name, v := range envExample(t) {
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

// --- Dockerfile ---------------------------------------------------------------------------

type stage struct {
	from, name string
	lines      []string // instructions of the stage, continuation lines joined
}

func dockerfile(t *testing.T) (args map[string]string, stages []stage) {
	t.Helper()
	args = map[string]string{}
	var joined []string
	var cur strings.Builder
	for _, line := range strings.Split(readFile(t, "Dockerfile"), "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "#") || (line == "" && cur.Len() == 0) {
			continue
		}
		if strings.HasSuffix(line, "\\") {
			cur.WriteString(strings.TrimSuffix(line, "\\") + " ")
			continue
		}
		cur.WriteString(line)
		joined = append(joined, cur.String())
		cur.Reset()
	}
	for _, l := range joined {
		f := strings.Fields(l)
		if len(f) == 0 {
			continue
		}
		switch strings.ToUpper(f[0]) {
		case "ARG":
			if k, v, ok := strings.Cut(f[1], "="); ok && len(stages) == 0 {
				args[k] = v
			}
		case "FROM":
			s := stage{from: os.Expand(f[1], func(k string) string { return args[k] })}
			if len(f) == 4 && strings.EqualFold(f[2], "AS") {
				s.name = f[3]
			}
			stages = append(stages, s)
		default:
			if len(stages) == 0 {
				t.Fatalf("Dockerfile: %q before FROM", l)
			}
			stages[len(stages)-1].lines = append(stages[len(stages)-1].lines, l)
		}
	}
	if len(stages) < 2 {
		t.Fatalf("Dockerfile: %d stage(s), want a build stage and a runtime stage", len(stages))
	}
	return args, stages
}

// dockerfileBinary: where the runtime image has the binary (its ENTRYPOINT).
func dockerfileBinary(t *testing.T) string {
	t.Helper()
	_, stages := dockerfile(t)
	for _, l := range stages[len(stages)-1].lines {
		if rest, ok := strings.CutPrefix(l, "ENTRYPOINT "); ok {
			var argv []string
			if err := yaml.Unmarshal([]byte(rest), &argv); err != nil || len(argv) == 0 {
				t.Fatalf("Dockerfile: ENTRYPOINT %s, want the exec form", rest)
			}
			return argv[0]
		}
	}
	t.Fatal("Dockerfile: the runtime stage has no ENTRYPOINT")
	return ""
}

func TestDockerfile(t *testing.T) {
	_, stages := dockerfile(t)
	buildStage, runtime := stages[0], stages[len(stages)-1]
	all := func(s stage) string { return strings.Join(s.lines, "\n") }
	for _, s := range stages {
		if _, tag, _ := strings.Cut(s.from, ":"); tag == "" || tag == "latest" || strings.Contains(s.from, "$") {
			t.Errorf("Dockerfile: FROM %s is not pinned to a tag", s.from)
		}
	}
	// The build stage: the Go of go.mod, module and build caches, static and reproducible.
	goVersion := regexp.MustCompile(`(?m)^go (\d+\.\d+)(\.\d+)?$`).FindStringSubmatch(readFile(t, "go.mod"))
	if goVersion == nil {
		t.Fatal("go.mod: no go directive")
	}
	if !strings.HasPrefix(buildStage.from, "golang:"+goVersion[1]) {
		t.Errorf("Dockerfile: build stage FROM %s, want golang:%s (go.mod)", buildStage.from, goVersion[1])
	}
	if buildStage.name == "" {
		t.Error("Dockerfile: the build stage has no name")
	}
	for _, want := range []string{"--mount=type=cache,target=/go/pkg/mod", "--mount=type=cache,target=/root/.cache/go-build",
		"CGO_ENABLED=0", "-trimpath", "./cmd/occonnect"} {
		if !strings.Contains(all(buildStage), want) {
			t.Errorf("Dockerfile: the build stage has no %s", want)
		}
	}
	// The runtime stage: small, non-root, the binary and the files it is given.
	if !strings.HasPrefix(runtime.from, "gcr.io/distroless/static") {
		t.Errorf("Dockerfile: runtime FROM %s, want a distroless static image", runtime.from)
	}
	var user string
	for _, l := range runtime.lines {
		if u, ok := strings.CutPrefix(l, "USER "); ok {
			user = strings.TrimSpace(u)
		}
	}
	if name, _, _ := strings.Cut(user, ":"); user == "" || name == "root" || name == "0" {
		t.Errorf("Dockerfile: runtime USER %q, want a non-root user", user)
	}
	binary := dockerfileBinary(t)
	if !strings.Contains(all(runtime), "COPY --from="+buildStage.name+" /out/occonnect "+binary) {
		t.Errorf("Dockerfile: the runtime stage does not copy the binary to %s", binary)
	}
	// Files copied from the sources exist and are not excluded from the build context.
	ignore := strings.Fields(readFile(t, ".dockerignore"))
	for _, m := range regexp.MustCompile(`COPY --from=\S+ /src/(\S+)`).FindAllStringSubmatch(all(runtime), -1) {
		if _, err := os.Stat(filepath.Join("..", m[1])); err != nil {
			t.Errorf("Dockerfile copies %s: %v", m[1], err)
		}
		for _, pat := range ignore {
			if ok, _ := filepath.Match(strings.TrimPrefix(pat, "/"), m[1]); ok || strings.HasPrefix(m[1], strings.Trim(pat, "/")+"/") {
				t.Errorf("Dockerfile copies %s, which .dockerignore excludes (%s)", m[1], pat)
			}
		}
	}
	for _, want := range []string{".git", ".tools", ".dev", "bin", "deploy/.env"} {
		if !slices.Contains(ignore, want) {
			t.Errorf(".dockerignore does not exclude %s", want)
		}
	}
	t.Logf("%s AS %s → %s (USER %s, %s)", buildStage.from, buildStage.name, runtime.from, user, binary)
}
