# thekiz-flow: every target sets itself up on a fresh machine (Python 3.11+ and make).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SIZES  ?= 600,6000,60000

.PHONY: demo test check lint typecheck layers clean bench screenshot chromium wheel

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# make demo SERVE=1: afterwards the web pages on the demo data, http://127.0.0.1:8000
demo: $(STAMP)
	$(BIN)/python -m thekiz_flow.demo $(if $(SERVE),--serve)

# The browser tests and the screenshots drive the system's Chromium (Debian's package);
# the PDFs (WeasyPrint) need Pango and HarfBuzz's font subsetting.
SYSTEM_PACKAGES := chromium libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0
chromium:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	[ -z "$$missing" ] || { \
	  echo "Es fehlen Systempakete: $$missing (werden mit apt-get installiert)"; \
	  sudo=$$([ "$$(id -u)" -eq 0 ] || echo sudo); \
	  $$sudo apt-get update && $$sudo apt-get install -y --no-install-recommends $$missing; }

# the suite on every core (pytest-xdist); XDIST= runs it in one process
XDIST ?= -n auto
test: $(STAMP) chromium
	$(BIN)/python -m pytest $(XDIST) $(PYTEST_ARGS)

# docs/screens/: every page at 1280 px and 390 px, from the demo data of `make demo`
screenshot: $(STAMP) chromium
	$(BIN)/python -m thekiz_flow.demo.screenshot

# dist/thekiz_flow-VERSION-py3-none-any.whl: to install elsewhere (README, Getting started)
wheel: $(STAMP)
	$(BIN)/python -m pip wheel --quiet --no-deps --no-build-isolation --wheel-dir dist .

check: lint typecheck layers

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy thekiz_flow tests bench

# imports point down the layers of ARCHITECTURE.md (pyproject.toml: [tool.importlinter])
layers: $(STAMP)
	$(BIN)/lint-imports

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -r bench/requirements.txt
	$(BIN)/python bench/run.py --sizes $(SIZES)

clean:
	rm -rf var/demo dist .pytest_cache .mypy_cache .ruff_cache
