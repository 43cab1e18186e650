# The assistant's commands. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help
export TF_CPP_MIN_LOG_LEVEL := 3
# This checkout's code first: the virtual environment's .pth names the checkout that created it,
# which is another one in a git worktree sharing the environment.
export PYTHONPATH := $(CURDIR)$(if $(PYTHONPATH),:$(PYTHONPATH))
export SQLALCHEMY_SILENCE_UBER_WARNING := 1

VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
SPACY := build/spacy/en_mindwork/meta.json
ENCODER := build/minilm/meta.json
# The crisis gate's false-positive ceiling on tests/crisis_eval.yml (the gate also needs 100% recall).
CRISIS_MAX_FPR := 0.03
# Real public messages for measuring only (never trained on); outside the repository.
REALWORLD_DEV ?= ../shared/realworld/dev.tsv
# The collection's second half, released later: reported beside dev, never used to choose.
REALWORLD_DEV_B ?= ../shared/realworld/dev_b.tsv
# Real-style questions about the article: every style (search, chat, long post) must reach this.
QUESTIONS_MIN_STYLE := 0.90
# `make bench PEER_EPOCH_FRACTION=0.1` trains a cheaper peer on a busy machine (say so when quoting).
PEER_EPOCH_FRACTION ?= 1.0
# `make run VERBOSE=1` (or train) also shows the libraries' deprecation warnings.
VERBOSE ?=
export VERBOSE
LAUNCHER_FLAGS := $(if $(filter-out 0,$(VERBOSE)),--verbose)

.PHONY: help setup system-deps run train test test-unit eval realworld crisis-eval crisis-dev bench profile insights lint lock clean

help: ## List the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements.lock requirements.model.txt scripts/setup-venv.sh
	@bash scripts/setup-venv.sh

$(SPACY): $(VENV)/.installed bot/nlu/spacy_pipeline.py $(wildcard bot/nlu/rules/*.yml)
	$(PY) -m bot.nlu.spacy_pipeline

$(ENCODER): $(VENV)/.installed bot/nlu/sentence_encoder.py
	$(PY) -m bot.nlu.sentence_encoder

setup: $(VENV)/.installed $(SPACY) $(ENCODER) ## Create the virtual environment, build the spaCy pipeline and the sentence encoder

train: setup ## Train the model, only if data, domain, config or NLU code changed
	$(PY) -m bot.launcher train $(LAUNCHER_FLAGS)

run: setup ## Set up, train if needed, start the assistant; Ctrl-C stops it (VERBOSE=1: library warnings too)
	$(PY) -m bot.launcher run $(LAUNCHER_FLAGS)

test: train system-deps ## Set up and run every test: lint, data validation, unit, stories, HTTP, held-out eval
	$(MAKE) --no-print-directory lint
	$(BIN)/pytest
	$(MAKE) --no-print-directory eval

test-unit: setup ## Fast, no training and no servers: lint and the unit tests (tests/unit), a few minutes
	$(MAKE) --no-print-directory lint
	$(BIN)/pytest tests/unit

eval: train ## Held-out NLU, crisis and real-style questions (gated); real-style posts and the real-messages sets (reported)
	$(PY) -m tools.evaluate --model models/current.tar.gz
	$(PY) -m tools.evaluate --model models/current.tar.gz --heldout tests/nlu_heldout_intake.yml \
		--output results/nlu_heldout_intake.json
	$(PY) -m tools.evaluate_crisis --model models/current.tar.gz --max-false-positive-rate $(CRISIS_MAX_FPR)
	$(PY) -m tools.evaluate_questions --model models/current.tar.gz --min-style-accuracy $(QUESTIONS_MIN_STYLE)
	$(PY) -m tools.evaluate_questions_es --model models/current.tar.gz
	$(PY) -m tools.evaluate_realworld --model models/current.tar.gz --set tests/posts_realstyle.tsv --halves --output results/posts_realstyle.json
	$(PY) -m tools.evaluate_realworld --model models/current.tar.gz --set $(REALWORLD_DEV)
	$(PY) -m tools.evaluate_realworld --model models/current.tar.gz --set $(REALWORLD_DEV_B) --output results/realworld_dev_b.json

realworld: train ## The real-messages dev set and the read half of the real-style posts, with misses (a developer's terminal)
	$(PY) -m tools.evaluate_realworld --model models/current.tar.gz --set $(REALWORLD_DEV) --show-misses
	$(PY) -m tools.evaluate_realworld --model models/current.tar.gz --set tests/posts_realstyle.tsv --halves --show-misses --output results/posts_realstyle.json

crisis-eval: train ## Crisis recall and false positives per category, with the gate set's misses
	$(PY) -m tools.evaluate_crisis --model models/current.tar.gz --show-misses

crisis-dev: train ## The same figures and misses on the development set tests/crisis_dev.yml, ungated
	$(PY) -m tools.evaluate_crisis --model models/current.tar.gz --set tests/crisis_dev.yml --no-blind \
		--output results/crisis_dev.json --min-recall 0 --max-false-positive-rate 1 --show-misses

bench: train ## Speed, size, accuracy vs Rasa's default config (peer cached in models/peer/): results/bench.md
	$(PY) -m tools.bench --peer-epoch-fraction $(PEER_EPOCH_FRACTION)

profile: train ## Where one message's time goes in the Rasa server (cProfile by stage): results/profile.txt
	$(PY) -m tools.profile_message

insights: setup ## Last week's clinic insights table (the database in clinic.yml's insights.db_url)
	$(PY) -m bot.insights

system-deps: ## Install Chromium, Redis and PostgreSQL from Debian's packages if missing (for the tests)
	@bash scripts/system-deps.sh

lint: setup ## ruff (lint and format check) and mypy
	$(BIN)/ruff check bot actions tools tests
	$(BIN)/ruff format --check bot actions tools tests
	$(BIN)/mypy bot actions tools

lock: $(VENV)/.installed ## Re-resolve requirements.in into requirements.lock with Rasa's pins
	$(BIN)/uv pip compile requirements.in --python-version 3.10 -o requirements.lock

clean: ## Remove the virtual environment, built pipeline, models and results
	rm -rf $(VENV) build models results .pytest_cache .mypy_cache .ruff_cache
