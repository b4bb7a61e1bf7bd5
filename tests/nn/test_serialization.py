"""``nn.save`` and ``nn.load`` against hostile files, and how ``save`` writes.

Loading must refuse a bad file with ``ModelFileError`` (``FileNotFoundError``
for no file) and nothing else, quickly and in little memory, before it builds
or changes a model: a tiny file asking for a huge model, deep nesting, huge
numbers, bad versions, impossible running statistics, and (the fuzz test at
the end) random corruptions of real saved models. Saving must be atomic, follow
symlinks, keep the target's mode, clean up after a killed save, and name the
target in its errors.
"""

from __future__ import annotations

import errno
import functools
import json
import math
import os
import signal
import stat
import subprocess
import sys
import tempfile
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import nn
from nn import serialization

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HEAD = '{"format": "backprop-course/model", "version": 1, '
MB = 1 << 20


def write(tmp_path: Path, text: str | bytes, name: str = "m.json") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


def load_measured(path: Path, model: nn.Module | None = None) -> tuple[object, int]:
    """``nn.load``'s result or the ModelFileError it raised, and the peak memory it allocated.

    Any other exception propagates, failing the test that called this.
    """
    tracemalloc.start()
    try:
        try:
            result: object = nn.load(path, model=model)
        except nn.ModelFileError as exc:
            result = exc
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# --------------------------------------------------------------------------- huge models


HUGE = [
    ('{"class": "nn.layers.MLP", "args": [100000, [100000]]}', "10000100000 parameters"),
    ('{"class": "nn.layers.MLP", "args": [2, [10000000, 10000000, 1]]}', "more than the"),
    ('{"class": "nn.layers.Linear", "args": [100000, 100000]}', "more than the 10000000"),
    ('{"class": "nn.layers.Linear", "args": [100000000, 1]}', "in_features must be a positive"),
    ('{"class": "nn.layers.Neuron", "args": [1000000]}', "1000001 parameters and buffers but"),
    ('{"class": "nn.layers.Layer", "args": [3000, 3000]}', "9003000 parameters and buffers"),
    ('{"class": "nn.layers.Maxout", "args": [1000, 1000, 1000]}', "more than the"),
    ('{"class": "nn.regularization.BatchNorm1d", "args": [5000000]}', "20000001 parameters"),
    ('{"class": "nn.activations.PReLU", "args": [1000000000000]}', "num_parameters must be"),
    ('{"class": "nn.layers.MLP", "args": [2, [1]], "kwargs": {"generator": '
     + "1" * 101 + "}}", "101 characters long"),
]


@pytest.mark.parametrize("config, words", HUGE, ids=[h[0][:60] for h in HUGE])
def test_a_small_file_asking_for_a_huge_model_is_refused_before_anything_is_built(
    tmp_path, config, words
):
    path = write(tmp_path, HEAD + f'"model": {config}, "state": {{}}}}')
    assert path.stat().st_size < 300
    result, peak = load_measured(path)
    assert isinstance(result, nn.ModelFileError), result
    assert words in str(result)
    assert peak < 1 * MB  # the model was never built


def test_the_141_byte_file_from_the_issue(tmp_path):
    text = ('{"format": "backprop-course/model", "version": 1, "model": {"class": '
            '"nn.layers.MLP", "args": [100000, [100000]]}, "state": {}}')
    path = write(tmp_path, text)
    result, peak = load_measured(path)
    assert isinstance(result, nn.ModelFileError)
    assert "describes a model (MLP) with 10000100000 parameters and buffers" in str(result)
    assert peak < 1 * MB


def test_a_file_whose_state_does_not_fit_the_described_model_is_refused(tmp_path):
    model = nn.Linear(2, 3, generator=0)
    nn.save(model, tmp_path / "m.json")
    doc = json.loads((tmp_path / "m.json").read_text())
    doc["model"]["args"] = [3, 3]  # 12 entries described, 9 held
    write(tmp_path, json.dumps(doc))
    with pytest.raises(nn.ModelFileError, match="with 12 parameters and buffers but holds 9"):
        nn.load(tmp_path / "m.json")
    del doc["state"]["bias.2"]
    doc["state"]["weight.9.9"] = 0.5  # right count, wrong names: load_state_dict names them
    doc["model"]["args"] = [2, 3]
    write(tmp_path, json.dumps(doc))
    with pytest.raises(nn.ModelFileError, match=r"missing \['bias.2'\]"):
        nn.load(tmp_path / "m.json")


# --------------------------------------------------------------------------- raw errors


DEEP = "[" * 100_000 + "]" * 100_000
HOSTILE_FILES = [
    ("deep nesting in the state", HEAD + f'"state": {DEEP}}}', "nested too deeply"),
    ("deep nesting at the top", DEEP, "nested too deeply"),
    ("a 400-digit integer", HEAD + '"state": {"w.0": ' + "9" * 400 + "}}", "400 characters"),
    ("a 5000-digit integer", HEAD + '"state": {"w.0": ' + "7" * 5000 + "}}", "5000 characters"),
    ("a 400-digit float", HEAD + '"state": {"w.0": ' + "9" * 398 + ".5}}", "400 characters"),
    ("a float too large", HEAD + '"state": {"w.0": 1e400}}', "1e400, too large for a float"),
    ("NaN", HEAD + '"state": {"w.0": NaN}}', "NaN"),
    ("-Infinity", HEAD + '"state": {"w.0": -Infinity}}', "-Infinity"),
    ("a string value", HEAD + '"state": {"w.0": "1.0"}}', "'w.0' must be a number"),
    ("a bool value", HEAD + '"state": {"w.0": true}}', "'w.0' must be a number"),
    ("a null value", HEAD + '"state": {"w.0": null}}', "'w.0' must be a number"),
    ("a list as state", HEAD + '"state": [1.0]}', "no parameter table"),
    ("no state", HEAD[:-2] + "}", "no parameter table"),
    ("bytes that are not UTF-8", b'{"format": "\xff\xfe"}', "not text"),
    ("a byte order mark", "\ufeff" + HEAD + '"state": {}}', "truncated or corrupted"),
    ("a truncated file", HEAD + '"state": {"w.0": 0.5', "truncated or corrupted"),
]


@pytest.mark.parametrize("text, words", [h[1:] for h in HOSTILE_FILES],
                         ids=[h[0] for h in HOSTILE_FILES])
def test_hostile_files_raise_model_file_error_and_leave_the_model_alone(tmp_path, text, words):
    path = write(tmp_path, text)
    model = nn.Linear(1, 1, generator=0)
    before = model.state_dict()
    result, peak = load_measured(path, model)
    assert isinstance(result, nn.ModelFileError), repr(result)
    assert words in str(result) and str(path) in str(result)
    assert model.state_dict() == before
    assert peak < 8 * MB


def test_files_over_the_size_cap_are_refused_unread(tmp_path, monkeypatch):
    path = tmp_path / "m.json"
    nn.save(nn.Linear(3, 3), path)
    monkeypatch.setattr(serialization, "MAX_FILE_BYTES", path.stat().st_size - 1)
    with pytest.raises(nn.ModelFileError, match=r"holds \d+ bytes, more than the \d+ a saved"):
        nn.load(path)
    monkeypatch.setattr(serialization, "MAX_FILE_BYTES", path.stat().st_size)
    assert nn.load(path).num_parameters() == 12
    monkeypatch.setattr(serialization, "MAX_PARAMETERS", 11)
    with pytest.raises(nn.ModelFileError, match="holds 12 values, more than the 11"):
        nn.load(path)


def test_deep_nesting_in_the_constructor_arguments_is_refused(tmp_path):
    nest = "[" * 500 + "]" * 500
    path = write(tmp_path, HEAD + f'"model": {{"class": "nn.layers.MLP", "args": [2, {nest}]}}, '
                                  '"state": {}}')
    with pytest.raises(nn.ModelFileError, match="nest deeper than 8 levels"):
        nn.load(path)


def test_a_directory_or_a_fifo_is_not_a_saved_model(tmp_path):
    (tmp_path / "d").mkdir()
    with pytest.raises(nn.ModelFileError, match="is a directory, not a saved model"):
        nn.load(tmp_path / "d")
    if hasattr(os, "mkfifo"):  # opening a FIFO would wait for a writer: refused without opening
        os.mkfifo(tmp_path / "pipe")
        with pytest.raises(nn.ModelFileError, match="not a regular file"):
            nn.load(tmp_path / "pipe")
    with pytest.raises(FileNotFoundError, match="no saved model"):
        nn.load(tmp_path / "absent.json")
    with pytest.raises(TypeError, match="load: path must be a str or a path, got int"):
        nn.load(3)
    with pytest.raises(TypeError, match="load: model must be a Module or None, got dict"):
        nn.load(tmp_path / "d", model={})


@pytest.mark.parametrize("version", ["0", "-1", "true", "false", "1.0", '"1"', "2", "null",
                                     "[1]"])
def test_only_a_supported_integer_version_is_read(tmp_path, version):
    path = write(tmp_path, f'{{"format": "backprop-course/model", "version": {version}, '
                           '"state": {}}')
    with pytest.raises(nn.ModelFileError, match=r"has format version .*; this library reads "
                                                r"version 1"):
        nn.load(path, model=nn.Sequential())
    path = write(tmp_path, '{"format": "backprop-course/model", "version": 1, "state": {}}')
    assert isinstance(nn.load(path, model=nn.Sequential()), nn.Sequential)


# --------------------------------------------------------------------------- BatchNorm buffers


@pytest.mark.parametrize("key, value, words", [
    ("1.running_var.2", -0.5, "1.running_var.2 is -0.5; a variance must be >= 0"),
    ("1.num_batches_tracked", 2.5, "a count of batches must be a whole number >= 0"),
    ("1.num_batches_tracked", -1.0, "a count of batches must be a whole number >= 0"),
])
def test_impossible_running_statistics_are_refused_at_load(tmp_path, key, value, words):
    def build(seed: int) -> nn.Sequential:
        return nn.Sequential(nn.Linear(2, 3, generator=seed), nn.BatchNorm1d(3))

    nn.save(build(0), tmp_path / "m.json")
    doc = json.loads((tmp_path / "m.json").read_text())
    assert key in doc["state"]
    doc["state"][key] = value
    write(tmp_path, json.dumps(doc))
    model = build(1)
    before = model.state_dict()
    with pytest.raises(nn.ModelFileError, match=words.replace(".", r"\.")):
        nn.load(tmp_path / "m.json", model=model)
    assert model.state_dict() == before
    # the same check when the model is rebuilt from the file
    nn.save(nn.BatchNorm1d(3), tmp_path / "bn.json")
    doc = json.loads((tmp_path / "bn.json").read_text())
    doc["state"][key.split(".", 1)[1]] = value
    write(tmp_path, json.dumps(doc), "bn.json")
    with pytest.raises(nn.ModelFileError, match=r"variance|count of batches"):
        nn.load(tmp_path / "bn.json")


def test_zero_running_variance_and_a_whole_count_load_and_evaluate(tmp_path):
    bn = nn.BatchNorm1d(2)
    bn.running_var = [0.0, 4.0]
    bn.num_batches_tracked = 7
    nn.save(bn, tmp_path / "bn.json")
    again = nn.load(tmp_path / "bn.json")
    assert again.running_var == [0.0, 4.0] and again.num_batches_tracked == 7
    again.eval()
    assert again([[1.0, 2.0]])[0][1].data == pytest.approx(2.0 / (4.0 + 1e-5) ** 0.5)


# --------------------------------------------------------------------------- rebuilding


@pytest.mark.parametrize("config, words", [
    ('{"class": "os.system", "args": ["echo hi"]}', "not an nn class"),
    ('{"class": "nn.module.Module"}', "unknown model class 'nn.module.Module'"),
    ('{"class": "nn.random.manual_seed", "args": [1]}', "unknown model class"),
    ('{"class": "nn.serialization.load", "args": ["/etc/passwd"]}', "unknown model class"),
    ('{"class": "nn.layers.Sequential", "args": [1, 2]}', "rebuilt only empty"),
    ('{"class": "nn.layers.Linear", "args": [1, 1, true, null, 5]}', "too many positional"),
    ('{"class": "nn.layers.Linear", "args": [1], "kwargs": {"out_features": 1, "out": 1}}',
     "unexpected keyword argument 'out'"),
    ('{"class": "nn.layers.Linear", "args": {"a": 1}}', "must be a list and a table"),
    ('{"class": "nn.layers.Linear", "args": [1, 1], "kwargs": [1]}', "must be a list and"),
    ('{"class": "nn.layers.Linear", "args": [1.0, 1]}', "in_features must be a positive"),
    ('{"class": "nn.layers.Linear", "args": [true, 1]}', "in_features must be a positive"),
    ('{"class": "nn.layers.MLP", "args": [2, 3]}', "nouts must be a non-empty list"),
    ('{"class": "nn.layers.MLP", "args": [2, []]}', "nouts must be a non-empty list"),
    ('{"class": "nn.layers.MLP", "args": [2, [2, 1], "nope"]}', "unknown activation 'nope'"),
    ('{"class": "nn.layers.MLP", "args": [2, [2, 1], 7]}', "activation must be a name"),
    ('{"class": "nn.layers.Layer", "args": [2, 1], "kwargs": {"nin": 3}}', "multiple values"),
    ('{"class": "nn.activations.ReLU", "args": [1]}', "ReLU takes no arguments"),
    ('{"class": "nn.regularization.Dropout", "args": [0.5]}', r"\(Dropout\) with 0 param"),
    ('{"class": "nn.layers.Linear", "args": [1, 1], "kwargs": {"generator": "seed"}}',
     "generator must be a numpy Generator"),
    ('{"class": "nn.layers.Linear", "args": [1, 1], "kwargs": {"generator": -1}}',
     "cannot rebuild nn.layers.Linear"),
    ('{"class": 7}', "does not record how to build its model"),
    ("null", "does not record how to build its model"),
])
def test_bad_constructor_records_are_refused_naming_the_problem(tmp_path, config, words):
    state = {"weight.0.0": 0.5, "bias.0": 0.25}
    path = write(tmp_path, HEAD + f'"model": {config}, "state": {json.dumps(state)}}}')
    with pytest.raises(nn.ModelFileError, match=words):
        nn.load(path)


BUILDERS: list[tuple[str, list, dict]] = [
    ("nn.layers.MLP", [2, [3, 3, 1]], {"activation": "prelu"}),
    ("nn.layers.MLP", [3, [1]], {"activation": "not checked without hidden layers"}),
    ("nn.layers.Layer", [2, 3], {"activation": "swish", "generator": 1}),
    ("nn.layers.Neuron", [3], {"nonlin": False}),
    ("nn.layers.Neuron", [2], {"activation": "PReLU"}),
    ("nn.layers.Linear", [2, 3], {"bias": False}),
    ("nn.layers.Maxout", [2, 3], {"k": 3}),
    ("nn.layers.Sequential", [], {}),
    ("nn.regularization.BatchNorm1d", [3], {"affine": False}),
    ("nn.regularization.BatchNorm1d", [3], {"bias": False, "track_running_stats": False}),
    ("nn.regularization.Dropout", [0.3], {"generator": 4}),
    ("nn.activations.PReLU", [4], {}),
    ("nn.activations.Swish", [2.0], {"learnable": True}),
    ("nn.activations.Hardtanh", [-2, 2], {}),
    ("nn.losses.HuberLoss", [], {"delta": 2.0}),
]


@pytest.mark.parametrize("name, args, kwargs", BUILDERS, ids=[f"{b[0]}{b[1]}" for b in BUILDERS])
def test_every_rebuildable_kind_round_trips(tmp_path, name, args, kwargs):
    model = serialization.REBUILDABLE[name](*args, **kwargs)
    nn.save(model, tmp_path / "m.json")
    again = nn.load(tmp_path / "m.json")
    assert type(again) is type(model) and again is not model
    assert again.state_dict() == model.state_dict()


def test_a_file_naming_the_old_hard_tanh_class_loads_as_hardtanh(tmp_path):
    # what older versions wrote for nn.HardTanh(), the course's copy of Hardtanh(-1, 1)
    config = '{"class": "nn.activations.HardTanh", "args": [], "kwargs": {}}'
    path = write(tmp_path, HEAD + f'"model": {config}, "state": {{}}}}')
    model = nn.load(path)
    assert type(model) is nn.Hardtanh and (model.min_val, model.max_val) == (-1.0, 1.0)
    assert [model(x).data for x in (-3.0, 0.5, 2.0)] == [-1.0, 0.5, 1.0]
    nn.save(model, tmp_path / "again.json")  # written again under the one name there is now
    assert json.loads((tmp_path / "again.json").read_text())["model"]["class"] == (
        "nn.activations.Hardtanh")


sizes = st.integers(1, 4)
KINDS: dict[str, Callable[..., tuple[type, list, dict]]] = {
    "mlp": lambda d: (nn.MLP, [d.draw(sizes), d.draw(st.lists(sizes, min_size=1, max_size=3))],
                      {"activation": d.draw(st.sampled_from(["relu", "prelu", "swish"]))}),
    "layer": lambda d: (nn.Layer, [d.draw(sizes), d.draw(sizes)],
                        {"nonlin": d.draw(st.booleans()), "activation": "prelu"}),
    "linear": lambda d: (nn.Linear, [d.draw(sizes), d.draw(sizes), d.draw(st.booleans())], {}),
    "maxout": lambda d: (nn.Maxout, [d.draw(sizes), d.draw(sizes), d.draw(sizes)], {}),
    "batchnorm": lambda d: (nn.BatchNorm1d, [d.draw(sizes)],
                            {"affine": d.draw(st.booleans()), "bias": d.draw(st.booleans()),
                             "track_running_stats": d.draw(st.booleans())}),
    "prelu": lambda d: (nn.PReLU, [d.draw(sizes)], {}),
    "swish": lambda d: (nn.Swish, [1.5, d.draw(st.booleans())], {}),
}


@given(st.sampled_from(sorted(KINDS)), st.data())
def test_the_arithmetic_count_equals_what_the_constructor_builds(kind, data):
    """The count ``load`` trusts before building is exactly the built model's state size."""
    cls, args, kwargs = KINDS[kind](data)
    assert serialization._count(cls, args, kwargs) == len(cls(*args, **kwargs).state_dict())


# --------------------------------------------------------------------------- saving


def temporaries(directory: Path) -> list[str]:
    return sorted(n for n in os.listdir(directory) if n.startswith(".model-"))


def test_save_through_a_symlink_replaces_the_file_it_points_to(tmp_path):
    (tmp_path / "real").mkdir()
    real = tmp_path / "real" / "model.json"
    nn.save(nn.Linear(1, 1, generator=0), real)
    link = tmp_path / "link.json"
    link.symlink_to(os.path.join("real", "model.json"))
    model = nn.Linear(1, 1, generator=1)
    nn.save(model, link)
    assert link.is_symlink() and os.readlink(link) == os.path.join("real", "model.json")
    assert nn.load(real).state_dict() == model.state_dict()
    assert temporaries(tmp_path) == [] and temporaries(tmp_path / "real") == []
    dangling = tmp_path / "dangling.json"
    dangling.symlink_to("real/new.json")  # followed like open(path, "w") follows it
    nn.save(model, dangling)
    assert dangling.is_symlink() and nn.load(tmp_path / "real" / "new.json").state_dict() == (
        model.state_dict())


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
@pytest.mark.parametrize("mode", [0o640, 0o604, 0o600, 0o666])
def test_save_keeps_the_mode_of_an_existing_file(tmp_path, mode):
    path = tmp_path / "m.json"
    path.write_text("old")
    os.chmod(path, mode)
    nn.save(nn.Linear(1, 1), path)
    assert stat.S_IMODE(path.stat().st_mode) == mode
    assert nn.load(path).num_parameters() == 2


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o027, 0o640), (0o002, 0o664)])
def test_save_creates_a_new_file_under_the_umask(tmp_path, umask, mode):
    old = os.umask(umask)
    try:
        nn.save(nn.Linear(1, 1), tmp_path / "m.json")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "m.json").stat().st_mode) == mode


KILLED_SAVE = """
import os, signal, sys
import nn
def die(fd):
    os.kill(os.getpid(), signal.SIGKILL)
os.fsync = die
nn.save(nn.Linear(2, 2, generator=5), sys.argv[1])
"""


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL and process ids")
def test_a_killed_save_leaves_the_old_file_and_the_next_save_removes_its_temporary(tmp_path):
    path = tmp_path / "model.json"
    old = nn.Linear(2, 2, generator=1)
    nn.save(old, path)
    killed = subprocess.run([sys.executable, "-c", KILLED_SAVE, str(path)], cwd=tmp_path,
                            env={**os.environ, "PYTHONPATH": ROOT}, capture_output=True,
                            timeout=60, check=False)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    orphans = temporaries(tmp_path)
    assert len(orphans) == 1 and orphans[0].endswith(".tmp")
    assert nn.load(path).state_dict() == old.state_dict()  # the target was never touched
    prefix = serialization._temporary_prefix("model.json")
    live = f"{prefix}{os.getppid()}-0000.tmp"  # a save in progress in a live process
    other = f"{serialization._temporary_prefix('other.json')}999999999-0000.tmp"
    for name in (live, other):
        (tmp_path / name).write_text("partial")
    new = nn.Linear(2, 2, generator=2)
    nn.save(new, path)
    assert nn.load(path).state_dict() == new.state_dict()
    assert temporaries(tmp_path) == sorted([live, other])


def test_save_errors_name_the_target_and_leave_nothing_behind(tmp_path, monkeypatch):
    missing = tmp_path / "no" / "such" / "m.json"
    with pytest.raises(FileNotFoundError) as info:
        nn.save(nn.Linear(1, 1), missing)
    assert info.value.filename == str(missing) and ".model-" not in str(info.value)
    assert "save: cannot write the model" in str(info.value)
    assert not (tmp_path / "no").exists()
    (tmp_path / "adir").mkdir()
    with pytest.raises(IsADirectoryError, match="save: the target is a directory") as info:
        nn.save(nn.Linear(1, 1), tmp_path / "adir")
    assert info.value.filename == str(tmp_path / "adir")
    path = tmp_path / "m.json"
    old = nn.Linear(1, 1, generator=3)
    nn.save(old, path)

    def disk_full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError) as info:
        nn.save(nn.Linear(1, 1, generator=4), path)
    assert info.value.errno == errno.ENOSPC and info.value.filename == str(path)
    assert "No space left on device" in str(info.value) and ".model-" not in str(info.value)

    def interrupted(fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        nn.save(nn.Linear(1, 1, generator=4), path)
    monkeypatch.undo()
    assert temporaries(tmp_path) == []
    assert nn.load(path).state_dict() == old.state_dict()


def test_save_refuses_bad_arguments_before_writing(tmp_path):
    with pytest.raises(TypeError, match="save: expected a Module, got dict"):
        nn.save({}, tmp_path / "m.json")
    with pytest.raises(TypeError, match="save: path must be a str or a path, got int"):
        nn.save(nn.Linear(1, 1), 5)
    model = nn.Linear(1, 1)
    model.bias[0].data = float("inf")
    with pytest.raises(ValueError, match="not finite"):
        nn.save(model, tmp_path / "m.json")
    assert os.listdir(tmp_path) == []


# --------------------------------------------------------------------------- fuzzing


def _bases() -> list[tuple[str, Callable[[int], nn.Module], bool]]:
    """(name, build(seed), rebuilt from the file?) for the saved models the fuzzer starts from."""
    return [
        ("mlp", lambda s: nn.MLP(2, [3, 2, 1], activation="tanh", generator=s), True),
        ("prelu mlp", lambda s: nn.MLP(3, [2, 1], activation="prelu", generator=s), True),
        ("batchnorm", lambda s: nn.BatchNorm1d(3, momentum=None), True),
        ("maxout", lambda s: nn.Maxout(2, 2, k=3, generator=s), True),
        ("linear", lambda s: nn.Linear(3, 2, generator=s), True),
        ("sequential", lambda s: nn.Sequential(
            nn.Linear(2, 3, generator=s), nn.BatchNorm1d(3), nn.ReLU(),
            nn.Linear(3, 2, generator=s + 1), nn.PReLU(2), nn.Tanh()), False),
    ]


BASES = _bases()


@functools.cache
def saved_text(index: int) -> str:
    """The file ``nn.save`` writes for base ``index``, with its BatchNorm statistics moved."""
    model = BASES[index][1](0)
    for module in model.modules():
        if isinstance(module, nn.BatchNorm1d):
            module.train()
            module([[0.0, 1.0, 2.0], [1.0, -1.0, 0.5], [2.0, 0.0, 0.0]])
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "m.json")
        nn.save(model, path)
        with open(path) as f:
            return f.read()


def paths_in(doc: object, prefix: tuple = ()) -> list[tuple]:
    """Every place in a parsed document (a key path), containers and leaves."""
    found = [prefix]
    if isinstance(doc, dict):
        for k, v in doc.items():
            found += paths_in(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            found += paths_in(v, (*prefix, i))
    return found


PLACEHOLDER = "\x00hostile\x00"
raw_values = st.one_of(
    st.sampled_from(["true", "false", "null", "NaN", "-Infinity", "1e999", "-1", "0", "[]", "{}",
                     '"relu"', "[[[[[[[[[[1]]]]]]]]]]", "[" * 3000 + "]" * 3000, "-0.0"]),
    st.integers(-(10**12), 10**12).map(str),
    st.integers(1, 12).map(lambda k: str(10**k)),  # resized: far larger layers
    st.integers(90, 5000).map(lambda n: "9" * n),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.lists(st.integers(0, 10**7), max_size=4).map(json.dumps),
)


@st.composite
def corrupted_files(draw: st.DrawFn) -> tuple[int, bytes]:
    """A real saved model, then one corruption: truncated, bytes replaced, a value replaced
    (by a hostile raw token), a parameter dropped or added, or the sizes scaled."""
    index = draw(st.integers(0, len(BASES) - 1))
    text = saved_text(index)
    how = draw(st.sampled_from(["truncate", "bytes", "value", "drop", "add", "resize"]))
    if how == "truncate":
        return index, text[: draw(st.integers(0, len(text) - 1))].encode()
    if how == "bytes":
        data = bytearray(text.encode())
        start = draw(st.integers(0, len(data) - 1))
        junk = draw(st.binary(min_size=1, max_size=8))
        data[start:start + len(junk)] = junk
        return index, bytes(data)
    doc = json.loads(text)
    if how == "value":
        place = draw(st.sampled_from(paths_in(doc)[1:]))
        parent = doc
        for key in place[:-1]:
            parent = parent[key]
        parent[place[-1]] = PLACEHOLDER
        dumped = json.dumps(doc).replace(json.dumps(PLACEHOLDER), draw(raw_values))
        return index, dumped.encode()
    state = doc["state"]
    if how == "drop":
        del state[draw(st.sampled_from(sorted(state)))]
    elif how == "add":
        state[draw(st.sampled_from(sorted(state))) + ".9"] = 0.5
    elif doc["model"] is not None:  # resize: every size argument times a factor
        factor = draw(st.sampled_from([0, 2, 1000, 10**6]))
        args = doc["model"]["args"]
        doc["model"]["args"] = [a * factor if isinstance(a, int) and not isinstance(a, bool)
                                else [n * factor for n in a] if isinstance(a, list) else a
                                for a in args]
    return index, json.dumps(doc).encode()


@given(corrupted_files(), st.booleans())
def test_fuzzed_model_files_give_a_model_or_model_file_error_in_bounded_memory(file, into):
    index, data = file
    name, build, rebuildable = BASES[index]
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "m.json"
        path.write_bytes(data)
        target = build(7) if into or not rebuildable else None
        before = target.state_dict() if target is not None else None
        result, peak = load_measured(path, target)
    assert peak < 32 * MB, (name, peak)
    if isinstance(result, nn.ModelFileError):
        assert str(path) in str(result) or repr(str(path)) in str(result)
        if target is not None:
            assert target.state_dict() == before  # all-or-nothing
    else:
        assert isinstance(result, nn.Module), (name, repr(result))
        assert target is None or result is target
        assert all(math.isfinite(v) for v in result.state_dict().values())
