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


@pytest.fixture(scope="session")
def tiny_sentiment_run(tmp_path_factory):
    """One tiny sentiment run folder (1 epoch on a tiny IMDB-layout set), shared by the robustness tests."""
    import rnnzoo
    from imdb_fixtures import write_acl_imdb

    root = tmp_path_factory.mktemp("tiny_sentiment")
    return rnnzoo.train("sentiment_bilstm", data_dir=write_acl_imdb(root), out_dir=root / "run", epochs=1, verbose=0,
                        units=4, embedding_dim=4, num_layers=1, batch_size=8, max_length=12, vocab_size=100)
