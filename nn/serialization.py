"""Saving and loading models: ``save(model, path)`` and ``load(path, model=None)``.

The file is JSON: a format tag and version, the model's class and
constructor arguments (when they are plain data) and its ``state_dict``.
Floats are written with ``repr``, so every parameter round-trips bit for
bit. Writing goes to a temporary file that replaces the target only when
complete, so a crash never leaves a half-written model. Loading checks
everything before touching a model: a missing, truncated, corrupted or
mismatched file raises ``ModelFileError`` (or ``FileNotFoundError``) and the
model keeps its parameters.
"""

from __future__ import annotations

import importlib
import json
import math
import os
import tempfile
from typing import Any

from .module import Module
from .random import default_generator

FORMAT = "backprop-course/model"
VERSION = 1


class ModelFileError(ValueError):
    """The file is not a saved model this version can read, or does not fit the model."""


def _plain(x: Any) -> bool:
    if x is None or isinstance(x, (bool, int, str)):
        return True
    if isinstance(x, float):
        return math.isfinite(x)
    if isinstance(x, (list, tuple)):
        return all(_plain(v) for v in x)
    if isinstance(x, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in x.items())
    return False


def save(model: Module, path: str | os.PathLike) -> None:
    """Write ``model`` (architecture when it is plain data, and every parameter) to ``path``."""
    if not isinstance(model, Module):
        raise TypeError(f"save: expected a Module, got {type(model).__name__}")
    state = model.state_dict()
    bad = [k for k, v in state.items() if not math.isfinite(v)]
    if bad:
        raise ValueError(f"save: parameters {bad[:5]} are not finite; refusing to write them")
    args, kwargs = getattr(model, "_init_args", ((), {}))
    cls = type(model)
    config = None
    if _plain(list(args)) and _plain(kwargs):
        config = {"class": f"{cls.__module__}.{cls.__qualname__}", "args": list(args),
                  "kwargs": kwargs}
    document = {"format": FORMAT, "version": VERSION, "model": config, "state": state}
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".model-", dir=directory)
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(document, f, allow_nan=False)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _read(path: str) -> dict:
    try:
        with open(path) as f:
            text = f.read()
    except FileNotFoundError:
        raise FileNotFoundError(f"load: no saved model at {path!r}") from None
    except UnicodeDecodeError:
        raise ModelFileError(f"load: {path!r} is not a saved model (not text)") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ModelFileError(
            f"load: {path!r} is not a saved model, or is truncated or corrupted ({exc})"
        ) from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ModelFileError(f"load: {path!r} is not a saved model (no '{FORMAT}' tag)")
    version = doc.get("version")
    if not isinstance(version, int) or version > VERSION:
        raise ModelFileError(
            f"load: {path!r} has format version {version!r}; this library reads up to {VERSION}"
        )
    if not isinstance(doc.get("state"), dict):
        raise ModelFileError(f"load: {path!r} has no parameter table")
    return doc


def _rebuild(config: Any, path: str) -> Module:
    if not isinstance(config, dict) or not isinstance(config.get("class"), str):
        raise ModelFileError(
            f"load: {path!r} does not record how to build its model; pass model= to load into"
        )
    module_name, _, name = config["class"].rpartition(".")
    # only this library's own classes are rebuilt from a file: a file never chooses code to run
    if module_name.split(".")[0] != "nn":
        raise ModelFileError(
            f"load: {path!r} names class {config['class']!r}, which is not an nn class; "
            "build the model yourself and pass model="
        )
    try:
        cls = getattr(importlib.import_module(module_name), name)
    except (ImportError, AttributeError):
        raise ModelFileError(f"load: unknown model class {config['class']!r} in {path!r}") from None
    if not (isinstance(cls, type) and issubclass(cls, Module)):
        raise ModelFileError(f"load: {config['class']!r} in {path!r} is not a Module")
    rng_state = default_generator().bit_generator.state
    try:
        return cls(*config.get("args", []), **config.get("kwargs", {}))
    except (TypeError, ValueError) as exc:
        raise ModelFileError(f"load: cannot rebuild {config['class']} from {path!r}: {exc}") from None
    finally:  # building draws initial weights; loading must not move the user's random stream
        default_generator().bit_generator.state = rng_state


def load(path: str | os.PathLike, model: Module | None = None) -> Module:
    """Read a model saved by ``save``: into ``model`` if given, else rebuilt from the file.

    All-or-nothing: if anything is wrong, ``model`` keeps its parameters.
    """
    path = os.fspath(path)
    doc = _read(path)
    target = model if model is not None else _rebuild(doc.get("model"), path)
    try:
        target.load_state_dict(doc["state"])
    except (KeyError, ValueError, TypeError) as exc:
        raise ModelFileError(f"load: {path!r} does not fit {type(target).__name__}: {exc}") from None
    return target
