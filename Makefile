# Two commands on a fresh machine with only Python and the package registries:
#   make demo   creates .venv, installs, ingests seeds/ into ./lake and prints what it found
#   make test   same setup, installs the servers the tests start (redis-server), runs the whole suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
LAKE ?= ./lake

.PHONY: install demo test bench reliability servers clean train-extractor

$(STAMP): pyproject.toml setup.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# A Debian package, installed when `$(1)` fails: by apt-get as root, else a line saying how ($(3)).
apt_need = $(1) >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(2) >/dev/null; \
	  else echo "$(2) missing: run 'sudo apt-get install $(2)' ($(3))"; fi; }

# Tests start their own servers on free loopback ports: SeaweedFS and moto come from PyPI (dev extra),
# redis-server and chromium (the report's browser test) from Debian's packages.
servers:
	@$(call apt_need,command -v redis-server,redis-server,Redis tests are skipped without it)
	@$(call apt_need,command -v chromium,chromium,the report's browser test is skipped without it)

demo: install
	$(BIN)/scrapy crawl files -s LAKE_URI=$(LAKE) -s LOG_LEVEL=WARNING
	$(BIN)/newsdedup summary --lake $(LAKE)

# Two workers, one test module each at a time (module fixtures such as a crawled lake stay in one worker).
test: install servers
	$(BIN)/python -m pytest -n 2 --dist loadfile

# datatrove's WARC reader (the side-by-side baseline of bench/warc.py) needs libmagic from Debian.
bench: install
	@$(call apt_need,dpkg -s libmagic1,libmagic1,bench/warc.py's datatrove baseline needs it)
	$(BIN)/python -m pip install -q -e '.[dev,bench]'
	$(BIN)/python bench/extraction.py
	$(BIN)/python bench/dedup.py
	$(BIN)/python bench/throughput.py
	$(BIN)/python bench/warc.py
	$(BIN)/python bench/report.py

# Retrains the text mode's block classifier and headline ranker on train sites (reads ../shared/datasets),
# single-threaded with a fixed seed: the same data gives the same model files.
train-extractor: install
	$(BIN)/python -m pip install -q -e '.[dev,bench]'
	$(BIN)/python bench/train_extractor.py

# The fault classes of docs/reliability.md, more trials than `make test` runs; rewrites its table.
reliability: install servers
	$(BIN)/python bench/reliability.py --trials 20

clean:
	rm -rf $(LAKE) .newsdedup-spool
