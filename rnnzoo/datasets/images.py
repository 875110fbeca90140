"""Image files and arrays into the fixed shape a captioning model takes: (size, size, channels) uint8.

JPEG, PNG, GIF and BMP files are decoded by TensorFlow. Other sizes are
resized (area-preserving antialiasing, aspect ratio not kept); grey images
become RGB, RGBA loses its alpha, RGB becomes grey for a 1-channel model. A
file that is not a decodable image is a `DataError` that names it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rnnzoo.errors import DataError


def fit_image(array, size: int, channels: int, *, name: str) -> np.ndarray:
    """An (height, width[, channels]) image array as (size, size, channels) uint8; `name` goes into errors."""
    import tensorflow as tf

    image = np.asarray(array)
    if image.ndim == 2:
        image = image[:, :, None]
    if image.ndim != 3 or image.shape[-1] not in (1, 3, 4) or min(image.shape[:2]) < 1:
        raise DataError(f"{name}: an image must be (height, width) or (height, width, 1|3|4 channels). "
                        f"Received: shape={image.shape}")
    if not np.issubdtype(image.dtype, np.number):
        raise DataError(f"{name}: image values must be numbers (0-255). Received: dtype={image.dtype}")
    image = image.astype("float32")
    if image.shape[-1] == 4:
        image = image[:, :, :3]  # alpha carries no colour
    if image.shape[-1] != channels:
        image = np.repeat(image, 3, axis=-1) if channels == 3 else image @ np.array([[0.299], [0.587], [0.114]],
                                                                                   dtype="float32")
    if image.shape[:2] != (size, size):
        image = tf.image.resize(image, (size, size), antialias=True).numpy()
    return np.clip(np.rint(image), 0, 255).astype("uint8")


def read_image(path, size: int, channels: int) -> np.ndarray:
    """A decoded, resized image file; a missing file or one that is not an image is a `DataError` naming it."""
    import tensorflow as tf

    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"Image file not found: {path}") from None
    except IsADirectoryError:
        raise DataError(f"Image path is a folder, not a file: {path}") from None
    try:
        image = tf.io.decode_image(data, expand_animations=False).numpy()
    except (tf.errors.InvalidArgumentError, tf.errors.UnknownError, ValueError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise DataError(f"{path}: not a readable image (JPEG, PNG, GIF or BMP expected): {first}") from None
    return fit_image(image, size, channels, name=str(path))
