# Two commands for a fresh machine: `make run` (the product) and `make test` (the test suite).
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
PORT   ?= 3000
# `make run DATA=x` wins over an exported EXAMPAPER_DATA_DIR / DAGSTER_HOME; without DATA an exported
# EXAMPAPER_DATA_DIR is the data folder (so the drop folder below and the product's agree)
ifeq ($(origin DATA),command line)
export EXAMPAPER_DATA_DIR := $(abspath $(DATA))
export DAGSTER_HOME := $(abspath $(DATA))/dagster_home
else ifdef EXAMPAPER_DATA_DIR
DATA := $(EXAMPAPER_DATA_DIR)
endif
DATA   ?= $(CURDIR)/data
export EXAMPAPER_DATA_DIR ?= $(DATA)
export DAGSTER_HOME ?= $(DATA)/dagster_home

.PHONY: setup run test worker clean print-data

$(BIN)/ocr-assets: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	@# rapid-layout pulls opencv-python (needs libGL); make the headless build own cv2 so no X/GL libs are needed
	$(BIN)/pip install --quiet --force-reinstall --no-deps "opencv-python-headless==$$($(BIN)/pip show opencv-python-headless | sed -n 's/^Version: //p')"
	touch $@

setup: $(BIN)/ocr-assets

# The UI, the daemon and a long-lived OCR worker (warm engine across papers), stopped together
# on Ctrl-C or SIGTERM (README: "make run").
run: setup
	mkdir -p $(DATA)/drop
	cp samples/sample_paper.pdf $(DATA)/drop/sample_paper.pdf
	@echo "Dagster UI: http://127.0.0.1:$(PORT)  drop folder: $(DATA)/drop  database: $(DATA)/exampapers.sqlite"
	$(BIN)/python -m ocr_assets.launcher --host 127.0.0.1 --port $(PORT)

test: setup
	$(BIN)/python -m pytest

# Cluster mode (README): a long-lived OCR worker; start one per GPU (or per CPU box).
EXAMPAPER_CELERY_BROKER ?= pyamqp://guest:guest@127.0.0.1:5672//
export EXAMPAPER_CELERY_QUEUE ?= exampapers
worker: setup
	$(BIN)/celery -A ocr_assets.celery_worker -b $(EXAMPAPER_CELERY_BROKER) worker -Q $(EXAMPAPER_CELERY_QUEUE) \
		--pool solo -n ocr@%h --loglevel INFO

clean:
	rm -rf $(VENV) $(DATA) .pytest_cache

# what `make run` would use (a check of the variables above)
print-data:
	@echo "DATA=$(DATA) EXAMPAPER_DATA_DIR=$$EXAMPAPER_DATA_DIR DAGSTER_HOME=$$DAGSTER_HOME"
