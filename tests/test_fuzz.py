"""Property-based fuzzing (hypothesis): any input ends in a result or a clear rnnzoo error.

Each test states its budget (`max_examples`) so the default suite stays fast;
`FUZZ_EXAMPLES=10` multiplies every budget by 10 for a longer hunt. A hypothesis
run prints how many cases it tried with `pytest --hypothesis-show-statistics`.
"""

import gzip
import io
import math
import os
import tarfile

import numpy as np
import pytest
import tensorflow as tf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rnnzoo
from rnnzoo import datasets
from rnnzoo.config.overrides import parse_set_values
from rnnzoo.cli.commands import read_inputs
from rnnzoo.config import FIELD_SECTION
from rnnzoo.errors import ConfigError, DataError, RnnzooError

SCALE = int(os.environ.get("FUZZ_EXAMPLES", "1"))


def budget(n: int):
    return settings(max_examples=n * SCALE, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                                  HealthCheck.too_slow])


# Text with everything: control characters, emoji, any script, and lone surrogates (which
# hypothesis' characters() never draws, and which TensorFlow cannot encode).
any_text = st.lists(st.characters(codec=None, exclude_categories=()) | st.integers(0xD800, 0xDFFF).map(chr),
                    max_size=300).map("".join)
values = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True),
                   any_text, st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(), max_size=2))
keys = st.one_of(st.sampled_from(sorted(FIELD_SECTION) + ["description", "task", "model.units", "train.seed"]),
                 st.text(max_size=20))


# ---- configs -------------------------------------------------------------------------------------------

@budget(300)
@given(overrides=st.dictionaries(keys, values, max_size=4))
def test_config_overrides_give_a_valid_config_or_a_config_error(overrides):
    try:
        cfg = rnnzoo.load_config("sentiment_gru", overrides)
    except ConfigError as err:
        assert "\n" not in str(err)
        return
    for section in (cfg.model, cfg.data, cfg.train):
        for value in vars(section).values():
            assert not isinstance(value, float) or math.isfinite(value), cfg


FLOAT_FIELDS = sorted(name for name, section in FIELD_SECTION.items()
                      if isinstance(getattr(getattr(rnnzoo.load_config("sentiment_gru"), section), name), float))


@budget(100)
@given(name=st.sampled_from(FLOAT_FIELDS), value=st.floats(allow_nan=True, allow_infinity=True) | st.integers())
def test_float_fields_take_finite_numbers_in_range_only(name, value):
    try:
        cfg = rnnzoo.load_config("sentiment_gru", {name: value})
    except ConfigError as err:
        assert "\n" not in str(err)
        return
    assert math.isfinite(getattr(getattr(cfg, FIELD_SECTION[name]), name))


@budget(200)
@given(pairs=st.lists(any_text, max_size=4))
def test_set_values_parse_or_fail_in_one_line(pairs):
    try:
        parsed = parse_set_values(pairs)
    except RnnzooError as err:
        assert "\n" not in str(err)
        return
    try:
        rnnzoo.load_config("sentiment_gru", parsed)
    except ConfigError as err:
        assert "\n" not in str(err)


@budget(100)
@given(raw=st.binary(max_size=300) | any_text.map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_any_config_file_parses_or_fails_with_a_config_error(tmp_path, raw):
    path = tmp_path / "fuzz.toml"
    path.write_bytes(raw)
    try:
        rnnzoo.load_config(str(path))
    except ConfigError as err:
        assert "\n" not in str(err).strip()


# ---- text inputs to a trained model ---------------------------------------------------------------------

@budget(25)
@given(texts=st.lists(any_text, min_size=1, max_size=5))
def test_predict_gives_a_probability_for_any_text(tiny_sentiment_run, texts):
    results = tiny_sentiment_run.predict(texts)
    assert len(results) == len(texts)
    for result in results:
        assert 0.0 <= result["probability"] <= 1.0 and math.isfinite(result["probability"])


def test_predict_a_one_megabyte_text(tiny_sentiment_run):
    text = ("an utterly wonderful film \x00 \u202e 😀 " * 30_000)[:1_000_000]
    (result,) = tiny_sentiment_run.predict([text])
    assert 0.0 <= result["probability"] <= 1.0


@budget(30)
@given(raw=st.binary(max_size=400))
def test_predict_input_files_of_any_bytes(tiny_sentiment_run, tmp_path, raw):
    path = tmp_path / "inputs.txt"
    path.write_bytes(raw)
    try:
        texts = read_inputs([], str(path))
    except DataError as err:
        assert "empty" in str(err)
        return
    assert all(0.0 <= r["probability"] <= 1.0 for r in tiny_sentiment_run.predict(texts))


# ---- token ids and features into built models -----------------------------------------------------------

VOCAB = 40


@pytest.fixture(scope="module")
def token_models():
    return {pooling: rnnzoo.build("sentiment_gru", vocab_size=VOCAB, units=4, embedding_dim=4, pooling=pooling)
            for pooling in ("last", "max_mean")}


@budget(40)
@given(ids=st.integers(1, 4).flatmap(lambda batch: st.integers(1, 12).flatmap(
    lambda length: st.lists(st.lists(st.one_of(st.integers(0, VOCAB - 1), st.integers(-2**31, 2**31 - 1), st.just(0)),
                                     min_size=length, max_size=length), min_size=batch, max_size=batch))))
def test_token_ids_give_finite_outputs_or_an_index_error(token_models, ids):
    """Documented: ids in [-vocab, vocab) give finite probabilities (all-padding rows too; a negative id counts
    from the end of the table, as Keras' `take` indexes like numpy); any other id raises, never silently."""
    ids = np.asarray(ids, dtype="int32")
    in_table = bool(((ids >= -VOCAB) & (ids < VOCAB)).all())
    for model in token_models.values():
        if in_table:
            outputs = np.asarray(model(ids))
            assert outputs.shape == (len(ids), 1) and np.isfinite(outputs).all() and ((0 <= outputs) & (outputs <= 1)).all()
        else:
            with pytest.raises(tf.errors.InvalidArgumentError, match="not in \\[0, 40\\)"):
                model(ids)


def test_a_negative_token_id_reads_the_table_from_its_end(token_models):
    model = token_models["last"]
    np.testing.assert_allclose(np.asarray(model(np.array([[-1]], "int32"))),
                               np.asarray(model(np.array([[VOCAB - 1]], "int32"))))


@pytest.fixture(scope="module")
def feature_model():
    return rnnzoo.build("sentiment_gru", input_type="features", num_features=3, units=4)


@budget(40)
@given(rows=st.lists(st.lists(st.floats(allow_nan=True, allow_infinity=True, width=32), min_size=6, max_size=6),
                     min_size=1, max_size=4))
def test_non_finite_features_stay_in_their_own_row(feature_model, rows):
    """Documented: NaN/inf features give NaN for that example only; finite rows are unaffected."""
    x = np.asarray(rows, dtype="float32").reshape(len(rows), 2, 3)
    outputs = np.asarray(feature_model(x))
    for row, output in zip(x, outputs):
        alone = np.asarray(feature_model(row[None]))[0]
        if np.isfinite(row).all():
            assert np.isfinite(output).all()
        np.testing.assert_allclose(output, alone, rtol=1e-5, atol=1e-6, equal_nan=True)


# ---- data files -----------------------------------------------------------------------------------------

def gzip_of(data: bytes, keep: float) -> bytes:
    packed = gzip.compress(data)
    return packed[: max(1, int(len(packed) * keep))]


def tar_of(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def loaded_or_data_error(load):
    """The loader's result, or None when it raised a one-line DataError (anything else fails the test)."""
    try:
        return load()
    except DataError as err:
        assert "\n" not in str(err)
        return None


archives = st.one_of(
    st.binary(max_size=500),
    st.tuples(st.binary(max_size=2000), st.floats(0.0, 0.99)).map(lambda t: gzip_of(*t)),
    st.tuples(st.dictionaries(st.sampled_from(["aclImdb/train/pos/1_9.txt", "aclImdb/test/neg/2_1.txt",
                                               "aclImdb/train/neg/3_2.txt", "aclImdb/README"]),
                              st.binary(max_size=100), max_size=4),
              st.floats(0.3, 1.0)).map(lambda t: tar_of(t[0])[: max(1, int(len(tar_of(t[0])) * t[1]))]),
)


@budget(40)
@given(raw=archives)
def test_imdb_archives_of_any_bytes_load_or_raise_a_data_error(tmp_path_factory, raw):
    path = tmp_path_factory.mktemp("imdb") / "aclImdb_v1.tar.gz"
    path.write_bytes(raw)
    loaded = loaded_or_data_error(lambda: datasets.load_examples("imdb", "train", data_dir=path, download=False))
    if loaded is not None:
        texts, labels, _ = loaded
        assert len(texts) == len(labels) > 0


@budget(40)
@given(source=archives, target=st.binary(max_size=200))
def test_parallel_files_of_any_bytes_load_or_raise_a_data_error(tmp_path_factory, source, target):
    folder = tmp_path_factory.mktemp("parallel")
    (folder / "src.gz").write_bytes(source)
    (folder / "tgt.txt").write_bytes(target)
    loaded = loaded_or_data_error(lambda: datasets.load_examples(
        "parallel", "train", source_file=str(folder / "src.gz"), target_file=str(folder / "tgt.txt")))
    if loaded is not None:
        assert len(loaded[0]) == len(loaded[1])


@budget(40)
@given(raw=archives)
def test_text_corpora_of_any_bytes_load_or_raise_a_data_error(tmp_path_factory, raw):
    path = tmp_path_factory.mktemp("corpus") / "input.txt"
    path.write_bytes(raw)
    loaded = loaded_or_data_error(lambda: datasets.load_examples("tiny_shakespeare", "train", data_dir=path,
                                                                  download=False))
    if loaded is not None:
        assert all(isinstance(text, str) for text in loaded[0])
