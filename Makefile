# FLMnCHLL — the commands people and CI use. See README.md.
.PHONY: up down status test test-network fuzz bench install lint

PY := .venv/bin/python

up: install ## install what is missing, start everything, seed demo content; Ctrl-C stops it
	@$(PY) -m ops up

down: ## stop a stack started by `make up` (from another shell)
	@$(PY) -m ops down

status: ## one line per component: name, up/down, pid, port, uptime
	@$(PY) -m ops status

test: ## the whole test suite, on its own ports and folders (its storage tests need the S3 server too)
	@bash scripts/install.sh --with-s3
	@bash scripts/test.sh

fuzz: install ## schemathesis against the test instance, many more cases than `make test` (FUZZ_EXAMPLES per operation)
	@FLMNCHLL_INSTANCE=test FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-300} .venv/bin/pytest tests/api/test_api_conformance.py \
		-s -q --timeout=0

test-network: ## the room over impaired networks (lan, broadband, mobile, mixed), 4 browsers each
	@bash scripts/install.sh --with-s3
	@FLMNCHLL_INSTANCE=test .venv/bin/pytest -m network tests/browser/test_network.py

bench: install ## every benchmark under bench/, each printing its table
	@bash scripts/bench.sh

install:
	@bash scripts/install.sh

lint: install ## ruff and mypy, as the test suite's first step runs them
	@.venv/bin/ruff check .
	@bash scripts/typecheck.sh
