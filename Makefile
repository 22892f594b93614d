# GridLedger entry points. `make run` and `make test` are the two commands a newcomer needs;
# everything else is a step they call.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
GRIDNET := $(BIN)/python -m network
# podman's settings on machines like this project's own (runc, ulimits the sandbox allows)
export CONTAINERS_CONF ?= $(CURDIR)/docker/containers.conf

.PHONY: run install venv tools system-packages dashboard-assets images up down status deploy demo api onboard offboard bench clean test test-faults test-unit test-integration test-hosts test-containers lint typecheck check

run: install up deploy api demo ## install everything, start each org's share and API, run the demo day

$(STAMP): pyproject.toml
	@echo "==> python virtualenv in $(VENV)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $(STAMP)

venv: $(STAMP)

tools: venv ## pinned Fabric and Fabric CA binaries into .tools/ (skipped when present)
	$(GRIDNET) install

install: tools system-packages dashboard-assets ## the venv, pinned Fabric, and the Debian packages (podman, mmdebstrap, ...)

system-packages: ## Debian packages the multi-host and container tests use, when missing
	@missing=""; \
	command -v ip >/dev/null || missing="$$missing iproute2"; \
	command -v setpriv >/dev/null || missing="$$missing util-linux"; \
	command -v useradd >/dev/null || missing="$$missing passwd"; \
	command -v podman >/dev/null || missing="$$missing podman"; \
	command -v runc >/dev/null || missing="$$missing runc"; \
	command -v catatonit >/dev/null || missing="$$missing catatonit"; \
	command -v mmdebstrap >/dev/null || missing="$$missing mmdebstrap"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	if [ -n "$$missing" ] && [ "$$(id -u)" != 0 ]; then \
		echo "==> not root: the multi-host and container tests need: sudo apt-get install$$missing"; \
	elif [ -n "$$missing" ]; then \
		echo "==> installing Debian packages:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

dashboard-assets: ## the dashboard's chart library, from the npm registry, served by each API
	npm ci --prefix api/dashboard --no-audit --no-fund --ignore-scripts --silent
	mkdir -p api/dashboard/static/vendor
	cp api/dashboard/node_modules/chart.js/dist/chart.umd.min.js api/dashboard/static/vendor/

images: install ## container images of each org's share (docker/), Fabric's built here too
	$(GRIDNET) images --local

up: install ## every org here starts its CA, orderer and peer; the founders create the channels
	$(GRIDNET) up

deploy: install ## each org installs, serves and approves the chaincode; one org commits it
	$(GRIDNET) deploy

demo: venv ## the demo day, each step by its org's people through that org's API
	$(GRIDNET) demo

api: venv ## start each org's API and print its demo logins
	$(GRIDNET) api

onboard: install ## admit a community by the members' signatures: make onboard ORG=riverside
	$(GRIDNET) onboard --org $(or $(ORG),riverside)

offboard: venv ## remove an admitted community by the members' signatures: make offboard ORG=riverside
	$(GRIDNET) offboard --org $(or $(ORG),riverside)

bench: install up deploy api ## measure throughput and latency beside the Node client baseline; writes bench/REPORT.md
	$(BIN)/python -m bench $(BENCH_ARGS)

status: venv ## health of every org's nodes, chaincode servers and API
	$(GRIDNET) status

down: venv ## every org here stops exactly its own processes (keeps ledgers)
	$(GRIDNET) down

clean: venv ## stop everything and remove every org's home and the exchange
	$(GRIDNET) clean

test: install lint typecheck ## unit, integration, multi-host, short fault and container tests
	$(BIN)/pytest -q -m "not long" tests/unit tests/integration tests/hosts tests/faults tests/containers

test-faults: install ## every fault-injection test, the long ones too (kills and restarts nodes)
	$(BIN)/pytest -q tests/faults

test-unit: venv
	$(BIN)/pytest -q tests/unit

test-integration: install
	$(BIN)/pytest -q tests/integration

test-hosts: install ## the consortium across four hosts (network namespaces; root)
	$(BIN)/pytest -q tests/hosts

test-containers: install ## the consortium as compose projects: images built here, podman (root)
	$(BIN)/pytest -q tests/containers

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: venv
	$(BIN)/mypy
