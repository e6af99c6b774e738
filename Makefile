# Zzyra's everyday commands. Each one bootstraps .venv first, so they work on a fresh clone.
#   make demo   run an example workflow end to end (embedded PostgreSQL, in-process dispatch
#               unless DATABASE_URL / CELERY_BROKER_URL are set)
#   make test   lint, type-check and run the whole suite against real PostgreSQL, RabbitMQ,
#               Celery workers and jails (starts local servers when they are not running)

PYTHON := .venv/bin/python
TEST_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/zzyra
TEST_BROKER_URL ?= amqp://guest:guest@127.0.0.1:5672//

.PHONY: bootstrap demo test lint services sandbox-setup

bootstrap:
	@scripts/bootstrap

demo: bootstrap
	$(PYTHON) manage.py demo

services:
	@scripts/services

sandbox-setup: bootstrap
	@bash sandbox/setup.sh --start-docker --build-image

lint: bootstrap
	$(PYTHON) -m ruff check .
	$(PYTHON) -m ruff format --check .
	DATABASE_URL=$(TEST_DATABASE_URL) $(PYTHON) -m mypy .
	DATABASE_URL=$(TEST_DATABASE_URL) $(PYTHON) manage.py makemigrations --check --dry-run -v1

test: bootstrap services sandbox-setup lint
	DATABASE_URL=$(TEST_DATABASE_URL) CELERY_BROKER_URL=$(TEST_BROKER_URL) $(PYTHON) -m pytest
