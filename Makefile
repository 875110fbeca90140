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

demo: $(BIN)/rnnzoo
	$(BIN)/rnnzoo list
	$(BIN)/rnnzoo info sentiment_bilstm

test: $(BIN)/rnnzoo
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) build dist *.egg-info
