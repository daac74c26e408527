# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi

.PHONY: run test install assets database demo lint clean

run: install assets database demo  ## Set up everything on SQLite with demo data and serve it
	$(FLASK) run

test: install assets  ## Run the whole test suite (PB_TEST_DATABASE_URL selects PostgreSQL)
	$(BIN)/pytest $(PYTEST_ARGS)

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

assets: pb_app/static/build/.built

pb_app/static/build/.built: package.json package-lock.json $(shell find pb_app/static/src -type f 2>/dev/null)
	npm ci --no-audit --no-fund
	npm run build
	touch $@

database: install
	$(FLASK) db upgrade

demo: database
	$(FLASK) demo load --if-empty

lint: install
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) node_modules pb_app/static/build
