# LoopLab: `make run` opens the lab, `make test` runs the whole suite headless.
# Both create .venv on first use and reinstall when pyproject.toml changes.
# `make package` builds the Linux packages (.deb and .tar.gz) into dist/.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PKG_STAMP := $(VENV)/.installed-package

.PHONY: run test bench screenshots package clean

run: $(STAMP)
	$(BIN)/looplab

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Precise speed goals live here, not in the tests.
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[test,bench]"
	$(BIN)/python bench/loop_bench.py
	$(BIN)/python bench/startup_bench.py
	$(BIN)/python bench/lab_bench.py
	$(BIN)/python bench/timeouts.py
	$(BIN)/python bench/paste_bench.py
	$(BIN)/python bench/xray_bench.py
	$(BIN)/python bench/editor_bench.py

# Regenerates the README's screenshots from the real window.
screenshots: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m app.ui.screenshots resources/screenshots

# The PyInstaller bundle, then dist/looplab_<version>_amd64.deb and a .tar.gz of the bundle.
# packaging/looplab.spec and packaging/linux/build_packages.py say what goes in and why.
package: $(PKG_STAMP)
	$(BIN)/python packaging/icons.py build/icons
	$(BIN)/python -m PyInstaller --noconfirm --clean --log-level WARN \
	  --distpath dist --workpath build/pyinstaller packaging/looplab.spec
	$(BIN)/python packaging/linux/build_packages.py

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || { \
	  echo "Could not create $(VENV). On Debian/Ubuntu: sudo apt-get install python3-venv" >&2; exit 1; }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $@

# Packaging tools get a stamp of their own: `make test` never needs them.
$(PKG_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[test,package]"
	@touch $@

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
