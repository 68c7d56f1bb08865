# The two commands a newcomer needs: `make demo` and `make test`. Each sets itself up first.
.PHONY: demo demo-check demo-down test lint setup

setup:
	@scripts/setup

demo: setup
	.venv/bin/python -m bot.sandbox.demo

# The demo, non-interactive: a fresh local GitHub, two runs, and a non-zero exit unless the outcomes are right.
demo-check: setup
	.venv/bin/python -m bot.sandbox.demo --check

demo-down: setup
	.venv/bin/python -m bot.sandbox.demo --down

lint: setup
	.venv/bin/ruff check bot tests bench
	.venv/bin/ruff format --check bot tests bench
	.venv/bin/mypy

test: lint
	.venv/bin/pytest -n 2 -q

