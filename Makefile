# The two commands a newcomer needs: `make demo` and `make test`. Each sets itself up first.
.PHONY: demo demo-down test lint setup

setup:
	@scripts/setup

demo: setup
	.venv/bin/python -m bot.sandbox.demo

demo-down: setup
	.venv/bin/python -m bot.sandbox.demo --down

lint: setup
	.venv/bin/ruff check bot tests
	.venv/bin/ruff format --check bot tests
	.venv/bin/mypy

test: lint
	.venv/bin/pytest -n 2 -q
