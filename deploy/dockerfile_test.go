package deploy

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

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
