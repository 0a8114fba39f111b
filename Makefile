# Each target bootstraps what it needs: uv (from PyPI, into the user's Python) and the project's .venv.
SHELL := /bin/bash
UV := $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
VENV := .venv/.synced

.PHONY: run test lint bench screenshots clean

$(UV):
	python3 -m pip install --user --quiet uv

$(VENV): pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen
	@touch $@

run: $(VENV)
	$(UV) run --frozen event-service serve

lint: $(VENV)
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .
	$(UV) run --frozen lint-imports

test: lint
	$(UV) run --frozen pytest

# Not part of `make test`: a few minutes of measurements that rewrite docs/benchmarks.{md,json,png}.
# Sizes from the environment, e.g. BENCH_QUICK=1 make bench (see bench/__main__.py).
bench: | $(UV)
	$(UV) sync --frozen --group bench
	$(UV) run --frozen --group bench python -m bench

# Not part of `make test`: rewrites docs/screenshots/*.png from the real service with generated data.
screenshots: $(VENV)
	UI_SCREENSHOTS=1 $(UV) run --frozen pytest -q tests/e2e/test_ui_screenshots.py

clean:
	rm -rf .venv .pytest_cache .ruff_cache .bench
