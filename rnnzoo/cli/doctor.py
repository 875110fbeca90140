"""`doctor()`: what this machine runs rnnzoo on, and whether a model's recurrent layers get fused kernels.

The fused (cuDNN) conditions follow Keras 3.15's own checks
(`keras/src/layers/rnn/{lstm,gru}.py` and `keras/src/backend/*/rnn.py`):

- only LSTM and GRU have a fused kernel; SimpleRNN always runs step by step;
- `activation="tanh"`, `recurrent_activation="sigmoid"`, `use_bias=True`,
  `unroll=False`, `recurrent_dropout=0`, `use_cudnn` "auto" or True, and for
  GRU `reset_after=True` (input `dropout` is applied before the kernel);
- masks: the TensorFlow backend takes a mask only if every row is
  right-padded (checked per batch at run time; rnnzoo pads on the right), the
  JAX and torch backends take no mask at all and fall back to the step loop;
  on torch, rnnzoo's own LSTM/GRU (`rnnzoo.layers.RightPaddedFastPath`) run a
  right-padded batch through the unmasked kernel instead (on JAX that was
  slower, so JAX keeps its masked loop);
- a GPU must be visible to the backend.

Importing this module loads no backend; `doctor()` loads Keras (and so the
backend named by KERAS_BACKEND), nothing else.
"""

from __future__ import annotations

import importlib
import platform
from pathlib import Path
from typing import Any

from rnnzoo.devices import visible_devices

MASK_FREE_FUSED_BACKENDS = ("jax", "torch")  # their fused LSTM/GRU raise NotImplementedError on a mask


def environment() -> dict[str, Any]:
    """Backend, versions and the devices the backend sees."""
    import keras

    from rnnzoo._version import __version__

    backend = keras.backend.backend()
    info: dict[str, Any] = {
        "rnnzoo": __version__, "python": platform.python_version(), "keras": keras.__version__,
        "backend": backend, "dtype_policy": keras.config.dtype_policy().name,
    }
    library = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}.get(backend)
    if library:
        info[library] = importlib.import_module(library).__version__
    info["devices"] = visible_devices(backend)
    info["gpu"] = any(device.startswith("GPU") for device in info["devices"])
    return info


def _activation_name(function) -> str:
    return getattr(function, "__name__", str(function))


def fused_blockers(layer, *, backend: str, masked: bool) -> list[str]:
    """Why `layer` (an LSTM, GRU or SimpleRNN) cannot use the fused kernel; empty if it can."""
    kind = type(layer).__name__
    if kind not in ("LSTM", "GRU"):
        return [f"{kind} has no fused kernel (only LSTM and GRU do)"]
    cell = layer.cell
    reasons = []
    if _activation_name(cell.activation) != "tanh":
        reasons.append(f"activation={_activation_name(cell.activation)!r} (needs 'tanh')")
    if _activation_name(cell.recurrent_activation) != "sigmoid":
        reasons.append(f"recurrent_activation={_activation_name(cell.recurrent_activation)!r} (needs 'sigmoid')")
    if cell.recurrent_dropout:
        reasons.append(f"recurrent_dropout={cell.recurrent_dropout} (needs 0)")
    if layer.unroll:
        reasons.append("unroll=True (needs False)")
    if not cell.use_bias:
        reasons.append("use_bias=False (needs True)")
    if kind == "GRU" and not cell.reset_after:
        reasons.append("reset_after=False (needs True)")
    if getattr(layer, "use_cudnn", "auto") is False:
        reasons.append("use_cudnn=False")
    if masked and backend in MASK_FREE_FUSED_BACKENDS:
        from rnnzoo.layers import RightPaddedFastPath

        if not isinstance(layer, RightPaddedFastPath) or backend != "torch":
            reasons.append(f"masked input: the {backend} backend's fused kernel takes no mask "
                           "(on torch, rnnzoo's LSTM/GRU layers take right-padded masks)")
        elif not layer.takes_fast_path():
            reasons.append("masked input: the torch backend's fused kernel takes no mask, and stateful layers "
                           "or returned states rule out rnnzoo's right-padded path")
    return reasons


def _is_masked(layer) -> bool:
    """Whether the layer's (first) symbolic input carries a Keras mask."""
    for node in getattr(layer, "_inbound_nodes", []):
        for tensor in node.input_tensors[:1]:
            if getattr(tensor, "_keras_mask", None) is not None:
                return True
    return False


def recurrent_layers(model) -> list[dict[str, Any]]:
    """One row per recurrent layer of `model` (a Bidirectional wrapper is one row, its forward layer checked)."""
    import keras

    backend = keras.backend.backend()
    rows = []
    for layer in model.layers:
        inner = layer.forward_layer if isinstance(layer, keras.layers.Bidirectional) else layer
        if not isinstance(inner, keras.layers.RNN):
            continue
        masked = _is_masked(layer)
        reasons = fused_blockers(inner, backend=backend, masked=masked)
        rows.append({
            "layer": layer.name,
            "type": ("Bidirectional " if inner is not layer else "") + type(inner).__name__,
            "masked": masked,
            "fused_eligible": not reasons,
            "why_not": reasons,
        })
    return rows


def doctor(name_or_config: str | Path | None = None, **overrides: Any) -> dict[str, Any]:
    """The environment and, for a model, each recurrent layer's fused-kernel eligibility.

    Args:
        name_or_config: a name from `list_models()`, a `.toml` path, a `Config`, or None for the
            environment only.
        **overrides: config fields, as for `rnnzoo.build`.

    Returns:
        `{"environment": {...}, "model": name, "layers": [{layer, type, masked, fused_eligible,
        why_not}], "fused_on_this_machine": bool}`; the last is eligible layers *and* a visible GPU.
    """
    report: dict[str, Any] = {"environment": environment()}
    if name_or_config is None:
        return report
    from rnnzoo.builders import build_model
    from rnnzoo.config import Config
    from rnnzoo.config.registry import load_config

    cfg = name_or_config if isinstance(name_or_config, Config) else load_config(name_or_config, overrides)
    if isinstance(name_or_config, Config) and overrides:
        cfg = cfg.replace(**overrides)
    layers = recurrent_layers(build_model(cfg, compile=False))
    report.update(
        model=cfg.name, layers=layers,
        fused_on_this_machine=bool(layers) and all(row["fused_eligible"] for row in layers)
        and report["environment"]["gpu"],
    )
    return report


def format_report(report: dict[str, Any]) -> str:
    """Plain text for `rnnzoo doctor`."""
    env = report["environment"]
    lines = [f"{key + ':':<14}{value}" for key, value in env.items() if key != "devices"]
    lines.append(f"{'devices:':<14}{', '.join(env['devices'])}")
    if "layers" not in report:
        return "\n".join(lines)
    lines += ["", f"model: {report['model']}"]
    rows = [("layer", "type", "masked", "fused kernel")]
    for row in report["layers"]:
        verdict = "eligible" if row["fused_eligible"] else "no: " + "; ".join(row["why_not"])
        rows.append((row["layer"], row["type"], "yes" if row["masked"] else "no", verdict))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines += ["  ".join([*(cell.ljust(w) for cell, w in zip(r[:3], widths)), r[3]]) for r in rows]
    if env["backend"] == "tensorflow" and any(row["masked"] for row in report["layers"]):
        lines.append("masks: TensorFlow's fused kernel takes them when right-padded, as rnnzoo pads.")
    if not env["gpu"]:
        lines.append("no GPU visible: every layer runs the backend's step loop on this machine.")
    return "\n".join(lines)
