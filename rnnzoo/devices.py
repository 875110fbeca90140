"""Which devices the Keras backend sees (GPU or not), without loading a backend at import."""

from __future__ import annotations


def visible_devices(backend: str) -> list[str]:
    """`KIND:index (description)` for each device the backend can place work on."""
    if backend == "tensorflow":
        import tensorflow as tf

        return [f"{d.device_type}:{d.name.rsplit(':', 1)[-1]}" for d in tf.config.list_physical_devices()]
    if backend == "jax":
        import jax

        return [f"{'GPU' if d.platform in ('gpu', 'cuda', 'rocm') else d.platform.upper()}:{d.id} ({d.device_kind})"
                for d in jax.devices()]
    if backend == "torch":
        import torch

        gpus = [f"GPU:{i} ({torch.cuda.get_device_name(i)}, cuDNN {torch.backends.cudnn.version()})"
                for i in range(torch.cuda.device_count())]
        return ["CPU:0", *gpus]
    return ["CPU:0"]


def gpu_available() -> bool:
    """Whether the Keras backend sees at least one GPU."""
    import keras

    return any(device.startswith("GPU") for device in visible_devices(keras.backend.backend()))
