"""Shared test settings: quiet TensorFlow, deterministic seeds, tiny models."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pytest  # noqa: E402


@pytest.fixture(autouse=True, scope="session")
def _isolated_cache(tmp_path_factory):
    """Archives extract into a per-session cache, never ~/.cache; nothing downloads."""
    os.environ["RNNZOO_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))
    os.environ["RNNZOO_OFFLINE"] = "1"
    os.environ.pop("RNNZOO_DATA_DIR", None)
    yield


@pytest.fixture(autouse=True)
def _seed():
    import keras

    keras.utils.set_random_seed(0)
    yield
