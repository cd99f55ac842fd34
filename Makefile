# The README's two commands: `make demo` and `make test`.
PYTHON ?= python3
TORCH ?= 2.13.0
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: venv demo test bench lint clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q "torch==$(TORCH)"
	$(PY) -m pip install -q -e ".[ffmpeg,plot,dev,downstream]"
	# deep-phonemizer: its metadata pulls tensorboard (training only); the phonemizer needs torch, tqdm, PyYAML.
	$(PY) -m pip install -q --no-deps lhotse==1.33.0 speechbrain==1.1.2 torch-audiomentations==0.12.0 torch-pitch-shift==1.2.5 hyperpyyaml==1.2.3 deep-phonemizer==0.0.19
	bash tools/install_oracle.sh $(VENV)/oracles/torchaudio28 $(PY)
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(PY) -m torchsound demo

test: $(STAMP)
	$(PY) -m pytest -n 2 -q tests

bench: $(STAMP)
	for b in benchmarks/bench_*.py; do $(PY) $$b || exit 1; done

lint: $(STAMP)
	$(PY) -m pip install -q ruff && $(VENV)/bin/ruff check src tests benchmarks

clean:
	rm -rf $(VENV) build dist .pytest_cache
