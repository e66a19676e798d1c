# referral-hub: `make run` serves the demo, `make test` runs the suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
DEV    := .dev
PG_URL ?= postgres://postgres@127.0.0.1:5432/referral_hub
export DJANGO_SETTINGS_MODULE := referral_hub.settings

.PHONY: run test bootstrap migrate seed lint typecheck bench fuzz loadtest worker clean help

help:
	@echo "make run       set up everything and serve the demo on 127.0.0.1:$(PORT)"
	@echo "make test      the whole suite (SQLite, then PostgreSQL when reachable)"
	@echo "make bench     benchmarks; results in docs/performance.md"
	@echo "make fuzz      schemathesis over every API operation, a stateful run along the schema's links, and the consent model-based test (FUZZ_EXAMPLES, default 100)"
	@echo "make loadtest  load test on PostgreSQL (about a minute); results in docs/performance.md"
	@echo "make loadtest INSTANCES=2   two gunicorn instances + two webhook workers, one PostgreSQL + Redis"

$(BIN)/.installed: pyproject.toml
	@test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	@$(BIN)/pip install -q --upgrade pip
	@echo "installing dependencies into $(VENV) ..."
	@$(BIN)/pip install -q -e '.[dev]'
	@touch $@

bootstrap: $(BIN)/.installed
	@$(BIN)/python -m referral_hub.devkeys $(DEV)

migrate: bootstrap
	@ENV_FILE=$(DEV)/dev.env $(BIN)/python manage.py migrate --noinput -v 0

seed: migrate
	@ENV_FILE=$(DEV)/dev.env $(BIN)/python manage.py seed_demo

run: seed
	@echo "serving on http://127.0.0.1:$(PORT)/api/docs  (demo password: $${DEMO_PASSWORD:-demo-password})"
	@echo "console:   http://127.0.0.1:$(PORT)/app/  (sign in as alice, carol, hank, erin or adam; docs/console.md)"
	@ENV_FILE=$(DEV)/dev.env ./scripts/run-dev.sh $(PORT)

test: bootstrap
	@ENV_FILE=$(DEV)/test.env ./scripts/test.sh

lint: bootstrap
	@$(BIN)/ruff check .
	@$(BIN)/ruff format --check .

typecheck: bootstrap
	@ENV_FILE=$(DEV)/test.env $(BIN)/mypy core accounts agencies audit crypto clients consent referrals reports webhooks api console referral_hub

# Benchmarks run on the local PostgreSQL when it answers (BENCH_DATABASE_URL to choose), else SQLite.
bench: bootstrap
	@url="$${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/referral_hub_bench}"; \
	if $(BIN)/python scripts/pg_reachable.py "$$url" 2>/dev/null; then export DATABASE_URL="$$url"; \
	else echo "PostgreSQL not reachable: benchmarking on SQLite"; fi; \
	ENV_FILE=$(DEV)/test.env $(BIN)/python -m bench.run $(ONLY)

fuzz: bootstrap
	@ENV_FILE=$(DEV)/test.env FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-100} $(BIN)/pytest tests/security/test_fuzz.py tests/security/test_fuzz_stateful.py tests/referrals/test_model.py -q

# About a minute: gunicorn on a scratch PostgreSQL database (rh_loadtest, recreated), its
# counters in Redis under a run-unique prefix (LOADTEST_REDIS_URL; ARGS="--limits database" for
# the database cache), mixed partner workload, then write checks; updates the load-test block
# of docs/performance.md.
# INSTANCES=2 (about two minutes): one instance, then two behind a round-robin, with two webhook
# workers on one PostgreSQL and one Redis (LOADTEST_REDIS_URL); cross-instance checks.
INSTANCES ?= 1
loadtest: bootstrap
	@$(BIN)/python scripts/pg_reachable.py "$${LOADTEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/rh_loadtest}"
	@ENV_FILE=$(DEV)/test.env $(BIN)/python -m bench.loadtest --write --instances $(INSTANCES) $(ARGS)

clean:
	rm -rf $(VENV) $(DEV)
