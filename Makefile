# Two entry points, each creating the virtual environment it needs.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test clean

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

test: $(BIN)/rnnzoo
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) build dist *.egg-info
