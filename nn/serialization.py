"""Saving and loading models: ``save(model, path)`` and ``load(path, model=None)``.

The file is JSON: a format tag and version, the model's class and
constructor arguments (when they are plain data) and its ``state_dict``.
Floats are written with ``repr``, so every parameter round-trips bit for
bit. Writing goes to a temporary file next to the target that replaces it
only when complete, so a crash never leaves a half-written model; a symlink
is followed (the file it points to is replaced, the link stays), the
target's permission bits are kept (a new file gets the umask's), and a
temporary left by a killed save is removed by the next save of that file.

Loading treats the file as hostile and checks everything before touching
or building a model: a missing, truncated, corrupted, oversized or
mismatched file raises ``ModelFileError`` (or ``FileNotFoundError``) and the
model keeps its parameters. Numbers longer than ``MAX_NUMBER_CHARS``,
non-finite numbers and nesting deeper than Python's recursion limit are
refused while parsing. A model is rebuilt only from this library's own
classes, and only after the number of parameters and buffers its
constructor arguments imply has been computed arithmetically and found equal
to the number of values the file holds (and at most ``MAX_PARAMETERS``), so
a small file cannot make ``load`` allocate a large model. BatchNorm running
variances must be >= 0 and batch counts whole numbers >= 0.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import inspect
import json
import math
import os
import random
import reprlib
import secrets
import stat
import time
from collections.abc import Callable
from typing import Any

from . import activations, losses
from .layers import MLP, Flatten, Identity, Layer, Linear, Maxout, ModuleList, Neuron, Sequential
from .module import Module
from .random import default_generator
from .regularization import BatchNorm1d, Dropout

FORMAT = "backprop-course/model"
VERSION = 1
SUPPORTED_VERSIONS = (1,)
#: the most values (parameters and buffer entries) one file may hold or one rebuilt model have
MAX_PARAMETERS = 10_000_000
#: the largest file read: 64 bytes per value covers a long dotted name, quotes and a float repr
MAX_FILE_BYTES = 64 * MAX_PARAMETERS
#: the longest number literal read (a float's repr needs at most 24 characters)
MAX_NUMBER_CHARS = 100
#: how deeply constructor arguments may nest (MLP's list of layer sizes is depth 2)
MAX_CONFIG_DEPTH = 8
#: a temporary left behind by a save on a system without process ids to check is stale after this
STALE_SECONDS = 24 * 3600


class ModelFileError(ValueError):
    """The file is not a saved model this version can read, or does not fit the model."""


class _Refused(Exception):
    """A check inside parsing or size counting failed; ``load`` reports it as a ModelFileError."""


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
    """Write ``model`` (architecture when it is plain data, and every parameter) to ``path``.

    Atomic: the JSON goes to a temporary file in the target's directory,
    flushed to disk, then renamed over the target, so ``path`` holds either
    the old model or the new one. A symlink at ``path`` is followed: the file
    it points to is replaced and the link stays. An existing target keeps its
    permission bits; a new one is created with mode 0o666 less the umask.
    Temporaries left by an earlier save of the same file that was killed are
    removed first. An ``OSError`` names ``path``, never the temporary.
    """
    if not isinstance(model, Module):
        raise TypeError(f"save: expected a Module, got {type(model).__name__}")
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"save: path must be a str or a path, got {type(path).__name__}")
    state = model.state_dict()
    bad = [k for k, v in state.items() if not math.isfinite(v)]
    if bad:
        raise ValueError(f"save: parameters {bad[:5]} are not finite; refusing to write them")
    args, kwargs = getattr(model, "_init_args", ((), {}))
    cls = type(model)
    config: dict[str, Any] | None = None
    if _plain(list(args)) and _plain(kwargs):
        config = {"class": f"{cls.__module__}.{cls.__qualname__}", "args": list(args),
                  "kwargs": kwargs}
    document = {"format": FORMAT, "version": VERSION, "model": config, "state": state}
    text = json.dumps(document, allow_nan=False)  # before any file exists: a failure leaves none
    shown = os.fspath(path)
    _write_atomically(os.path.realpath(shown), text, shown)


def _write_atomically(target: str, text: str, shown: str | bytes) -> None:
    """Replace ``target`` (a resolved path) by a file holding ``text``; errors name ``shown``."""
    if os.path.isdir(target):
        raise IsADirectoryError(errno.EISDIR, "save: the target is a directory", shown)
    directory, name = os.path.split(target)
    prefix = _temporary_prefix(name)
    _remove_stale_temporaries(directory, prefix)
    try:
        mode = os.stat(target).st_mode & 0o777  # permission bits; setuid and the like dropped
    except FileNotFoundError:
        mode = None  # a new file: os.open below applies the umask to 0o666
    except OSError as exc:
        raise _naming(exc, shown) from None
    tmp = os.path.join(directory, f"{prefix}{os.getpid()}-{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0),
                     0o666)
    except OSError as exc:
        raise _naming(exc, shown) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            if mode is not None:
                os.chmod(tmp, mode)
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):  # the error to report is the one that got us here
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise _naming(exc, shown) from None
        raise
    _sync_directory(directory)


def _naming(exc: OSError, shown: str | bytes) -> OSError:
    """``exc`` again (same class, same errno) but naming the target instead of the temporary."""
    reason = exc.strerror or str(exc)
    if exc.errno is None:
        return type(exc)(f"save: cannot write the model to {shown!r}: {reason}")
    return OSError(exc.errno, f"save: cannot write the model ({reason})", shown)


def _temporary_prefix(name: str) -> str:
    """Temporaries for target ``name`` are ``.model-<hash of name>-<pid>-<random>.tmp``.

    A hash, not the name, keeps the temporary's name short whatever the target's.
    """
    return f".model-{hashlib.sha256(os.fsencode(name)).hexdigest()[:16]}-"


def _remove_stale_temporaries(directory: str, prefix: str) -> None:
    """Delete temporaries of this target whose saving process no longer runs (best effort).

    A save in progress in another live process (or thread of this one) is never disturbed.
    """
    try:
        entries = list(os.scandir(directory or "."))
    except OSError:
        return
    for entry in entries:
        if not (entry.name.startswith(prefix) and entry.name.endswith(".tmp")):
            continue
        pid_text = entry.name[len(prefix):].split("-", 1)[0]
        if not pid_text.isdigit() or int(pid_text) == os.getpid():
            continue
        if _process_alive(int(pid_text), entry):
            continue
        # removed by another save meanwhile, or not ours to remove: either way this save goes on
        with contextlib.suppress(OSError):
            os.unlink(entry.path)


def _process_alive(pid: int, entry: os.DirEntry) -> bool:
    """Whether process ``pid`` may still be writing ``entry`` (when unsure: yes)."""
    if os.name != "posix":  # no signal 0 to ask with: go by the temporary's age
        try:
            return time.time() - entry.stat().st_mtime < STALE_SECONDS
        except OSError:
            return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (OSError, OverflowError):  # PermissionError: alive, owned by someone else
        return True
    return True


def _sync_directory(directory: str) -> None:
    """Flush the rename to disk where the system allows opening a directory (best effort)."""
    if os.name != "posix":
        return
    try:
        fd = os.open(directory or ".", os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _parse_int(text: str) -> int:
    if len(text) > MAX_NUMBER_CHARS:  # also keeps int() below Python's digit limit
        raise _Refused(f"a number {len(text)} characters long (at most {MAX_NUMBER_CHARS} are read)")
    return int(text)


def _parse_float(text: str) -> float:
    if len(text) > MAX_NUMBER_CHARS:
        raise _Refused(f"a number {len(text)} characters long (at most {MAX_NUMBER_CHARS} are read)")
    value = float(text)
    if not math.isfinite(value):
        raise _Refused(f"the number {text}, too large for a float")
    return value


def _parse_constant(text: str) -> float:
    raise _Refused(f"{text} (a saved model holds only finite numbers)")


def _read(path: str | bytes) -> dict:
    """The checked document at ``path``: tag, supported version, and a state of finite floats."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise FileNotFoundError(f"load: no saved model at {path!r}") from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the path
        raise ModelFileError(f"load: cannot read {path!r} ({_reason(exc)})") from None
    if stat.S_ISDIR(info.st_mode):
        raise ModelFileError(f"load: {path!r} is a directory, not a saved model")
    if not stat.S_ISREG(info.st_mode):
        raise ModelFileError(f"load: {path!r} is not a regular file, so not a saved model")
    if info.st_size > MAX_FILE_BYTES:
        raise ModelFileError(f"load: {path!r} holds {info.st_size} bytes, more than the "
                             f"{MAX_FILE_BYTES} a saved model may have")
    try:
        with open(path, "rb") as f:
            data = f.read(info.st_size + 1)  # read(n) allocates n bytes: never ask for the cap
    except FileNotFoundError:
        raise FileNotFoundError(f"load: no saved model at {path!r}") from None
    except OSError as exc:
        raise ModelFileError(f"load: cannot read {path!r} ({_reason(exc)})") from None
    if len(data) > info.st_size:  # save replaces a file whole; it never grows one in place
        raise ModelFileError(f"load: {path!r} grew while it was read; it is not a finished save")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ModelFileError(f"load: {path!r} is not a saved model (not text)") from None
    try:
        doc = json.loads(text, parse_int=_parse_int, parse_float=_parse_float,
                         parse_constant=_parse_constant)
    except json.JSONDecodeError as exc:
        raise ModelFileError(
            f"load: {path!r} is not a saved model, or is truncated or corrupted ({exc})"
        ) from None
    except RecursionError:  # the parser recurses once per level of [ or {
        raise ModelFileError(f"load: {path!r} is not a saved model (nested too deeply)") from None
    except _Refused as exc:
        raise ModelFileError(f"load: {path!r} is not a saved model: it holds {exc}") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ModelFileError(f"load: {path!r} is not a saved model (no '{FORMAT}' tag)")
    version = doc.get("version")
    if type(version) is not int or version not in SUPPORTED_VERSIONS:  # True is not version 1
        raise ModelFileError(
            f"load: {path!r} has format version {reprlib.repr(version)}; this library reads "
            f"version {', '.join(map(str, SUPPORTED_VERSIONS))}"
        )
    doc["state"] = _checked_state(doc.get("state"), path)
    return doc


def _checked_state(state: Any, path: str | bytes) -> dict[str, float]:
    """``state`` as names to floats, or a ModelFileError: a table of at most MAX_PARAMETERS numbers."""
    if not isinstance(state, dict):
        raise ModelFileError(f"load: {path!r} has no parameter table")
    if len(state) > MAX_PARAMETERS:
        raise ModelFileError(f"load: {path!r} holds {len(state)} values, more than the "
                             f"{MAX_PARAMETERS} a saved model may have")
    checked = {}
    for key, value in state.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ModelFileError(f"load: {path!r}: {reprlib.repr(key)} must be a number, got "
                                 f"{reprlib.repr(value)}")
        checked[key] = float(value)  # finite: the parser refused the rest, ints have <= 100 digits
    return checked


def _reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


# --- rebuilding a model: count first, build after ---------------------------------------------
#
# Each class load may rebuild has a row: how many state entries (parameters and buffer
# entries) ``cls(*args, **kwargs)`` creates, computed from the arguments alone, so that a file
# asking for MLP(100000, [100000]) is refused before anything is allocated. A class without a
# row is never rebuilt from a file.

Count = Callable[[dict[str, Any]], int]


def _size(name: str, n: Any) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_PARAMETERS:
        raise _Refused(f"{name} must be a positive integer of at most {MAX_PARAMETERS}, "
                       f"got {reprlib.repr(n)}")
    return n


def _activation_count(activation: Any) -> int:
    """Entries of one activation module built from a name (``get_activation``'s rule)."""
    if activation is None:
        return 0
    if not isinstance(activation, str):
        raise _Refused(f"activation must be a name, got {reprlib.repr(activation)}")
    cls = activations.ACTIVATIONS.get(activation.lower())
    if cls is None:
        raise _Refused(f"unknown activation {reprlib.repr(activation)}")
    return _count(cls, [], {})


def _neuron_count(a: dict[str, Any]) -> int:
    """w (nin), b, and the activation's own parameters (a PReLU's slope) when nonlinear."""
    return _size("nin", a["nin"]) + 1 + (_activation_count(a["activation"]) if a["nonlin"] else 0)


def _layer_count(a: dict[str, Any]) -> int:
    return _size("nout", a["nout"]) * _count(Neuron, [a["nin"]], a["kwargs"])


def _mlp_count(a: dict[str, Any]) -> int:
    """sum over layers of nout * (nin + 1), plus an activation per hidden neuron."""
    nouts = a["nouts"]
    if not isinstance(nouts, list) or not nouts:
        raise _Refused(f"nouts must be a non-empty list of layer sizes, got {reprlib.repr(nouts)}")
    sizes = [_size("nin", a["nin"])] + [_size(f"nouts[{i}]", n) for i, n in enumerate(nouts)]
    act = _activation_count(a["activation"]) if len(nouts) > 1 else 0
    return sum(sizes[i + 1] * (sizes[i] + 1 + (act if i < len(nouts) - 1 else 0))
               for i in range(len(nouts)))


def _linear_count(a: dict[str, Any]) -> int:
    """W (out x in) and b (out) when ``bias``."""
    n_in, n_out = _size("in_features", a["in_features"]), _size("out_features", a["out_features"])
    return n_in * n_out + (n_out if a["bias"] else 0)


def _maxout_count(a: dict[str, Any]) -> int:
    k, nin, nout = _size("k", a["k"]), _size("nin", a["nin"]), _size("nout", a["nout"])
    return k * (nin * nout + nout)


def _batchnorm_count(a: dict[str, Any]) -> int:
    """weight and bias (n each, when affine), running_mean and running_var (n each) and the count."""
    n = _size("num_features", a["num_features"])
    affine = bool(a["affine"])
    params = n * affine + n * (affine and bool(a["bias"]))
    return params + (2 * n + 1 if a["track_running_stats"] else 0)


def _sequential_count(a: dict[str, Any]) -> int:
    if a["modules"]:  # a file holds no modules: a Sequential is saved without its arguments
        raise _Refused("Sequential is rebuilt only empty; build it yourself and pass model=")
    return 0


def _module_list_count(a: dict[str, Any]) -> int:
    if a["modules"]:  # as Sequential: a file holds no modules
        raise _Refused("ModuleList is rebuilt only empty; build it yourself and pass model=")
    return 0


def _no_parameters(a: dict[str, Any]) -> int:
    return 0


COUNTS: dict[type[Module], Count] = {
    Neuron: _neuron_count,
    Layer: _layer_count,
    MLP: _mlp_count,
    Linear: _linear_count,
    Maxout: _maxout_count,
    Sequential: _sequential_count,
    ModuleList: _module_list_count,
    Identity: _no_parameters,
    Flatten: _no_parameters,
    BatchNorm1d: _batchnorm_count,
    Dropout: _no_parameters,
    activations.PReLU: lambda a: _size("num_parameters", a["num_parameters"]),
    activations.Swish: lambda a: 1 if a["learnable"] else 0,
    **{cls: _no_parameters for cls in activations.ACTIVATIONS.values()
       if cls not in (activations.PReLU, activations.Swish)},
    **{getattr(losses, name): _no_parameters for name in losses.__all__},
}
#: the classes ``load`` rebuilds from a file, by the name ``save`` records
REBUILDABLE: dict[str, type[Module]] = {f"{c.__module__}.{c.__qualname__}": c for c in COUNTS}
#: names older versions recorded for classes since merged into another, still read: the course's
#: ``HardTanh`` (no arguments) was ``Hardtanh()`` under a second name, one capital apart
RENAMED: dict[str, str] = {"nn.activations.HardTanh": "nn.activations.Hardtanh"}
REBUILDABLE.update({old: REBUILDABLE[new] for old, new in RENAMED.items()})


def _bind(cls: type[Module], args: list, kwargs: dict) -> dict[str, Any]:
    """``cls``'s constructor arguments by name, defaults filled in; _Refused if they do not fit."""
    if cls.__init__ is object.__init__:
        if args or kwargs:
            raise _Refused(f"{cls.__name__} takes no arguments, got {reprlib.repr(args)} and "
                           f"{reprlib.repr(kwargs)}")
        return {}
    try:
        bound = inspect.signature(cls.__init__).bind(None, *args, **kwargs)
    except TypeError as exc:
        raise _Refused(f"{cls.__name__}: {exc}") from None
    bound.apply_defaults()
    arguments = dict(bound.arguments)
    del arguments[next(iter(arguments))]  # self
    return arguments


def _count(cls: type[Module], args: list, kwargs: dict) -> int:
    """How many state entries ``cls(*args, **kwargs)`` would hold, without building it."""
    if not isinstance(kwargs, dict):
        raise _Refused(f"{cls.__name__}: keyword arguments must be a table, got "
                       f"{reprlib.repr(kwargs)}")
    return COUNTS[cls](_bind(cls, args, kwargs))


def _depth(value: Any) -> int:
    """How deeply lists and dicts nest in ``value`` (0 for a number), without recursion."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (list, dict)):
            deepest = max(deepest, depth + 1)
            if deepest > MAX_CONFIG_DEPTH:
                return deepest
            stack.extend((v, depth + 1) for v in (item.values() if isinstance(item, dict) else item))
    return deepest


def _rebuild(config: Any, entries: int, path: str | bytes) -> Module:
    """The model ``config`` describes, built only once its size is known to equal ``entries``."""
    if not isinstance(config, dict) or not isinstance(config.get("class"), str):
        raise ModelFileError(
            f"load: {path!r} does not record how to build its model; pass model= to load into"
        )
    name = config["class"]
    # only this library's own classes are rebuilt from a file: a file never chooses code to run
    if name.split(".")[0] != "nn":
        raise ModelFileError(
            f"load: {path!r} names class {reprlib.repr(name)}, which is not an nn class; "
            "build the model yourself and pass model="
        )
    cls = REBUILDABLE.get(name)
    if cls is None:
        raise ModelFileError(f"load: unknown model class {reprlib.repr(name)} in {path!r}; "
                             "build the model yourself and pass model=")
    args, kwargs = config.get("args", []), config.get("kwargs", {})
    try:
        if not isinstance(args, list) or not isinstance(kwargs, dict):
            raise _Refused(f"arguments must be a list and a table, got {reprlib.repr(args)} and "
                           f"{reprlib.repr(kwargs)}")
        if _depth([args, kwargs]) > MAX_CONFIG_DEPTH:
            raise _Refused(f"its arguments nest deeper than {MAX_CONFIG_DEPTH} levels")
        expected = _count(cls, args, kwargs)
    except _Refused as exc:
        raise ModelFileError(f"load: cannot rebuild {name} from {path!r}: {exc}") from None
    if expected > MAX_PARAMETERS:
        raise ModelFileError(
            f"load: {path!r} describes a model ({cls.__name__}) with {expected} parameters and "
            f"buffers, more than the {MAX_PARAMETERS} load builds"
        )
    if expected != entries:
        raise ModelFileError(
            f"load: {path!r} describes a model ({cls.__name__}) with {expected} parameters and "
            f"buffers but holds {entries} values"
        )
    rng_state, python_state = default_generator().bit_generator.state, random.getstate()
    try:
        return cls(*args, **kwargs)
    except (TypeError, ValueError, ArithmeticError) as exc:
        raise ModelFileError(f"load: cannot rebuild {name} from {path!r}: {exc}") from None
    finally:  # building draws initial weights (micrograd's family from Python's random, see
        # nn.random); loading must not move the user's random streams
        default_generator().bit_generator.state = rng_state
        random.setstate(python_state)


def _check_buffers(model: Module, state: dict[str, float], path: str | bytes) -> None:
    """Running statistics a BatchNorm1d can use: variances >= 0, batch counts whole and >= 0.

    Missing keys are left to ``load_state_dict``, which names them.
    """
    for name, module in model.named_modules():
        if not isinstance(module, BatchNorm1d) or not module.track_running_stats:
            continue
        prefix = f"{name}." if name else ""
        for j in range(module.num_features):
            key = f"{prefix}running_var.{j}"
            if state.get(key, 0.0) < 0.0:
                raise ModelFileError(f"load: {path!r}: {key} is {state[key]!r}; a variance "
                                     "must be >= 0")
        key = f"{prefix}num_batches_tracked"
        count = state.get(key, 0.0)
        if count < 0.0 or not count.is_integer():
            raise ModelFileError(f"load: {path!r}: {key} is {count!r}; a count of batches must "
                                 "be a whole number >= 0")


def load(path: str | os.PathLike, model: Module | None = None) -> Module:
    """Read a model saved by ``save``: into ``model`` if given, else rebuilt from the file.

    All-or-nothing: if anything is wrong, ``model`` keeps its parameters, and
    the error is a ``ModelFileError`` (``FileNotFoundError`` for no file).
    When ``model`` is given, the file's record of how to build one is not used.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"load: path must be a str or a path, got {type(path).__name__}")
    if model is not None and not isinstance(model, Module):
        raise TypeError(f"load: model must be a Module or None, got {type(model).__name__}")
    path = os.fspath(path)
    doc = _read(path)
    state = doc["state"]
    target = model if model is not None else _rebuild(doc.get("model"), len(state), path)
    _check_buffers(target, state, path)
    try:
        target.load_state_dict(state)
    except (KeyError, ValueError, TypeError, ArithmeticError) as exc:
        detail = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        raise ModelFileError(
            f"load: {path!r} does not fit {type(target).__name__}: {detail}"
        ) from None
    return target
