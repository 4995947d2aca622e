"""Backend and device selection: a one-line error for anything not present, never a fallback."""

from __future__ import annotations

import contextlib
import os
import platform
from dataclasses import dataclass
from typing import Any

BACKENDS = ("tensorflow", "jax", "torch")
DEVICES = ("auto", "cpu", "gpu", "tpu")


@dataclass
class DevicePlan:
    """What a run executes on: device kind, human-readable name, and a scope to build in."""

    kind: str
    name: str
    count: int
    strategy: Any = None

    def scope(self) -> contextlib.AbstractContextManager:
        """Context in which to build and compile the model (a tf.distribute scope on TF)."""
        return self.strategy.scope() if self.strategy is not None else contextlib.nullcontext()


#: the pip requirement that brings each backend's package
BACKEND_INSTALL = {"tensorflow": "pip install 'tensorflow>=2.20,<2.22'",
                   "jax": "pip install 'seqzoo[jax]'", "torch": "pip install 'seqzoo[torch]'"}


def select_backend(backend: str | None) -> str:
    """Choose the Keras backend before Keras is imported (``KERAS_BACKEND`` for this process
    and the workers it starts), or check the one already loaded; the backend's name.

    ``None`` keeps ``$KERAS_BACKEND`` (default ``tensorflow``).

    Raises:
        ValueError: an unknown backend, one whose package is not installed (naming the
            install command), or one other than the Keras already loaded in this process.
    """
    import importlib
    import sys

    chosen = backend or os.environ.get("KERAS_BACKEND") or "tensorflow"
    if chosen not in BACKENDS:
        where = "--backend" if backend else "KERAS_BACKEND"
        raise ValueError(f"{where} {chosen!r} is not allowed; use one of {', '.join(BACKENDS)}")
    if "keras" in sys.modules:
        import keras

        active = keras.backend.backend()
        if backend is not None and chosen != active:
            raise ValueError(f"backend {chosen!r} requested but Keras is already running "
                             f"{active!r} in this process; start a new process")
        return active
    os.environ["KERAS_BACKEND"] = chosen
    try:  # Keras imports it first thing anyway; a missing or broken install is one line here
        importlib.import_module(chosen)
    except ImportError as error:
        why = "which is not installed" if error.name == chosen else f"which fails to import " \
                                                                      f"({error})"
        raise ValueError(f"backend {chosen!r} needs the {chosen} package, {why}: "
                         f"{BACKEND_INSTALL[chosen]}") from None
    return chosen


def cpu_name() -> str:
    """The CPU model name from /proc/cpuinfo, else ``platform.processor()``."""
    with contextlib.suppress(OSError):
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return f"{line.split(':', 1)[1].strip()} x{os.cpu_count()}"
    return platform.processor() or platform.machine()


def select_device(requested: str = "auto", strategy: bool = True) -> DevicePlan:
    """Resolve ``auto|cpu|gpu|tpu`` on the active Keras backend.

    With ``strategy=False`` (a process that only plans and hands work to workers) no
    TensorFlow distribution strategy is built, so the process never initialises a GPU and
    holds none of its memory.

    Several devices are used data-parallel: TensorFlow mirrors the model over several GPUs, or
    over the CPU's logical devices when the caller has split it
    (``tf.config.set_logical_device_configuration``); JAX shards each batch over its devices
    (several GPUs, or CPU devices made with
    ``XLA_FLAGS=--xla_force_host_platform_device_count=N``).

    Raises:
        ValueError: an unknown device, or one the backend cannot see.
    """
    import keras

    if requested not in DEVICES:
        raise ValueError(f"device {requested!r} is not allowed; use one of {', '.join(DEVICES)}")
    backend = keras.backend.backend()
    if backend == "tensorflow":
        return _tensorflow_device(requested, strategy)
    if backend == "jax":
        return _jax_device(requested)
    return _torch_device(requested, strategy)


def _missing(requested: str, backend: str) -> ValueError:
    return ValueError(f"device {requested!r} requested but {backend} sees none on this machine; "
                      "use --device cpu or auto")


def _tensorflow_device(requested: str, strategy: bool) -> DevicePlan:
    import tensorflow as tf

    if requested == "tpu":
        try:
            resolver = tf.distribute.cluster_resolver.TPUClusterResolver()
            tf.config.experimental_connect_to_cluster(resolver)
            tf.tpu.experimental.initialize_tpu_system(resolver)
        except (ValueError, RuntimeError, tf.errors.OpError):
            raise _missing("tpu", "TensorFlow") from None
        tpu = tf.distribute.TPUStrategy(resolver)
        return DevicePlan("tpu", "TPU", tpu.num_replicas_in_sync, tpu)
    gpus = tf.config.list_physical_devices("GPU")
    if requested == "gpu" and not gpus:
        raise _missing("gpu", "TensorFlow")
    if requested in ("gpu", "auto") and gpus:
        details = tf.config.experimental.get_device_details(gpus[0])
        name = details.get("device_name", "GPU")
        if len(gpus) > 1:
            return DevicePlan("gpu", f"{name} x{len(gpus)}", len(gpus),
                              tf.distribute.MirroredStrategy() if strategy else None)
        return DevicePlan("gpu", name, 1,
                          tf.distribute.OneDeviceStrategy("/gpu:0") if strategy else None)
    cpus = tf.config.list_logical_devices("CPU") if strategy else []
    if len(cpus) > 1:  # CPU split into logical devices by the caller: replicate over them
        return DevicePlan("cpu", f"{cpu_name()} ({len(cpus)} logical devices)", len(cpus),
                          tf.distribute.MirroredStrategy([d.name for d in cpus]))
    # with no GPU, TensorFlow already places everything on the CPU; a strategy would only add
    # a distributed iterator to the input pipeline
    cpu = tf.distribute.OneDeviceStrategy("/cpu:0") if gpus and strategy else None
    return DevicePlan("cpu", cpu_name(), 1, cpu)


def _jax_device(requested: str) -> DevicePlan:
    import jax
    import keras

    kind = {"auto": None, "cpu": "cpu", "gpu": "gpu", "tpu": "tpu"}[requested]
    try:
        devices = jax.devices(kind) if kind else jax.devices()
    except RuntimeError:
        raise _missing(requested, "JAX") from None
    platform_name = devices[0].platform
    if len(devices) > 1:
        keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices))
    name = cpu_name() if platform_name == "cpu" else devices[0].device_kind
    if len(devices) > 1:
        name = f"{name} ({len(devices)} devices)"
    return DevicePlan(platform_name, name, len(devices))


def _torch_device(requested: str, trains: bool) -> DevicePlan:
    """PyTorch's device; a process that does not train (``trains=False``) counts GPUs without
    initialising CUDA, so it holds no GPU memory."""
    import torch

    if requested == "tpu":
        raise _missing("tpu", "PyTorch")
    if requested == "gpu" and not torch.cuda.is_available():
        raise _missing("gpu", "PyTorch")
    if requested in ("gpu", "auto") and torch.cuda.is_available():
        count = torch.cuda.device_count()
        name = torch.cuda.get_device_name(0) if trains else "CUDA GPU"
        return DevicePlan("gpu", name if count == 1 else f"{name} x{count}", count)
    return DevicePlan("cpu", cpu_name(), 1)


def peak_device_mib(plan: DevicePlan) -> float | None:
    """Peak accelerator memory in MiB where the backend reports it, else ``None``."""
    import keras

    if plan.kind == "cpu":
        return None
    backend = keras.backend.backend()
    with contextlib.suppress(Exception):
        if backend == "tensorflow":
            import tensorflow as tf

            return tf.config.experimental.get_memory_info("GPU:0")["peak"] / 2**20
        if backend == "jax":
            import jax

            return jax.devices()[0].memory_stats()["peak_bytes_in_use"] / 2**20
        if backend == "torch":
            import torch

            return torch.cuda.max_memory_allocated() / 2**20
    return None


def reset_device_peak(plan: DevicePlan) -> None:
    """Reset the accelerator's peak-memory counter before a run, where supported."""
    import keras

    if plan.kind != "gpu":
        return
    with contextlib.suppress(Exception):
        if keras.backend.backend() == "tensorflow":
            import tensorflow as tf

            tf.config.experimental.reset_memory_stats("GPU:0")
        elif keras.backend.backend() == "torch":
            import torch

            torch.cuda.reset_peak_memory_stats()
