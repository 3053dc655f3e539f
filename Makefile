# Set-up and everyday commands. `make search` and `make test` work on a fresh machine:
# they create the virtual environment .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CORES ?= 2

.PHONY: install search test benchmark clean

$(BIN)/lopt-lammps: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# the CPU build of torch first: a plain `torch` requirement pulls a multi-GB CUDA build
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(BIN)/lopt-lammps

search: install
	$(BIN)/snakemake search_agcu --cores $(CORES) --rerun-incomplete

test: install
	$(BIN)/python -m pytest -q

benchmark: install
	$(BIN)/snakemake benchmark --cores $(CORES)

clean:
	rm -rf $(VENV) results .snakemake
