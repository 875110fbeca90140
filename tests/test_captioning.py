"""Captioning: the scene generator, the Flickr-layout loader, conditioning, decoding, a run end to end, bad input."""

import json

import numpy as np
import pytest

import rnnzoo
from helpers import TINY, TINY_BY_IO, random_batch
from rnnzoo import DataError
from rnnzoo.cli import main
from rnnzoo.datasets.flickr import load_flickr
from rnnzoo.datasets.images import fit_image, read_image
from rnnzoo.datasets.scenes import COLOURS, caption, load_scenes, possible_captions, render
from rnnzoo.builders.one_to_many import one_to_many_inference_models
from rnnzoo.inference.decoding import CaptionDecoder, beam_search, greedy_search

# -- synthetic scenes -------------------------------------------------------------------------------


def test_scenes_are_reproducible_and_splits_share_no_caption():
    splits = {s: load_scenes(s, num_examples=300, seed=5, image_size=16) for s in ("train", "validation", "test")}
    again = load_scenes("test", num_examples=300, seed=5, image_size=16)
    np.testing.assert_array_equal(splits["test"][0], again[0])
    assert splits["test"][1] == again[1]
    captions = {s: {c for [c] in split[1]} for s, split in splits.items()}
    assert sum(len(c) for c in captions.values()) == 300
    assert not (captions["train"] & captions["test"] or captions["train"] & captions["validation"]
                or captions["validation"] & captions["test"])
    images = splits["train"][0]
    assert images.shape == (240, 16, 16, 3) and images.dtype == np.uint8
    other = load_scenes("test", num_examples=300, seed=6, image_size=16)
    assert other[1] != splits["test"][1]


def test_every_split_has_the_same_mix_of_object_counts():
    mix = {}
    for split in ("train", "test"):
        _, captions, _ = load_scenes(split, num_examples=3000, seed=2, image_size=8, test_fraction=0.3)
        counts = np.bincount([c.split().count("a") for [c] in captions], minlength=4)
        mix[split] = counts[1:] / counts.sum()
    np.testing.assert_allclose(mix["train"], mix["test"], atol=0.05)


def test_scene_captions_follow_the_grammar():
    _, captions, _ = load_scenes("train", num_examples=500, seed=1)
    words = {"a", "small", "large", "left", "of", "above", *COLOURS, "circle", "square", "triangle"}
    for [text] in captions:
        tokens = text.split()
        assert set(tokens) <= words and 4 <= len(tokens) <= 16 and tokens[0] == "a"
    assert caption([("small", "red", "circle"), ("large", "blue", "square")], "row") == \
        "a small red circle left of a large blue square"
    assert caption([("small", "red", "circle"), ("large", "blue", "square")], "column") == \
        "a small red circle above a large blue square"


@pytest.mark.parametrize("layout, axis", [("row", 1), ("column", 0)])
def test_rendered_objects_are_where_the_caption_says(layout, axis):
    objects = [("large", "red", "circle"), ("small", "blue", "square"), ("large", "green", "triangle")]
    image = render(objects, layout, 32, np.random.default_rng(0)).astype(int)
    centres = []
    for colour in ("red", "blue", "green"):
        close = np.abs(image - np.array(COLOURS[colour])).sum(-1) < 60
        assert close.sum() > 4, f"no {colour} object drawn"
        centres.append(np.argwhere(close)[:, axis].mean())
    assert centres == sorted(centres)  # reading order: left to right, or top to bottom


def test_asking_for_too_many_distinct_scenes_is_a_clear_error():
    with pytest.raises(DataError, match="`data.num_examples` must be at most half"):
        load_scenes("train", num_examples=possible_captions())


# -- images and the Flickr layout ----------------------------------------------------------------------


def test_images_of_other_sizes_and_channels_are_resized_and_converted():
    grey = np.full((20, 10), 200, dtype=np.uint8)
    rgba = np.zeros((8, 8, 4), dtype=np.uint8)
    rgba[..., 0], rgba[..., 3] = 255, 10
    assert fit_image(grey, 16, 3, name="g").shape == (16, 16, 3)
    np.testing.assert_array_equal(fit_image(grey, 16, 3, name="g"), 200)
    np.testing.assert_array_equal(fit_image(rgba, 4, 3, name="r")[..., 0], 255)
    assert fit_image(np.zeros((5, 5, 3)), 6, 1, name="x").shape == (6, 6, 1)
    with pytest.raises(DataError, match="inputs\\[2\\]: an image must be .* Received: shape=\\(4, 4, 2\\)"):
        fit_image(np.zeros((4, 4, 2)), 8, 3, name="inputs[2]")


def save_png(path, array):
    import tensorflow as tf

    path.write_bytes(tf.io.encode_png(np.asarray(array, dtype=np.uint8)).numpy())


COLOUR_IMAGES = {"red.png": (255, 0, 0), "green.png": (0, 255, 0), "blue.png": (0, 0, 255),
                 "white.png": (255, 255, 255), "black.png": (0, 0, 0)}


@pytest.fixture
def flickr_folder(tmp_path):
    """Five one-colour images of different sizes (one grey, one RGBA) with two captions each."""
    (tmp_path / "Images").mkdir()
    for index, (name, rgb) in enumerate(COLOUR_IMAGES.items()):
        size = (12 + 5 * index, 20)
        if name == "white.png":
            save_png(tmp_path / "Images" / name, np.full((*size, 1), 255))
        elif name == "black.png":
            save_png(tmp_path / "Images" / name, np.zeros((*size, 4)))
        else:
            save_png(tmp_path / "Images" / name, np.broadcast_to(np.array(rgb), (*size, 3)))
    lines = ["image,caption"] + [f"{name},a {name[:-4]} picture" for name in COLOUR_IMAGES] + \
            [f'{name},"{name[:-4]}, nothing else"' for name in COLOUR_IMAGES]
    (tmp_path / "captions.txt").write_text("\n".join(lines) + "\n")
    return tmp_path


def test_flickr_layout_loads_resized_images_with_their_captions(flickr_folder):
    seen = {}
    for split in ("train", "validation", "test"):
        images, captions, origin = load_flickr(split, data_dir=flickr_folder, image_size=8, seed=3,
                                               validation_fraction=0.2, test_fraction=0.2)
        assert images.shape[1:] == (8, 8, 3) and len(images) == len(captions) and origin == str(flickr_folder)
        for image, refs in zip(images, captions):
            colour = refs[0].split()[1]
            assert refs == [f"a {colour} picture", f"{colour}, nothing else"]
            np.testing.assert_array_equal(image[4, 4], COLOUR_IMAGES[f"{colour}.png"])
            seen[colour] = split
    assert set(seen) == {n[:-4] for n in COLOUR_IMAGES}  # every image in exactly one split


def test_flickr8k_token_file_is_read_too(flickr_folder):
    (flickr_folder / "captions.txt").unlink()
    (flickr_folder / "Flickr8k.token.txt").write_text(
        "".join(f"{name}#{k}\tcaption {k} of {name[:-4]}\n" for name in COLOUR_IMAGES for k in range(2)))
    images, captions, _ = load_flickr("train", data_dir=flickr_folder, image_size=8, seed=3)
    assert len(images) == 5 and all(len(refs) == 2 and refs[0].startswith("caption 0 of") for refs in captions)


@pytest.mark.parametrize("change, message", [
    (lambda d: (d / "captions.txt").write_text(""), "line 1 must be the CSV header 'image,caption'"),
    (lambda d: (d / "captions.txt").write_text("image,caption\n"), "no captions \\(the file is empty\\)"),
    (lambda d: (d / "captions.txt").write_text("image,caption\nred.png,a red picture\nblue.png\n"),
     "captions.txt, line 3: expected 'image,caption'"),
    (lambda d: (d / "Images" / "blue.png").write_text("not an image"),
     "blue.png: not a readable image \\(JPEG, PNG, GIF or BMP expected\\)"),
    (lambda d: (d / "Images" / "green.png").unlink(), "Image file not found: .*green.png"),
])
def test_bad_flickr_data_is_a_one_line_error_naming_the_file(flickr_folder, change, message):
    change(flickr_folder)
    with pytest.raises(DataError, match=message) as raised:
        load_flickr("train", data_dir=flickr_folder, image_size=8, seed=3)
    assert len(str(raised.value).splitlines()) == 1


def test_malformed_token_line_names_its_line_number(tmp_path):
    (tmp_path / "Flickr8k.token.txt").write_text("a.jpg#0\tfine\nb.jpg#0 no tab here\n")
    with pytest.raises(DataError, match="Flickr8k.token.txt, line 2: expected 'name.jpg#N<TAB>caption'"):
        load_flickr("train", data_dir=tmp_path)


def test_flickr_folder_without_captions_says_what_was_tried(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="No captions file found; tried: .*captions.txt"):
        load_flickr("train", data_dir=tmp_path / "empty")


# -- the model: conditioning and decoding --------------------------------------------------------------


def caption_model(**overrides):
    overrides = {**TINY, **TINY_BY_IO["one_to_many"], "condition_input": "features", **overrides}
    return rnnzoo.load_config("caption_lstm", overrides), rnnzoo.build("caption_lstm", compile=False, **overrides)


def caption_decoder(model, cfg) -> CaptionDecoder:
    """The decoder over the builder's encoder and step models, as the captioning task makes it."""
    models = one_to_many_inference_models(model, cfg)
    return CaptionDecoder(models.encoder, models.step)


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_every_step_conditioning_feeds_v_at_every_step(cell):
    cfg, model = caption_model(cell=cell, conditioning="every_step")
    x, _ = random_batch(cfg, batch=2, length=6)
    x["tokens"] = np.where(x["tokens"] > 0, x["tokens"], 4)
    changed = dict(x, condition=x["condition"] + 1.0)
    difference = np.abs(np.asarray(model(x)) - np.asarray(model(changed))).max(axis=-1)
    assert np.all(difference > 1e-6), "some step's output ignores v"
    # With W_hh = 0 a step can only see v through its own input: every_step still changes every step,
    # init_state (v only in the initial state) changes none of a vanilla RNN's steps.
    for conditioning, expect_change in (("every_step", True), ("init_state", False)):
        cfg, model = caption_model(cell="rnn", conditioning=conditioning)
        kernel = model.get_layer("decoder_rnn_1").cell.recurrent_kernel
        kernel.assign(np.zeros(kernel.shape))
        difference = np.abs(np.asarray(model(x)) - np.asarray(model(dict(x, condition=x["condition"] + 1.0))))
        assert np.all(difference.max(axis=-1) > 1e-6) if expect_change else np.allclose(difference, 0.0)


@pytest.mark.parametrize("overrides", [
    dict(conditioning="every_step", condition_input="image", cell="lstm"),
    dict(conditioning="init_state", condition_input="features", cell="gru", num_layers=2),
    dict(conditioning="both", condition_input="image", cell="rnn"),
], ids=["every_step-image-lstm", "init_state-features-gru2", "both-image-rnn"])
def test_caption_step_model_equals_teacher_forcing(overrides):
    cfg, model = caption_model(**overrides)
    x, _ = random_batch(cfg, batch=3, length=5)
    x["tokens"] = np.where(x["tokens"] > 0, x["tokens"], 4)
    stepped = caption_decoder(model, cfg).teacher_forced_probabilities(x["condition"], x["tokens"])
    np.testing.assert_allclose(stepped, np.asarray(model(x, training=False)), atol=1e-5)


def test_caption_beam_width_one_equals_greedy():
    cfg, model = caption_model(conditioning="both")
    decoder = caption_decoder(model, cfg)
    conditions = random_batch(cfg, batch=4)[0]["condition"]
    options = dict(start_id=2, end_id=3, max_length=6, banned=(0, 2))
    greedy = greedy_search(decoder.step, decoder.encode(conditions), **options)
    beam = beam_search(decoder.step, decoder.encode(conditions), beam_width=1, **options)
    assert [g["tokens"] for g in greedy] == [b["tokens"] for b in beam]


# -- a run end to end ------------------------------------------------------------------------------------

RUN = dict(units=8, embedding_dim=4, condition_dim=8, image_size=16, num_examples=60, batch_size=32)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return rnnzoo.train("caption_lstm", out_dir=tmp_path_factory.mktemp("caption") / "run", epochs=1, verbose=0, **RUN)


def test_caption_run_has_vocabulary_and_caption_metrics(run):
    state = json.loads((run.dir / "preprocessing.json").read_text())
    assert state["kind"] == "captioning" and state["vocabulary"][:4] == ["", "[UNK]", "<start>", "<end>"]
    assert {"red", "circle", "left", "above"} <= set(state["vocabulary"])
    assert run.config.model.target_vocab_size == len(state["vocabulary"])
    assert 0.0 <= run.metrics["test_exact_accuracy"] <= 1.0 and 0.0 <= run.metrics["test_bleu"] <= 100.0
    assert run.metrics["test_images"] == 6


def test_decode_takes_image_files_and_arrays(run, tmp_path):
    images, _, _ = load_scenes("test", num_examples=60, image_size=32)
    save_png(tmp_path / "scene.png", images[0])  # 32x32: resized to the model's 16x16
    from_file = run.decode([str(tmp_path / "scene.png")], beam_width=3)
    from_array = run.decode(read_image(tmp_path / "scene.png", 16, 3)[None], beam_width=3)
    assert from_file[0]["output"] == from_array[0]["output"] and np.isfinite(from_file[0]["score"])
    assert from_file[0]["output"] == " ".join(from_file[0]["tokens"])


def test_cli_decode_captions_an_image_file(run, tmp_path, capsys):
    save_png(tmp_path / "scene.png", load_scenes("test", num_examples=60, image_size=16)[0][1])
    assert main(["decode", str(run.dir), "--beam-width", "3", str(tmp_path / "scene.png")]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 1 and out[0] == run.decode([str(tmp_path / "scene.png")], beam_width=3)[0]["output"]


@pytest.mark.parametrize("write, message", [
    (lambda p: p.write_text("hello"), "not a readable image (JPEG, PNG, GIF or BMP expected)"),
    (None, "Image file not found"),
])
def test_cli_decode_of_a_bad_image_file_exits_2_with_one_line(run, tmp_path, capsys, write, message):
    path = tmp_path / "scene.png"
    if write:
        write(path)
    assert main(["decode", str(run.dir), str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and str(path) in err and len(err.splitlines()) == 1
