# Two commands for a fresh machine: `make run` (the product) and `make test` (the test suite).
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
DATA   ?= $(CURDIR)/data
export EXAMPAPER_DATA_DIR ?= $(DATA)
export DAGSTER_HOME ?= $(DATA)/dagster_home

.PHONY: setup run test clean

$(BIN)/ocr-assets: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	@# rapid-layout pulls opencv-python (needs libGL); make the headless build own cv2 so no X/GL libs are needed
	$(BIN)/pip install --quiet --force-reinstall --no-deps "opencv-python-headless==$$($(BIN)/pip show opencv-python-headless | sed -n 's/^Version: //p')"
	touch $@

setup: $(BIN)/ocr-assets

run: setup
	mkdir -p $(DATA)/drop $(DAGSTER_HOME)
	cp config/dagster.yaml $(DAGSTER_HOME)/dagster.yaml
	cp samples/sample_paper.pdf $(DATA)/drop/sample_paper.pdf
	@echo "Dagster UI: http://127.0.0.1:3000  drop folder: $(DATA)/drop  database: $(DATA)/exampapers.sqlite"
	$(BIN)/dagster dev -h 127.0.0.1 -p 3000 -w workspace.yaml

test: setup
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) $(DATA) .pytest_cache
