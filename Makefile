# The two commands: `make demo` and `make test`. Both create .venv when missing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.fxkit-installed

.PHONY: venv demo test test-realxen check lint bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	@touch $(STAMP)

venv: $(STAMP)

## demo: start the lab and run the main job (inventory, then a maintenance runbook) on it
demo: $(STAMP)
	$(BIN)/fxkit demo

## test: every tier, as CI runs it: unit, simulated lab, real sshd/lvm2/bridges, notebooks,
## browser, then the real Xen 4.17 lab under QEMU (its image is built once into
## ~/.cache/fxkit/real; one VM boots for the tier, which runs last). The slowest tests are
## listed at the end, so a CI log shows where the time went.
test: $(STAMP)
	$(BIN)/python -m pytest --durations=25

## test-realxen: only the real Xen lab tier (the same tests on lab:real).
test-realxen: $(STAMP)
	$(BIN)/python -m pytest -m realxen

## check: the quick tier for the inner loop (unit + simulated lab)
check: $(STAMP)
	$(BIN)/python -m pytest -m "not sshd and not lvm2 and not netns and not notebook and not browser and not realxen and not slow"

lint: $(STAMP)
	$(BIN)/ruff check fxkit tests bench

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) runs .pytest_cache
