# GridLedger entry points. `make run` and `make test` are the two commands a newcomer needs;
# everything else is a step they call.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
GRIDNET := $(BIN)/python -m network

.PHONY: run install venv tools up down status deploy demo api onboard offboard bench clean test test-faults test-unit test-integration lint typecheck check

run: install up deploy demo api ## install everything, start the consortium and the API, run the demo

$(STAMP): pyproject.toml
	@echo "==> python virtualenv in $(VENV)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $(STAMP)

venv: $(STAMP)

tools: venv ## pinned Fabric and Fabric CA binaries into .tools/ (skipped when present)
	$(GRIDNET) install

install: tools

up: install ## start CAs, orderers and peers; create channels (resumes existing ledgers)
	$(GRIDNET) up

deploy: install ## package, install, approve and commit the chaincode; start chaincode servers
	$(GRIDNET) deploy

demo: venv ## commit a transaction and read it back through another org's peer
	$(GRIDNET) demo

api: venv ## start the HTTP API and print demo logins for every role
	$(GRIDNET) api

onboard: install ## admit a community org by a majority of admins: make onboard ORG=riverside
	$(GRIDNET) onboard --org $(or $(ORG),riverside)

offboard: venv ## remove an admitted org by a majority of admins: make offboard ORG=riverside
	$(GRIDNET) offboard --org $(or $(ORG),riverside)

bench: install up deploy api ## measure throughput and latency beside the Node baselines; writes bench/REPORT.md
	$(BIN)/python -m bench $(BENCH_ARGS)

status: venv ## health of every node from its operations endpoint
	$(GRIDNET) status

down: venv ## stop exactly the project's processes (keeps ledgers)
	$(GRIDNET) down

clean: venv ## stop everything and remove all run-time state
	$(GRIDNET) clean

test: install lint typecheck ## unit tests, integration tests and the short fault tests on a real network
	$(BIN)/pytest -q -m "not long" tests/unit tests/integration tests/faults

test-faults: install ## every fault-injection test, the long ones too (kills and restarts nodes)
	$(BIN)/pytest -q tests/faults

test-unit: venv
	$(BIN)/pytest -q tests/unit

test-integration: install
	$(BIN)/pytest -q tests/integration

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: venv
	$(BIN)/mypy
