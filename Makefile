# DVC Assistant: two runtimes, one Makefile.
#   make run   build what is missing, train the Rasa model if its inputs changed, start everything
#   make test  build what is missing, train if needed, run lint and all tests
# Every setting below can be overridden from the environment (see README, "Configuration").

SHELL := /bin/bash
.DEFAULT_GOAL := help

# Built things live outside the checkout, named by the hash of their inputs, so that a fresh clone
# (CI, a second worktree) reuses them and a change of inputs builds a new one beside the old.
# Their rules therefore have no file prerequisites: a clone's fresh mtimes must not rebuild them.
CACHE_DIR ?= $(HOME)/.cache/dvc-assistant
PYTHON310 ?= $(shell pyenv prefix 3.10 2>/dev/null)/bin/python
PYTHON311 ?= $(shell command -v python3.11)

hash = $(shell cat $(1) | sha256sum | cut -c1-12)
RASA_VENV := $(CACHE_DIR)/venv-rasa-$(call hash,requirements/rasa.txt)
APP_VENV := $(CACHE_DIR)/venv-app-$(call hash,requirements/app.txt)
# Everything the trained model depends on: Rasa's data and config, and our nlu/ components with
# their data (abbreviations, aspects, the ward list used for service points).
MODEL_INPUTS := config.yml bot/domain.yml $(sort $(wildcard bot/data/*.yml)) \
	$(sort $(wildcard nlu/*.py nlu/data/*.yaml)) knowledge/data/wards.csv requirements/rasa.txt
MODEL_NAME := dvc-$(call hash,$(MODEL_INPUTS))
MODEL := $(CACHE_DIR)/models/$(MODEL_NAME).tar.gz

export RASA_PORT ?= 5005
export ACTION_PORT ?= 5055
export SERVICE_PORT ?= 8000
export ACTION_ENDPOINT_URL ?= http://127.0.0.1:$(ACTION_PORT)/webhook
export RASA_URL ?= http://127.0.0.1:$(RASA_PORT)
export DVC_SERVICE_URL ?= http://127.0.0.1:$(SERVICE_PORT)
export DATA_DIR ?= $(CURDIR)/var
export PYTHONPATH := $(CURDIR)
export RASA_BIN := $(RASA_VENV)/bin/rasa
export RASA_MODEL := $(MODEL)
export APP_PYTHON := $(APP_VENV)/bin/python
# Rasa, TensorFlow and sentence-transformers must never try to reach a model hub or telemetry.
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2
export SQLALCHEMY_SILENCE_UBER_WARNING := 1

.PHONY: help venvs model secrets run test lint bench-nlu bench-knowledge bench-notifier \
	bench-conversations clean-cache

help:
	@echo "make run    start the Rasa server, the action server and the service (chat page on http://127.0.0.1:$(SERVICE_PORT)/)"
	@echo "make test   lint and run every test (needs PostgreSQL and Redis on 127.0.0.1, see README)"

# $(call build_venv,DIR,PYTHON,REQUIREMENTS): a fresh venv, marked complete only once installed.
define build_venv
	rm -rf $(1)
	$(2) -m venv $(1)
	$(1)/bin/pip install --quiet --upgrade pip wheel
	$(1)/bin/pip install --quiet -r $(3)
	touch $(1)/.complete
endef

$(RASA_VENV)/.complete:
	$(call build_venv,$(RASA_VENV),$(PYTHON310),requirements/rasa.txt)

$(APP_VENV)/.complete:
	$(call build_venv,$(APP_VENV),$(PYTHON311),requirements/app.txt)

venvs: $(RASA_VENV)/.complete $(APP_VENV)/.complete
	ln -sfn $(RASA_VENV) .venv-rasa
	ln -sfn $(APP_VENV) .venv

# Rasa's training cache keys components by their config, not by our code: a changed tokenizer or
# lexicon would reuse stale tokens. Each model therefore trains with a cache of its own.
$(MODEL): | $(RASA_VENV)/.complete
	mkdir -p $(CACHE_DIR)/models
	RASA_CACHE_DIRECTORY=$(CACHE_DIR)/rasa-cache/$(MODEL_NAME) $(RASA_BIN) train --quiet --config config.yml --domain bot/domain.yml --data bot/data \
		--out $(CACHE_DIR)/models --fixed-model-name $(MODEL_NAME)
	rm -rf $(CACHE_DIR)/rasa-cache/$(MODEL_NAME)

model: $(MODEL)

# Development secrets are generated once per checkout into var/ (git-ignored), never committed;
# a secret added later is appended to an existing file.
SECRETS := NOTIFIER_EVENTS_SECRET INTERNAL_API_TOKEN
secrets:
	mkdir -p $(DATA_DIR) && umask 077 && touch $(DATA_DIR)/secrets.env
	for name in $(SECRETS); do grep -q "^$$name=" $(DATA_DIR)/secrets.env || \
		echo "$$name=$$(openssl rand -hex 32)" >> $(DATA_DIR)/secrets.env; done

run: venvs model secrets
	@echo "Chat page: http://127.0.0.1:$(SERVICE_PORT)/   (Rasa :$(RASA_PORT), actions :$(ACTION_PORT))"
	set -a && source $(DATA_DIR)/secrets.env && set +a && \
		$(APP_VENV)/bin/honcho start -f Procfile

lint: venvs
	$(APP_VENV)/bin/ruff check .
	$(APP_VENV)/bin/mypy

test: lint model
	$(RASA_VENV)/bin/python -m pytest -c tests/rasa/pytest.ini tests/rasa
	$(APP_PYTHON) -m pytest $(PYTEST_ARGS)

# NLU_DATA=bench/nlu/blind_dev.yml measures on the blind tuning set instead of the held-out split.
NLU_DATA ?= bench/nlu/test_nlu.yml
bench-nlu: venvs model
	$(APP_PYTHON) -m bench.nlu.run --rasa-bin $(RASA_BIN) --model $(MODEL) --data $(NLU_DATA)

# SET=dev (the tuning batch, default) or SET=final (run once, at the end).
SET ?= dev
bench-conversations: venvs model
	$(APP_PYTHON) -m bench.conversations.run --rasa-bin $(RASA_BIN) --model $(MODEL) --set $(SET)

bench-knowledge: venvs
	$(APP_PYTHON) -m bench.knowledge.run

# Needs PostgreSQL and Redis (DATABASE_URL, REDIS_URL; defaults: the local ones).
bench-notifier: venvs
	$(APP_PYTHON) -m bench.notifier.run

clean-cache:
	rm -rf $(CACHE_DIR)
