"""`--strategy`: training on several devices or hosts with tf.distribute (TensorFlow backend only).

- `default`: one device, no strategy.
- `mirrored`: `tf.distribute.MirroredStrategy` over every local GPU (with no
  GPU: every logical CPU device, which is how the tests run it).
- `multi-worker`: `tf.distribute.MultiWorkerMirroredStrategy`; each host runs
  the same `rnnzoo train` command with its own `TF_CONFIG`. Keras 3.15's
  `fit` fails across more than one worker (two defects in its TensorFlow
  trainer, tensorflow/tensorflow#72388); `fix_keras_multi_worker_fit` works
  around both for those releases (see there).

The batch size in the config is the global batch: Keras splits each batch
across the replicas and shards the input by data across workers, so every
example is seen once per epoch. Only the chief writes the run folder; every
worker restores from the chief's `checkpoints/`, so for resuming after an
interruption `--out` must be a folder all hosts share.
"""

from __future__ import annotations

import json
import os
from typing import Any

from rnnzoo.errors import ConfigError

STRATEGIES = ("default", "mirrored", "multi-worker")


def check_strategy_name(name: str) -> None:
    if name not in STRATEGIES:
        raise ConfigError(f"`strategy` must be one of {', '.join(repr(s) for s in STRATEGIES)}. Received: strategy={name!r}")


def read_tf_config() -> dict[str, Any]:
    """The `TF_CONFIG` of a multi-worker run, checked: a cluster with workers, and this task in it."""
    text = os.environ.get("TF_CONFIG", "")
    example = '{"cluster": {"worker": ["host1:12345", "host2:12345"]}, "task": {"type": "worker", "index": 0}}'
    if not text.strip():
        raise ConfigError(f"--strategy multi-worker needs the TF_CONFIG environment variable, e.g. TF_CONFIG='{example}'")
    try:
        config = json.loads(text)
        cluster, task = config["cluster"], config["task"]
        members = cluster[task["type"]]
        index = task["index"]
    except (json.JSONDecodeError, KeyError, TypeError) as err:
        raise ConfigError(f"TF_CONFIG must be JSON with cluster.worker and task.type/index ({err!s}); "
                          f"e.g. {example}. Received: TF_CONFIG={text!r}") from None
    if not isinstance(index, int) or not 0 <= index < len(members) or not cluster.get("worker"):
        raise ConfigError(f"TF_CONFIG's task.index must point into cluster[{task['type']!r}] and the cluster "
                          f"needs a 'worker' list. Received: TF_CONFIG={text!r}")
    return config


def is_chief() -> bool:
    """Whether this process writes the run folder: the `chief` task, or worker 0 when there is no chief."""
    text = os.environ.get("TF_CONFIG", "")
    if not text.strip():
        return True
    config = read_tf_config()
    task = config["task"]
    if task["type"] == "chief":
        return True
    return task["type"] == "worker" and task["index"] == 0 and "chief" not in config["cluster"]


def make_strategy(name: str):
    """The tf.distribute strategy for `name` (None for `default`)."""
    check_strategy_name(name)
    if name == "default":
        return None
    import keras

    if keras.backend.backend() != "tensorflow":
        raise ConfigError(f"--strategy {name} uses tf.distribute and needs KERAS_BACKEND=tensorflow. "
                          f"Received: backend={keras.backend.backend()!r}")
    import tensorflow as tf

    if name == "mirrored":
        gpus = tf.config.list_logical_devices("GPU")
        if gpus:
            return tf.distribute.MirroredStrategy(devices=[device.name for device in gpus])
        # CPU devices only (tests): reduce on one device. The CPU collective all-reduce fails on an
        # embedding's sparse gradient when the replicas' sub-batches differ in size (a final partial batch).
        return tf.distribute.MirroredStrategy(devices=[device.name for device in tf.config.list_logical_devices("CPU")],
                                              cross_device_ops=tf.distribute.ReductionToOneDevice())
    config = read_tf_config()
    hosts = sum(len(config["cluster"].get(kind, [])) for kind in ("chief", "worker"))
    if hosts > 1 and _keras_version() <= KERAS_WITHOUT_MULTI_WORKER_FIT:
        fix_keras_multi_worker_fit()
    return tf.distribute.MultiWorkerMirroredStrategy()


def fix_keras_multi_worker_fit() -> None:
    """Works around the two defects that stop Keras 3.15's `fit` across several workers.

    Seen here with two workers on 127.0.0.1 (tensorflow/tensorflow#72388):
    1. before the first step, `fit` averages a whole input batch across workers
       only to learn its shapes (`TensorFlowTrainer._maybe_symbolic_build`),
       which fails on the PerReplica batch; the local replica's batch has the
       same shapes, so it is used instead;
    2. the step's scalar logs are averaged across workers over axis 0
       (`reduce_per_replica`), which scalars lack ("Invalid reduction dimension
       0"); they are averaged over the replicas alone.
    Nothing else changes: gradients are still all-reduced by the strategy.
    Applied once, only with multi-worker and only for Keras releases up to
    KERAS_WITHOUT_MULTI_WORKER_FIT; a Keras without these internals gets a
    one-line ConfigError instead of a crash mid-start.
    """
    import tensorflow as tf

    try:
        from keras.src import tree
        from keras.src.backend.tensorflow import trainer as tf_trainer

        keras_build = tf_trainer.TensorFlowTrainer._maybe_symbolic_build
        keras_reduce = tf_trainer.reduce_per_replica
        is_multi_worker = tf_trainer._collective_all_reduce_multi_worker
    except (ImportError, AttributeError) as err:
        import keras

        raise ConfigError(f"--strategy multi-worker: Keras {keras.__version__}'s model.fit cannot train across "
                          f"workers (tensorflow/tensorflow#72388) and rnnzoo's workaround does not apply to it "
                          f"({err}). Use --strategy mirrored on one host.") from None
    if getattr(keras_reduce, "rnnzoo_fixed", False):
        return

    def local(strategy, value):
        if isinstance(value, tf.distribute.DistributedValues):
            return strategy.experimental_local_results(value)[0]
        return value

    def maybe_symbolic_build(self, iterator=None, data_batch=None):
        strategy = self._distribute_strategy
        if iterator is not None and strategy is not None and is_multi_worker(strategy):
            for _, _, batches in iterator:
                data_batch = tree.map_structure(lambda value: local(strategy, value), next(batches))
                break
            iterator = None
        return keras_build(self, iterator=iterator, data_batch=data_batch)

    def reduce_per_replica(values, strategy, reduction):
        if reduction in ("auto", "mean") and is_multi_worker(strategy):
            def mean(value):
                scalar = local(strategy, value).shape.rank == 0
                return strategy.reduce("MEAN", value, axis=None if scalar else 0)

            return tree.map_structure(mean, values)
        return keras_reduce(values, strategy, reduction)

    reduce_per_replica.rnnzoo_fixed = True
    tf_trainer.TensorFlowTrainer._maybe_symbolic_build = maybe_symbolic_build
    tf_trainer.reduce_per_replica = reduce_per_replica


KERAS_WITHOUT_MULTI_WORKER_FIT = (3, 15)  # the newest Keras seen failing without the fix above


def _keras_version() -> tuple[int, int]:
    import keras

    major, minor = keras.__version__.split(".")[:2]
    return int(major), int(minor)
