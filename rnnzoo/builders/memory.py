"""A config's memory need, estimated from its sizes before anything is built, and refused when no machine could hold it.

Keras allocates a layer's weights when it is built, so `units=1e9` or
`vocab_size=1e8` used to end deep inside TensorFlow with an out-of-memory
error (exit 1) after minutes. The estimate here is coarse on purpose (within
a small factor): it counts the parameters of the embeddings, the recurrent
stack and the head, with the optimizer's two moments and the gradient, and,
for training, the activations one batch keeps for backpropagation through
time. It refuses only what exceeds this machine's physical memory, so a
config that fits is never refused.
"""

from __future__ import annotations

import os

from rnnzoo.config import Config
from rnnzoo.errors import ConfigError

BYTES = 4           # float32
TRAINING_COPIES = 4  # weights, gradient and the optimizer's two moments (Adam)
GATES = {"rnn": 1, "lstm": 4, "gru": 3}


def physical_memory_bytes() -> int | None:
    """This machine's RAM, or None where the OS does not say."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # pragma: no cover - not on Linux or macOS
        return None


def parameter_count(cfg: Config) -> int:
    """About how many parameters the config's model has (exact for the recurrent stack and embeddings)."""
    m = cfg.model
    directions = 2 if m.bidirectional else 1
    width = m.embedding_dim if m.input_type == "tokens" else m.num_features
    count = m.vocab_size * m.embedding_dim if m.input_type == "tokens" else 0
    stacks = 2 if cfg.io == "seq2seq" else 1  # an encoder and a decoder
    for _ in range(stacks):
        layer_input = width
        for _ in range(m.num_layers):
            count += directions * GATES[m.cell] * m.units * (layer_input + m.units + 2)
            layer_input = directions * m.units
    outputs = m.target_vocab_size if cfg.io in ("one_to_many", "seq2seq") else m.num_classes
    if cfg.io in ("one_to_many", "seq2seq"):
        count += m.target_vocab_size * m.embedding_dim
    return count + (directions * m.units + 1) * outputs


def activation_bytes(cfg: Config) -> int:
    """About what one training batch keeps for backpropagation: every gate of every layer at every step."""
    m = cfg.model
    steps = max(cfg.data.max_length, cfg.data.seq_length if cfg.io == "aligned" else 0)
    directions = 2 if m.bidirectional else 1
    per_step = m.num_layers * directions * GATES[m.cell] * m.units + m.embedding_dim
    return cfg.train.batch_size * steps * per_step * BYTES


def check_memory(cfg: Config, *, training: bool = False, available: int | None = None) -> None:
    """Refuses, in one line, a config whose model (and, when `training`, one batch) needs more than this machine's RAM."""
    available = physical_memory_bytes() if available is None else available
    if available is None:
        return
    parameters = parameter_count(cfg)
    needed = parameters * BYTES * (TRAINING_COPIES if training else 1)
    if training:
        needed += activation_bytes(cfg)
    if needed > available:
        m, d, t = cfg.model, cfg.data, cfg.train
        raise ConfigError(
            f"{cfg.name}: the model needs about {needed / 2**30:,.1f} GiB ({parameters:,} parameters"
            f"{' and one batch of activations' if training else ''}) but this machine has "
            f"{available / 2**30:,.1f} GiB; reduce the sizes. Received: units={m.units}, num_layers={m.num_layers}, "
            f"vocab_size={m.vocab_size}, embedding_dim={m.embedding_dim}"
            + (f", batch_size={t.batch_size}, max_length={d.max_length}, seq_length={d.seq_length}" if training else ""))
