package deploy

import (
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/types"

	"occonnect/workflows"
)

// The Temporal cluster of docker-compose.yml is cluster mode's (scripts/temporal-cluster.sh,
// run by make dev and the tests) from the same parts: the versions the Makefile pins, the
// server's command line and config file, the schema and namespace scripts, the search
// attributes of the workflows. Only what a machine of its own needs differs, and is
// checked here: the addresses, PostgreSQL's, the number of history shards.

// serverConfigFile is the config of every Temporal service, in both modes.
const serverConfigFile = "deploy/temporal/config/cluster.yaml"

// testedPostgresMajor: the PostgreSQL that cluster mode runs on where it is tested
// (Debian 12's PostgreSQL 15; docs/deployment.md).
const testedPostgresMajor = "15"

// makefileVar is the value of `NAME := value` in the Makefile.
func makefileVar(t *testing.T, name string) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + `\s*:?=\s*(\S+)\s*$`).FindStringSubmatch(readFile(t, "Makefile"))
	if m == nil {
		t.Fatalf("Makefile: no %s", name)
	}
	return m[1]
}

// templateVars: the variables a server config template reads ({{ … (env "NAME") }}).
func templateVars(text string) []string {
	var names []string
	for _, m := range regexp.MustCompile(`env "([A-Za-z_][A-Za-z0-9_]*)"`).FindAllStringSubmatch(text, -1) {
		if !slices.Contains(names, m[1]) {
			names = append(names, m[1])
		}
	}
	return names
}

// templateDefault: the default of a variable in the template ({{ default "16" (env "NAME") }}).
func templateDefault(t *testing.T, name string) string {
	t.Helper()
	m := regexp.MustCompile(`default "([^"]*)" \(env "` + regexp.QuoteMeta(name) + `"\)`).FindStringSubmatch(readFile(t, serverConfigFile))
	if m == nil {
		t.Fatalf("%s: no default for %s", serverConfigFile, name)
	}
	return m[1]
}

// clusterScript is scripts/temporal-cluster.sh with its continuation lines joined.
func clusterScript(t *testing.T) string {
	t.Helper()
	return strings.ReplaceAll(readFile(t, "scripts/temporal-cluster.sh"), "\\\n", " ")
}

// clusterServerArgs: the server's arguments in scripts/temporal-cluster.sh for one service.
func clusterServerArgs(t *testing.T, svc string) []string {
	t.Helper()
	m := regexp.MustCompile(`"\$TEMPORAL_SERVER_BIN"((?:[^\n]|\\\n)*?--service "\$service")`).FindStringSubmatch(clusterScript(t))
	if m == nil {
		t.Fatal(`scripts/temporal-cluster.sh: no "$TEMPORAL_SERVER_BIN" … --service "$service" command`)
	}
	args := strings.Fields(strings.ReplaceAll(m[1], "\\\n", " "))
	for i, a := range args {
		if a == `"$service"` {
			args[i] = svc
		}
	}
	return args
}

// jobScript is the repository's script a one-shot job runs (`bash scripts/X.sh` from its
// working directory, the file mounted read-only from the repository).
func jobScript(t *testing.T, s types.ServiceConfig) string {
	t.Helper()
	if len(s.Entrypoint) != 2 || s.Entrypoint[0] != "bash" || len(s.Command) > 0 {
		t.Fatalf("%s: entrypoint %q command %q, want [bash scripts/….sh]", s.Name, s.Entrypoint, s.Command)
	}
	script := s.Entrypoint[1]
	if !strings.HasPrefix(script, "scripts/") {
		t.Fatalf("%s: runs %s, want a script of the repository's scripts/", s.Name, script)
	}
	checkMount(t, s, script)
	return script
}

// checkMount: the repository's file or folder rel is mounted read-only at the same place
// under the service's working directory, so that the command line is the one of the
// repository.
func checkMount(t *testing.T, s types.ServiceConfig, rel string) {
	t.Helper()
	if !path.IsAbs(s.WorkingDir) {
		t.Errorf("%s: working_dir %q, want an absolute directory laid out like the repository", s.Name, s.WorkingDir)
	}
	want := path.Join(s.WorkingDir, rel)
	for _, v := range s.Volumes {
		if v.Target != want {
			continue
		}
		if v.Type != types.VolumeTypeBind || v.Source != filepath.Join(repoRoot(t), rel) || !v.ReadOnly {
			t.Errorf("%s: %s is %s %s (read-only %v), want ./%s read-only", s.Name, want, v.Type, v.Source, v.ReadOnly, rel)
		}
		return
	}
	t.Errorf("%s: ./%s is not mounted at %s", s.Name, rel, want)
}

// frontendAddress: where the containers reach the frontend (its service, its gRPC port).
func frontendAddress(t *testing.T, p *types.Project) string {
	t.Helper()
	grpcPort := templateDefault(t, "TEMPORAL_FRONTEND_PORT")
	if v, ok := env(service(t, p, "temporal-frontend"), "TEMPORAL_FRONTEND_PORT"); ok {
		grpcPort = v
	}
	return "temporal-frontend:" + grpcPort
}

func TestTemporalVersionsArePinned(t *testing.T) {
	p := stack(t)
	server := strings.TrimPrefix(makefileVar(t, "TEMPORAL_SERVER_VERSION"), "v")
	for _, name := range temporalServers {
		if got, want := service(t, p, name).Image, "temporalio/server:"+server; got != want {
			t.Errorf("%s: image %s, want %s (the Makefile's TEMPORAL_SERVER_VERSION)", name, got, want)
		}
	}
	// admin-tools is tagged SERVER-tctl-X.Y.Z-cli-X.Y.Z; its CLI is the Makefile's minor
	// version (its patch is the one published with the server).
	cliVersion := regexp.MustCompile(`^v(\d+\.\d+)\.\d+$`).FindStringSubmatch(makefileVar(t, "TEMPORAL_VERSION"))
	if cliVersion == nil {
		t.Fatalf("Makefile: TEMPORAL_VERSION %s, want vX.Y.Z", makefileVar(t, "TEMPORAL_VERSION"))
	}
	cli := cliVersion[1]
	adminTools := regexp.MustCompile(`^temporalio/admin-tools:` + regexp.QuoteMeta(server) + `-tctl-\d+\.\d+\.\d+-cli-(\d+\.\d+)\.\d+$`)
	for _, name := range temporalJobs {
		image := service(t, p, name).Image
		m := adminTools.FindStringSubmatch(image)
		if m == nil || m[1] != cli {
			t.Errorf("%s: image %s, want temporalio/admin-tools:%s-tctl-…-cli-%s.… (the Makefile's server and CLI)", name, image, server, cli)
		}
	}
	ui := strings.TrimPrefix(makefileVar(t, "TEMPORAL_UI_VERSION"), "v")
	if got, want := service(t, p, "temporal-ui").Image, "temporalio/ui:"+ui; got != want {
		t.Errorf("temporal-ui: image %s, want %s (the Makefile's TEMPORAL_UI_VERSION)", got, want)
	}
	if got, want := service(t, p, "mailpit").Image, "axllent/mailpit:"+makefileVar(t, "MAILPIT_VERSION"); got != want {
		t.Errorf("mailpit: image %s, want %s (the Makefile's MAILPIT_VERSION)", got, want)
	}
	if image := service(t, p, "postgres").Image; !strings.HasPrefix(image, "postgres:"+testedPostgresMajor+".") {
		t.Errorf("postgres: image %s, want PostgreSQL %s, as where cluster mode is tested", image, testedPostgresMajor)
	}
}

// TestTemporalServersAreClusterMode: each service runs cluster mode's command line on
// cluster mode's config file, with what separate containers need.
func TestTemporalServersAreClusterMode(t *testing.T) {
	p := stack(t)
	script := clusterScript(t)
	config := readFile(t, serverConfigFile)
	if !strings.HasPrefix(config, "# enable-template") {
		t.Errorf("%s: not a template (# enable-template on its first line)", serverConfigFile)
	}
	frontend := service(t, p, "temporal-frontend")
	for _, name := range temporalServers {
		s := service(t, p, name)
		svc := strings.TrimPrefix(name, "temporal-")
		if !regexp.MustCompile(`\bservice=` + svc + `\b`).MatchString(script) {
			t.Errorf("scripts/temporal-cluster.sh does not run the %s service", svc)
		}
		want := clusterServerArgs(t, svc)
		if !slices.Equal(s.Command, want) {
			t.Errorf("%s: command %q, want cluster mode's %q", name, s.Command, want)
		}
		// --config DIR --env ENV: DIR/ENV.yaml is the config file, mounted from the repository.
		dir, envName := argAfter(s.Command, "--config"), argAfter(s.Command, "--env")
		if path.Join(dir, envName+".yaml") != serverConfigFile {
			t.Errorf("%s: --config %q --env %q, want %s", name, dir, envName, serverConfigFile)
		}
		checkMount(t, s, dir)
		// Every service of its own container listens on all its interfaces and announces
		// its container's address to the membership ring (broadcastAddress must be an IP).
		if got, _ := env(s, "TEMPORAL_BIND_ON_IP"); got != "0.0.0.0" {
			t.Errorf("%s: TEMPORAL_BIND_ON_IP=%q, want 0.0.0.0", name, got)
		}
		entry := strings.Join(s.Entrypoint, " ")
		if !strings.Contains(entry, "export TEMPORAL_BROADCAST_ADDRESS=") || !strings.HasSuffix(entry, `exec temporal-server "$@" temporal-server`) {
			t.Errorf("%s: entrypoint %q, want TEMPORAL_BROADCAST_ADDRESS exported and temporal-server run with the command", name, s.Entrypoint)
		}
		// One cluster: every service with the same settings.
		if !sameEnvironment(s.Environment, frontend.Environment) {
			t.Errorf("%s: environment differs from temporal-frontend's", name)
		}
		replicas := 1
		if s.Deploy != nil && s.Deploy.Replicas != nil {
			replicas = *s.Deploy.Replicas
		}
		if hosts := clusterHosts(t, script, svc); replicas != hosts {
			t.Errorf("%s: %d replicas, want %d as in cluster mode", name, replicas, hosts)
		}
	}
	for _, v := range []string{"TEMPORAL_BIND_ON_IP", "TEMPORAL_BROADCAST_ADDRESS", "TEMPORAL_FRONTEND_ADDRESS", "TEMPORAL_NUM_HISTORY_SHARDS",
		"TEMPORAL_PG_ADDR", "TEMPORAL_PG_USER", "TEMPORAL_PG_PASSWORD"} {
		if !slices.Contains(templateVars(config), v) {
			t.Errorf("%s does not read %s", serverConfigFile, v)
		}
	}
	if n := strings.Count(config, `bindOnIP: {{ default "127.0.0.1" (env "TEMPORAL_BIND_ON_IP") }}`); n != 4 {
		t.Errorf("%s: %d services bind on TEMPORAL_BIND_ON_IP, want the 4", serverConfigFile, n)
	}
	addr := frontendAddress(t, p)
	if got, _ := env(frontend, "TEMPORAL_FRONTEND_ADDRESS"); got != addr {
		t.Errorf("temporal-frontend: TEMPORAL_FRONTEND_ADDRESS=%q, want %s", got, addr)
	}
	if got, _ := env(frontend, "TEMPORAL_PG_ADDR"); got != "postgres:5432" {
		t.Errorf("temporal-frontend: TEMPORAL_PG_ADDR=%q, want postgres:5432", got)
	}
	// The health of the frontend, as cluster mode waits for it.
	_, grpcPort, _ := strings.Cut(addr, ":")
	if hc := frontend.HealthCheck; hc == nil || !slices.Contains(hc.Test, "127.0.0.1:"+grpcPort) ||
		!strings.Contains(strings.Join(hc.Test, " "), "operator cluster health") || !strings.Contains(script, "operator cluster health") {
		t.Errorf("temporal-frontend: healthcheck %v, want `temporal operator cluster health` on 127.0.0.1:%s as cluster mode", hc, grpcPort)
	}
}

// TestTemporalPostgresConnections: PostgreSQL takes every connection the cluster's
// processes may open (cluster.yaml's maxConns for persistence and visibility), plus the
// jobs' and a superuser's.
func TestTemporalPostgresConnections(t *testing.T) {
	p := stack(t)
	var max int
	for _, arg := range service(t, p, "postgres").Command {
		if v, ok := strings.CutPrefix(arg, "max_connections="); ok {
			max, _ = strconv.Atoi(v)
		}
	}
	if max == 0 {
		max = 100 // PostgreSQL's default
	}
	need := 10 // the one-shot jobs, psql, the superuser_reserved_connections (3)
	for _, name := range temporalServers {
		s := service(t, p, name)
		per := 0
		for _, v := range []string{"TEMPORAL_PG_MAX_CONNS", "TEMPORAL_PG_VISIBILITY_MAX_CONNS"} {
			n, err := strconv.Atoi(templateDefault(t, v))
			if got, ok := env(s, v); ok {
				n, err = strconv.Atoi(got)
			}
			if err != nil {
				t.Fatalf("%s: %s is no number", name, v)
			}
			per += n
		}
		replicas := 1
		if s.Deploy != nil && s.Deploy.Replicas != nil {
			replicas = *s.Deploy.Replicas
		}
		need += replicas * per
	}
	if max < need {
		t.Errorf("postgres: max_connections %d, want at least %d for the Temporal services", max, need)
	}
	t.Logf("PostgreSQL: %d connections at most for the cluster and its jobs, max_connections %d", need, max)
}

// TestTemporalShards: the number of history shards is cluster mode's variable, set once
// for the whole cluster and documented: it cannot change once the cluster has run.
func TestTemporalShards(t *testing.T) {
	p := stack(t)
	if !strings.Contains(readFile(t, serverConfigFile), `numHistoryShards: {{ default "`+templateDefault(t, "TEMPORAL_NUM_HISTORY_SHARDS")+`" (env "TEMPORAL_NUM_HISTORY_SHARDS") }}`) {
		t.Errorf("%s: numHistoryShards does not come from TEMPORAL_NUM_HISTORY_SHARDS", serverConfigFile)
	}
	shards, _ := env(service(t, p, "temporal-frontend"), "TEMPORAL_NUM_HISTORY_SHARDS")
	n, err := strconv.Atoi(shards)
	if err != nil || n < 1 {
		t.Fatalf("temporal-frontend: TEMPORAL_NUM_HISTORY_SHARDS=%q, want a number of shards", shards)
	}
	if strings.Contains(readFile(t, "docker-compose.yml"), "${TEMPORAL_NUM_HISTORY_SHARDS") {
		t.Error("docker-compose.yml reads TEMPORAL_NUM_HISTORY_SHARDS from deploy/.env: it is fixed for the cluster's life, keep it in the file")
	}
	if doc := readFile(t, "docs/deployment.md"); !strings.Contains(doc, "`TEMPORAL_NUM_HISTORY_SHARDS`") || !strings.Contains(doc, shards+" history shards") {
		t.Errorf("docs/deployment.md does not document TEMPORAL_NUM_HISTORY_SHARDS (%s history shards)", shards)
	}
	t.Logf("%d history shards (cluster mode: %s)", n, templateDefault(t, "TEMPORAL_NUM_HISTORY_SHARDS"))
}

// TestTemporalJobs: the schema and the namespace are made by cluster mode's scripts.
func TestTemporalJobs(t *testing.T) {
	p := stack(t)
	script := clusterScript(t)
	schema, namespace := service(t, p, "temporal-schema"), service(t, p, "temporal-namespace")
	for _, job := range []struct {
		s    types.ServiceConfig
		want string
	}{{schema, "scripts/temporal-schema.sh"}, {namespace, "scripts/temporal-namespace.sh"}} {
		s, want := job.s, job.want
		if got := jobScript(t, s); got != want {
			t.Errorf("%s: runs %s, want %s", s.Name, got, want)
		}
		if !strings.Contains(script, want) {
			t.Errorf("scripts/temporal-cluster.sh does not run %s", want)
		}
	}
	// The schema job makes what the servers use.
	frontend := service(t, p, "temporal-frontend")
	for _, k := range []string{"TEMPORAL_PG_ADDR", "TEMPORAL_PG_USER", "TEMPORAL_PG_PASSWORD", "TEMPORAL_DB", "TEMPORAL_VISIBILITY_DB"} {
		a, aSet := env(schema, k)
		b, bSet := env(frontend, k)
		if a != b || aSet != bSet {
			t.Errorf("temporal-schema and temporal-frontend: %s differs", k)
		}
	}
	if v, _ := env(schema, "TEMPORAL_SQL_TOOL"); v == "" {
		t.Error("temporal-schema: no TEMPORAL_SQL_TOOL")
	}
	pg := service(t, p, "postgres")
	adminUser, ok := env(pg, "POSTGRES_USER")
	if !ok {
		adminUser = "postgres"
	}
	if got, _ := env(schema, "TEMPORAL_PG_ADMIN_USER"); got != adminUser {
		t.Errorf("temporal-schema: TEMPORAL_PG_ADMIN_USER=%q, want postgres' superuser %q", got, adminUser)
	}
	a, _ := env(schema, "TEMPORAL_PG_ADMIN_PASSWORD")
	if b, _ := env(pg, "POSTGRES_PASSWORD"); a == "" || a != b {
		t.Error("temporal-schema: TEMPORAL_PG_ADMIN_PASSWORD is not postgres' POSTGRES_PASSWORD")
	}
	// The namespace: the binary's, with a retention.
	if got, want := envOf(t, p, "temporal-namespace", "TEMPORAL_FRONTEND_ADDRESS"), frontendAddress(t, p); got != want {
		t.Errorf("temporal-namespace: TEMPORAL_FRONTEND_ADDRESS=%q, want %s", got, want)
	}
	if got, want := envOf(t, p, "temporal-namespace", "TEMPORAL_NAMESPACE"), envOf(t, p, "api", "OCC_TEMPORAL_NAMESPACE"); got != want {
		t.Errorf("temporal-namespace: TEMPORAL_NAMESPACE=%q, want the binary's %q", got, want)
	}
	retention := envOf(t, p, "temporal-namespace", "TEMPORAL_NAMESPACE_RETENTION")
	if d, err := time.ParseDuration(retention); err != nil || d < 24*time.Hour {
		t.Errorf("temporal-namespace: TEMPORAL_NAMESPACE_RETENTION=%q, want a duration of a day or more (Temporal's minimum)", retention)
	}
}

// TestTemporalSearchAttributes: the search attributes of the workflows are registered by
// `occonnect search-attributes` (which registers workflows.SearchAttributes,
// cmd/occonnect), in the namespace the job made, before the API and the workers start.
func TestTemporalSearchAttributes(t *testing.T) {
	p := stack(t)
	setup := service(t, p, "temporal-setup")
	if !slices.Equal(setup.Command, []string{"search-attributes"}) {
		t.Errorf("temporal-setup: command %q, want occonnect search-attributes", setup.Command)
	}
	if got, want := envOf(t, p, "temporal-setup", "OCC_TEMPORAL_NAMESPACE"), envOf(t, p, "temporal-namespace", "TEMPORAL_NAMESPACE"); got != want {
		t.Errorf("temporal-setup: OCC_TEMPORAL_NAMESPACE=%q, want temporal-namespace's %q", got, want)
	}
	if dep, ok := setup.DependsOn["temporal-namespace"]; !ok || dep.Condition != completed {
		t.Error("temporal-setup does not wait for temporal-namespace")
	}
	doc := readFile(t, "docs/deployment.md")
	for _, k := range workflows.SearchAttributes {
		if !strings.Contains(doc, k.GetName()) {
			t.Errorf("docs/deployment.md does not list the search attribute %s", k.GetName())
		}
	}
}

// argAfter is the argument after flag in args ("" when absent).
func argAfter(args []string, flag string) string {
	if i := slices.Index(args, flag); i >= 0 && i+1 < len(args) {
		return args[i+1]
	}
	return ""
}

// clusterHosts: how many hosts of a service cluster mode runs (TEMPORAL_HISTORY_HOSTS…).
func clusterHosts(t *testing.T, script, svc string) int {
	t.Helper()
	if svc == "frontend" || svc == "worker" {
		return 1
	}
	m := regexp.MustCompile(`\$\{TEMPORAL_` + strings.ToUpper(svc) + `_HOSTS:-(\d+)\}`).FindStringSubmatch(script)
	if m == nil {
		t.Fatalf("scripts/temporal-cluster.sh: no TEMPORAL_%s_HOSTS", strings.ToUpper(svc))
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// sameEnvironment: two environments with the same variables and values.
func sameEnvironment(a, b types.MappingWithEquals) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		w, ok := b[k]
		if !ok || (v == nil) != (w == nil) || v != nil && *v != *w {
			return false
		}
	}
	return true
}
