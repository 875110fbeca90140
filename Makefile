# Two entry points, each creating the virtual environment it needs.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test test-slow test-torch docs clean

$(BIN)/rnnzoo: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[test]"
	touch $@

# Train sentiment_bilstm on the IMDB sample shipped with rnnzoo, export it, classify two sentences
# with the exported SavedModel (TensorFlow alone reads it).
demo: $(BIN)/rnnzoo
	$(BIN)/rnnzoo train sentiment_bilstm --data sample --epochs 2 --out runs/demo
	$(BIN)/rnnzoo export runs/demo --format savedmodel --out exported/demo
	$(BIN)/python examples/serve_savedmodel.py exported/demo "A moving, beautifully acted film." "Two hours I will never get back."

# The architecture contract first (pyproject.toml [tool.importlinter]: no import cycle, no upward import), then the suite.
# Tests run in up to PYTEST_WORKERS processes (pytest-xdist), each test module in one worker so that its
# module-scoped trained runs are made once; PYTEST_WORKERS=0 runs them in this process.
PYTEST_WORKERS ?= 2
PYTEST := $(BIN)/python -m pytest -q -n $(PYTEST_WORKERS) --dist loadscope

test: $(BIN)/rnnzoo
	$(BIN)/lint-imports --no-cache
	$(PYTEST)

# The opt-in tests (`-m slow`): every named model exported, converter-heavy exports, long resumes and builds.
test-slow: $(BIN)/rnnzoo
	$(PYTEST) -m slow

# The builder tests again under KERAS_BACKEND=torch, in a venv without TensorFlow: every named model
# must build, train and predict there, and rnnzoo's right-padded LSTM/GRU path must match Keras' masked loop.
TORCH_VENV ?= .venv-torch
TORCH_SPEC ?= torch==2.13.0
BACKEND_TESTS := tests/test_backends.py tests/test_padded_fast_path.py tests/test_golden.py tests/test_masking.py \
	tests/test_zoo_models.py tests/test_config.py

$(TORCH_VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(TORCH_VENV)
	$(TORCH_VENV)/bin/python -m pip install -q --upgrade pip
	$(TORCH_VENV)/bin/python -m pip install -q "$(TORCH_SPEC)" "keras>=3.3" numpy "pytest>=7" "hypothesis>=6"
	$(TORCH_VENV)/bin/python -m pip install -q --no-deps -e .
	touch $@

test-torch: $(TORCH_VENV)/.installed
	KERAS_BACKEND=torch $(TORCH_VENV)/bin/python -m pytest -q $(BACKEND_TESTS)

# The docs site, with broken links and references as errors; README.md is its home page.
DOCS_VENV ?= .venv-docs
$(DOCS_VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(DOCS_VENV)
	$(DOCS_VENV)/bin/python -m pip install -q --upgrade pip
	$(DOCS_VENV)/bin/python -m pip install -q -r docs/requirements.txt
	touch $@

docs: $(DOCS_VENV)/.installed
	sed 's#](docs/#](#g' README.md > docs/index.md
	NO_MKDOCS_2_WARNING=1 $(DOCS_VENV)/bin/mkdocs build --strict --quiet

clean:
	rm -rf $(VENV) $(TORCH_VENV) $(DOCS_VENV) build dist site docs/index.md *.egg-info
