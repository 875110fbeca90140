"""Synthetic captioned scenes, generated from a seed: small RGB images of one to three shapes.

Each scene has one to three objects, each a `size` (small, large), a colour
and a shape (circle, square, triangle), laid out in a row or a column. The
caption names them in reading order with a fixed grammar:

    "a large red circle"
    "a small blue square left of a large green triangle"
    "a small white circle above a small red square above a large yellow triangle"

Objects sit in separate slots along the layout's axis (so "left of" and
"above" always hold and shapes never overlap), jittered within their slot and
freely across it; colours are jittered and the dark background is noisy, so
no two images are alike.

Splits never share a caption: `num_examples` distinct captions are drawn,
shuffled by the seed and cut into test, validation and train, so a test
caption is a combination the model never saw, and every split has the same
mix of one-, two- and three-object scenes.
There are only 30 one-object and 1,800 two-object captions, so most scenes
of a large set have three objects.
"""

from __future__ import annotations

import functools

import numpy as np

from rnnzoo.datasets.base import check_split, split_ranges
from rnnzoo.errors import DataError

SIZES = {"small": 0.08, "large": 0.15}  # half the object's extent, as a share of the image side
COLOURS = {"red": (220, 40, 40), "green": (40, 190, 60), "blue": (50, 90, 235), "yellow": (235, 215, 40),
           "white": (235, 235, 235)}
SHAPES = ("circle", "square", "triangle")
RELATIONS = {"row": "left of", "column": "above"}
MAX_OBJECTS = 3


def possible_captions() -> int:
    """Distinct captions the grammar can produce (one layout for single objects, two otherwise)."""
    per_object = len(SIZES) * len(COLOURS) * len(SHAPES)
    return sum(per_object ** n * (1 if n == 1 else len(RELATIONS)) for n in range(1, MAX_OBJECTS + 1))


def caption(objects: list[tuple[str, str, str]], layout: str) -> str:
    """The caption of objects (size, colour, shape) in reading order."""
    phrases = [f"a {size} {colour} {shape}" for size, colour, shape in objects]
    return f" {RELATIONS[layout]} ".join(phrases)


def _draw_layout(rng: np.random.Generator) -> tuple[list[tuple[str, str, str]], str]:
    count = int(rng.integers(1, MAX_OBJECTS + 1))
    objects = [(str(rng.choice(list(SIZES))), str(rng.choice(list(COLOURS))), str(rng.choice(SHAPES)))
               for _ in range(count)]
    return objects, "row" if count == 1 else str(rng.choice(list(RELATIONS)))


def _mask(shape: str, grid_x: np.ndarray, grid_y: np.ndarray, cx: float, cy: float, half: float) -> np.ndarray:
    dx, dy = grid_x - cx, grid_y - cy
    if shape == "circle":
        return dx ** 2 + dy ** 2 <= half ** 2
    if shape == "square":
        side = half * 0.85  # a square as large as the circle looks larger: keep their areas close
        return (np.abs(dx) <= side) & (np.abs(dy) <= side)
    # An upward triangle: its width grows from the apex (top) to the base.
    rows = (dy + half) / (2 * half)
    return (rows >= 0) & (rows <= 1) & (np.abs(dx) <= half * rows)


def render(objects: list[tuple[str, str, str]], layout: str, image_size: int, rng: np.random.Generator) -> np.ndarray:
    """An (image_size, image_size, 3) uint8 image of the objects, in separate slots along the layout's axis."""
    side = float(image_size)
    image = rng.normal(20.0, 8.0, size=(image_size, image_size, 3))
    grid_y, grid_x = np.mgrid[0:image_size, 0:image_size] + 0.5
    slot = side / len(objects)
    for index, (size, colour, shape) in enumerate(objects):
        half = SIZES[size] * side
        slack = max(slot / 2 - half - 0.5, 0.0)
        along = (index + 0.5) * slot + rng.uniform(-slack, slack)
        across = rng.uniform(half + 0.5, side - half - 0.5)
        cx, cy = (along, across) if layout == "row" else (across, along)
        rgb = np.clip(np.asarray(COLOURS[colour]) + rng.normal(0.0, 12.0, size=3), 0, 255)
        image[_mask(shape, grid_x, grid_y, cx, cy, half)] = rgb
    return np.clip(np.rint(image), 0, 255).astype("uint8")


@functools.lru_cache(maxsize=4)
def generate(num_examples: int, seed: int, image_size: int = 32) -> tuple[np.ndarray, tuple[str, ...]]:
    """`num_examples` scenes with distinct captions, in a seeded order: images (n, size, size, 3) and captions."""
    limit = possible_captions() // 2
    if num_examples > limit:
        raise DataError(f"`data.num_examples` must be at most half of the {possible_captions():,} distinct scene "
                        f"captions ({limit:,}), so drawing stays fast. Received: num_examples={num_examples}")
    rng = np.random.default_rng(seed)
    layouts: dict[str, tuple] = {}
    while len(layouts) < num_examples:
        objects, layout = _draw_layout(rng)
        layouts.setdefault(caption(objects, layout), (objects, layout))
    # The few one- and two-object captions run out early in the drawing order, so the order is shuffled
    # before the splits are cut: otherwise the first cut (test) would hold nearly all of them.
    captions = [list(layouts)[i] for i in rng.permutation(len(layouts))]
    images = np.stack([render(*layouts[text], image_size, np.random.default_rng([seed, index]))
                       for index, text in enumerate(captions)])
    images.setflags(write=False)  # cached: callers must not change it
    return images, tuple(captions)


def load_scenes(split: str, *, num_examples: int = 20_000, seed: int = 1337, image_size: int = 32,
                validation_fraction: float = 0.1, test_fraction: float = 0.1):
    """Images (n, size, size, 3) uint8, captions (one list of references per image) and origin of one split."""
    check_split(split)
    images, captions = generate(num_examples, seed, image_size)
    start, stop = split_ranges(len(captions), validation_fraction, test_fraction)[split]
    return images[start:stop], [[c] for c in captions[start:stop]], f"generated scenes (seed {seed})"
