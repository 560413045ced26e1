# OC Connect back office. `make dev` runs the whole system locally; `make test` runs every test.
# Pinned tools are built from the Go module proxy once into $(TOOLS_DIR) (git-ignored).

SHELL := /bin/bash
TOOLS_DIR ?= $(CURDIR)/.tools

TEMPORAL_VERSION      := v1.5.1
TEMPORAL_SERVER_VERSION := v1.29.1
TEMPORAL_UI_VERSION   := v2.42.1
MAILPIT_VERSION       := v1.27.11
STATICCHECK_VERSION   := v0.8.2
WORKFLOWCHECK_VERSION := v0.6.0

TEMPORAL      := $(TOOLS_DIR)/temporal-$(TEMPORAL_VERSION)/temporal
MAILPIT       := $(TOOLS_DIR)/mailpit-$(MAILPIT_VERSION)/mailpit
STATICCHECK   := $(TOOLS_DIR)/staticcheck-$(STATICCHECK_VERSION)/staticcheck
WORKFLOWCHECK := $(TOOLS_DIR)/workflowcheck-$(WORKFLOWCHECK_VERSION)/workflowcheck
# The Temporal cluster of cluster mode: the server, its SQL schema tool and the Web UI.
TEMPORAL_SERVER := $(TOOLS_DIR)/temporal-server-$(TEMPORAL_SERVER_VERSION)/server
TEMPORAL_SQL    := $(TOOLS_DIR)/temporal-sql-tool-$(TEMPORAL_SERVER_VERSION)/sql
TEMPORAL_UI     := $(TOOLS_DIR)/temporal-ui-$(TEMPORAL_UI_VERSION)/server

export OCC_TEMPORAL_BIN := $(TEMPORAL)
export OCC_MAILPIT_BIN  := $(MAILPIT)
export TEMPORAL_SERVER_BIN := $(TEMPORAL_SERVER)
export TEMPORAL_SQL_TOOL   := $(TEMPORAL_SQL)
export TEMPORAL_UI_BIN     := $(TEMPORAL_UI)

# OCC_DEV_TEMPORAL=cluster: make dev runs a Temporal cluster on PostgreSQL instead of the
# dev server.
ifeq ($(OCC_DEV_TEMPORAL),cluster)
DEV_CLUSTER := cluster-tools postgres
endif

GO_TEST_FLAGS ?= -count=1 -timeout 20m

.PHONY: dev test lint unit build tools cluster-tools mariadb postgres chromium clean help bench chaos

help:
	@echo "make dev    run the whole system locally (Temporal dev server + UI, Mailpit, MariaDB, worker, API)"
	@echo "            OCC_DEV_TEMPORAL=cluster make dev: on a Temporal cluster on PostgreSQL, two workers, two APIs"
	@echo "make test   every test (lint, unit, store, workflow, replay, end to end), end to end and chaos on a cluster too"
	@echo "make lint   gofmt, go vet, staticcheck, workflowcheck"
	@echo "make build  build bin/occonnect"
	@echo "make bench  benchmarks B1-B4 against the real stack, B1 on a cluster too (BENCH_FLAGS=-quick for a short run)"
	@echo "make chaos  fault injection on the dev server, then on a cluster (CHAOS_FLAGS=-quick)"

build:
	go build -o bin/occonnect ./cmd/occonnect

$(TEMPORAL):
	@echo "building the Temporal CLI $(TEMPORAL_VERSION) (once; about 3 minutes)"
	GOBIN=$(dir $@) go install github.com/temporalio/cli/cmd/temporal@$(TEMPORAL_VERSION)

$(MAILPIT):
	@echo "building Mailpit $(MAILPIT_VERSION) (once)"
	GOBIN=$(dir $@) go install github.com/axllent/mailpit@$(MAILPIT_VERSION)

$(STATICCHECK):
	GOBIN=$(dir $@) go install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

$(WORKFLOWCHECK):
	GOBIN=$(dir $@) go install go.temporal.io/sdk/contrib/tools/workflowcheck@$(WORKFLOWCHECK_VERSION)

tools: $(TEMPORAL) $(MAILPIT) $(STATICCHECK) $(WORKFLOWCHECK)

$(TEMPORAL_SERVER):
	@echo "building the Temporal server $(TEMPORAL_SERVER_VERSION) (once; about 2 minutes)"
	GOBIN=$(dir $@) go install go.temporal.io/server/cmd/server@$(TEMPORAL_SERVER_VERSION)

$(TEMPORAL_SQL):
	GOBIN=$(dir $@) go install go.temporal.io/server/cmd/tools/sql@$(TEMPORAL_SERVER_VERSION)

$(TEMPORAL_UI):
	@echo "building the Temporal Web UI server $(TEMPORAL_UI_VERSION) (once)"
	GOBIN=$(dir $@) go install github.com/temporalio/ui-server/v2/cmd/server@$(TEMPORAL_UI_VERSION)

cluster-tools: $(TEMPORAL) $(TEMPORAL_SERVER) $(TEMPORAL_SQL) $(TEMPORAL_UI)

postgres:
	@scripts/ensure-postgres.sh

mariadb:
	@scripts/ensure-mariadb.sh

dev: $(TEMPORAL) $(MAILPIT) mariadb $(DEV_CLUSTER)
	@scripts/dev.sh

lint: $(STATICCHECK) $(WORKFLOWCHECK)
	@unformatted=$$(gofmt -l .); if [ -n "$$unformatted" ]; then echo "gofmt -w needed: $$unformatted"; exit 1; fi
	go vet ./...
	$(STATICCHECK) ./...
	$(WORKFLOWCHECK) ./workflows/...

unit:
	go test $(GO_TEST_FLAGS) ./domain/... ./internal/... ./mail/... ./workflows/...

# Every test on the Temporal dev server, then the end-to-end and fault-injection tests
# again on a Temporal cluster on PostgreSQL (OCC_TEST_TEMPORAL=cluster).
test: tools cluster-tools mariadb postgres chromium lint
	go test $(GO_TEST_FLAGS) ./...
	OCC_TEST_TEMPORAL=cluster go test $(GO_TEST_FLAGS) ./e2e/ ./cmd/chaos/

# The officer console's browser test (e2e/console_test.go) drives Debian's chromium package.
CHROMIUM ?= /usr/bin/chromium
export OCC_CHROMIUM_BIN := $(CHROMIUM)
chromium:
	@if [ ! -x "$(CHROMIUM)" ]; then \
		echo "installing Debian's chromium package (the console's browser test needs it)"; \
		sudo=; [ "$$(id -u)" = 0 ] || sudo=sudo; \
		$$sudo apt-get install -y chromium || { $$sudo apt-get update && $$sudo apt-get install -y chromium; }; \
	fi

# Benchmarks with their baselines (docs/PERFORMANCE.md); figures in bench/results/latest.json.
# B1 runs on the dev server and again on a Temporal cluster on PostgreSQL (-cluster=false: not).
bench: $(TEMPORAL) $(MAILPIT) cluster-tools mariadb postgres build
	go run ./cmd/bench -bin bin/occonnect $(BENCH_FLAGS)

# Fault injection (docs/PERFORMANCE.md, "Fault injection"): the scenarios on the dev server
# (bin/chaos.json), then on a Temporal cluster on PostgreSQL with the cluster's own ones
# (bin/chaos-cluster.json). The full run restarts the local MariaDB server: everything else
# using it sees the outage.
chaos: $(TEMPORAL) $(MAILPIT) cluster-tools mariadb postgres build
	go run ./cmd/chaos -bin bin/occonnect -json bin/chaos.json $(CHAOS_FLAGS)
	go run ./cmd/chaos -cluster -bin bin/occonnect -json bin/chaos-cluster.json $(CHAOS_FLAGS)

clean:
	rm -rf bin .dev
