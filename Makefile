# The two commands: `make demo` and `make test`. Both create .venv when missing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.fxkit-installed

.PHONY: venv demo test test-deep test-realxen check lint bench clean

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
## browser, then the real Xen 4.17 lab under QEMU, which runs last. Its image (built once
## into ~/.cache/fxkit/real) and its VM (restored from the saved, provisioned lab, or booted,
## provisioned and saved) are prepared in the background while the other tiers run, and the
## differential tests run on a second VM beside the runbook tests. The slowest tests and the
## time of each tier are listed at the end, so a CI log shows where the time went.
test: $(STAMP)
	$(BIN)/python -m pytest --durations=25

## test-deep: the same, with ten times the differential tests' sequences and operations
## (LVM: 2000 on the host's lvm2, 400 in the real dom0; xl: 10 lifecycles). Hours, not minutes.
DEEP := FXKIT_LVM_DIFF_COUNT=2000 FXKIT_LVM_DIFF_REAL_COUNT=400 FXKIT_XL_DIFF_ROUNDS=10
test-deep: $(STAMP)
	$(DEEP) $(BIN)/python -m pytest --durations=25

## test-realxen: only the real Xen lab tier (the same tests on lab:real).
test-realxen: $(STAMP)
	$(BIN)/python -m pytest -m realxen

## check: the quick tier for the inner loop (unit + simulated lab), on up to four
## processes (pytest-xdist); each has its own lab, audit log and kernel pool
check: $(STAMP)
	$(BIN)/python -m pytest -n auto --maxprocesses 4 -m "not sshd and not lvm2 and not netns and not notebook and not browser and not realxen and not slow"

lint: $(STAMP)
	$(BIN)/ruff check fxkit tests bench

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) runs .pytest_cache
