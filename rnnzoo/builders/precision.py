"""Mixed precision: which Keras dtype policy `train.mixed_precision` means on this machine.

On a GPU the policy is `mixed_float16` (tensor cores; Keras wraps the
optimizer in a LossScaleOptimizer at compile time, so small float16
gradients do not underflow). On a CPU, where float16 arithmetic is emulated
and slow, it is `mixed_bfloat16`, which needs no loss scaling. Variables stay
float32 under both, and every builder's head is a float32 layer, so the
outputs and the loss are float32.
"""

from __future__ import annotations

import contextlib
import logging

logger = logging.getLogger("rnnzoo")


def mixed_policy_name() -> str:
    """`mixed_float16` where the backend sees a GPU, else `mixed_bfloat16`."""
    from rnnzoo.devices import gpu_available

    return "mixed_float16" if gpu_available() else "mixed_bfloat16"


@contextlib.contextmanager
def precision_scope(mixed: bool):
    """Layers and models created inside use the mixed policy when `mixed`; the previous policy comes back after."""
    if not mixed:
        yield None
        return
    import keras

    previous = keras.config.dtype_policy()
    name = mixed_policy_name()
    if name == "mixed_bfloat16" and previous.name != name:
        logger.info("rnnzoo: no GPU visible, so mixed precision uses bfloat16 (on CPU it saves memory, not time)")
    keras.config.set_dtype_policy(name)
    try:
        yield name
    finally:
        keras.config.set_dtype_policy(previous)
