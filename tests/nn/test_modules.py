"""Modules and layers: parameters and their names, modes, state dicts, summary, saving, fit."""

from __future__ import annotations

import io
import json
import math
import random

import pytest

import nn
from autograd import Value, numeric_gradient


def test_micrograd_names_for_parameters():
    model = nn.MLP(2, [3, 1])
    names = [n for n, _ in model.named_parameters()]
    assert names[:3] == ["layers.0.neurons.0.w.0", "layers.0.neurons.0.w.1", "layers.0.neurons.0.b"]
    assert names[-1] == "layers.1.neurons.0.b"
    assert len(names) == len(model.parameters()) == 3 * 3 + 4
    assert all(isinstance(p, Value) for p in model.parameters())


def test_neuron_computes_activation_of_affine_map():
    n = nn.Neuron(2)
    n.w[0].data, n.w[1].data, n.b.data = 0.5, -1.0, 0.25
    assert n([2.0, 0.5]).data == 0.75
    assert n([0.0, 1.0]).data == 0.0  # relu
    linear = nn.Neuron(2, nonlin=False)
    linear.w[0].data, linear.w[1].data = 1.0, 1.0
    assert linear([-2.0, -3.0]).data == -5.0
    tanh = nn.Neuron(1, activation="tanh")
    tanh.w[0].data = 1.0
    assert tanh([0.5]).data == math.tanh(0.5)


def test_one_output_layer_returns_a_value_and_wrong_lengths_are_errors():
    layer = nn.Layer(3, 1)
    assert isinstance(layer([1, 2, 3]), Value)
    assert len(nn.Layer(3, 2)([1, 2, 3])) == 2
    with pytest.raises(ValueError, match="Layer: expected an input of length 3, got length 2"):
        layer([1, 2])
    with pytest.raises(ValueError, match="Linear: expected an input of length 2, got length 3"):
        nn.Linear(2, 4)([1, 2, 3])
    with pytest.raises(TypeError, match=r"MLP|Layer"):
        nn.MLP(2, [1])("ab")


def test_linear_matches_its_formula_and_pytorch_init_bounds():
    lin = nn.Linear(4, 3, generator=1)
    bound = 1 / math.sqrt(4)
    assert all(abs(p.data) <= bound for p in lin.parameters())
    x = [0.5, -1.0, 2.0, 0.0]
    out = lin(x)
    for j, o in enumerate(out):
        expected = lin.bias[j].data + sum(w.data * xi for w, xi in zip(lin.weight[j], x, strict=True))
        assert o.data == pytest.approx(expected, rel=1e-15)
    assert [n for n, _ in lin.named_parameters()][:2] == ["weight.0.0", "weight.0.1"]


def test_sequential_names_children_by_position():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    names = [n for n, _ in model.named_parameters()]
    assert names[0] == "0.weight.0.0" and names[-1] == "2.bias.0"
    assert isinstance(model([1.0, 2.0]), Value)
    assert "(1): ReLU()" in repr(model)
    with pytest.raises(TypeError, match="item 1 is a int"):
        nn.Sequential(nn.ReLU(), 3)


def test_maxout_takes_the_largest_piece_and_has_correct_gradients():
    m = nn.Maxout(2, 2, k=3, generator=0)
    x = [0.3, -0.7]
    out = m(x)
    for j in range(2):
        assert out[j].data == max(p(x)[j].data for p in m.pieces)

    def f(a, b):
        return sum(m([a, b]))

    vals = [Value(v) for v in x]
    f(*vals).backward()
    numeric = numeric_gradient(f, x)[0]
    assert [v.grad for v in vals] == pytest.approx(numeric, rel=1e-6)


def test_same_seed_same_model_and_default_generator_is_seeded():
    # micrograd's family draws from Python's random (as micrograd), the PyTorch family from nn's
    random.seed(3)
    a = [p.data for p in nn.MLP(2, [4, 1]).parameters()]
    random.seed(3)
    b = [p.data for p in nn.MLP(2, [4, 1]).parameters()]
    assert a == b
    c = [p.data for p in nn.MLP(2, [4, 1], generator=5).parameters()]
    d = [p.data for p in nn.MLP(2, [4, 1], generator=5).parameters()]
    assert c == d and c != a
    nn.manual_seed(3)
    e = [p.data for p in nn.Linear(2, 4).parameters()]
    nn.manual_seed(3)
    assert [p.data for p in nn.Linear(2, 4).parameters()] == e


def test_zero_grad_train_eval():
    model = nn.MLP(2, [2, 1])
    model([1.0, 2.0]).backward()
    assert any(p.grad != 0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0 for p in model.parameters())
    model.eval()
    assert all(not m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())


def test_state_dict_round_trip_and_all_or_nothing_load():
    a, b = nn.MLP(2, [3, 1], generator=1), nn.MLP(2, [3, 1], generator=2)
    b.load_state_dict(a.state_dict())
    assert a.state_dict() == b.state_dict()
    before = b.state_dict()
    broken = dict(a.state_dict())
    broken["layers.1.neurons.0.b"] = float("nan")
    with pytest.raises(ValueError, match="must be a finite number"):
        b.load_state_dict(broken)
    assert b.state_dict() == before
    with pytest.raises(KeyError, match="missing"):
        b.load_state_dict({"layers.0.neurons.0.w.0": 1.0})
    assert b.state_dict() == before


def test_summary_of_a_3_3_2_2_stack():
    model = nn.Sequential(nn.Linear(3, 3), nn.Linear(3, 2), nn.Linear(2, 2))
    out = io.StringIO()
    result = nn.summary(model, 3, file=out)
    assert [row[3] for row in result["layers"]] == [12, 8, 6]
    assert [row[2] for row in result["layers"]] == [3, 2, 2]
    assert result["total_params"] == 26
    assert "total parameters: 26" in out.getvalue()
    mlp = nn.summary(nn.MLP(2, [16, 16, 1]), 2, file=io.StringIO())
    assert mlp["total_params"] == 337
    assert [(n, o, p) for n, _, o, p in mlp["layers"]] == [
        ("layers.0", 16, 48), ("layers.1", 16, 272), ("layers.2", 1, 17)]
    same = nn.summary(nn.MLP(3, [3, 2, 2]), 3, file=io.StringIO())
    assert [row[3] for row in same["layers"]] == [12, 8, 6]
    lone = nn.summary(nn.Linear(3, 2), 3, file=io.StringIO())
    assert lone["layers"] == [("", "Linear", 2, 8)]


def test_save_load_round_trips_bit_exactly(tmp_path):
    model = nn.MLP(2, [4, 4, 1], activation="tanh", generator=7)
    path = tmp_path / "model.json"
    nn.save(model, path)
    again = nn.load(path)
    assert type(again) is nn.MLP
    assert again.state_dict() == model.state_dict()  # == on floats: bit-exact
    x = [0.3, -0.2]
    assert again(x).data == model(x).data
    other = nn.MLP(2, [4, 4, 1], activation="tanh", generator=8)
    assert nn.load(path, model=other) is other and other.state_dict() == model.state_dict()


def test_loading_does_not_move_the_default_random_stream(tmp_path):
    path = tmp_path / "m.json"
    # Linear draws from nn's generator; MLP, micrograd's family, from Python's random
    for seed, build in ((nn.manual_seed, lambda: nn.Linear(2, 3)),
                        (random.seed, lambda: nn.MLP(2, [3, 1]))):
        nn.save(build(), path)
        seed(11)
        expected = build().state_dict()
        seed(11)
        nn.load(path)
        assert build().state_dict() == expected


@pytest.mark.parametrize(
    "content, message",
    [
        ("", "not a saved model, or is truncated"),
        ('{"format": "backprop-course/model", "version": 1, "state": {"a": ', "truncated"),
        ("[1, 2, 3]", "no 'backprop-course/model' tag"),
        ('{"format": "other"}', "no 'backprop-course/model' tag"),
        ('{"format": "backprop-course/model", "version": 99, "state": {}}', "format version 99"),
        (('{"format": "backprop-course/model", "version": 1, "model": '
          '{"class": "os.system", "args": ["echo hi"]}, "state": {}}'), "not an nn class"),
    ],
)
def test_bad_files_raise_clear_errors_and_leave_the_model_alone(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content)
    model = nn.MLP(2, [2, 1], generator=3)
    before = model.state_dict()
    with pytest.raises(nn.ModelFileError, match=message):
        nn.load(path, model=model if "os.system" not in content else None)
    assert model.state_dict() == before


def test_mismatched_file_and_missing_file(tmp_path):
    path = tmp_path / "small.json"
    nn.save(nn.MLP(2, [2, 1]), path)
    big = nn.MLP(2, [3, 1], generator=4)
    before = big.state_dict()
    with pytest.raises(nn.ModelFileError, match="does not fit MLP"):
        nn.load(path, model=big)
    assert big.state_dict() == before
    with pytest.raises(FileNotFoundError, match="no saved model"):
        nn.load(tmp_path / "nothing.json")
    doc = json.loads(path.read_text())
    assert doc["version"] == 1 and doc["model"]["class"] == "nn.layers.MLP"


def test_fit_trains_and_reports_history():
    X, y = nn.data.xor()
    model = nn.MLP(2, [4, 1], activation="sigmoid", generator=0)
    opt = nn.optim.Adam(model.parameters(), lr=0.1)
    history = nn.fit(model, nn.MSELoss(), opt, (X, y), epochs=200, progress=False,
                     metrics={"accuracy": nn.accuracy})
    assert len(history["loss"]) == 200 and history["loss"][-1] < 0.01
    assert history["accuracy"][-1] == 1.0 and history["lr"] == [0.1] * 200


def test_fit_stops_on_a_non_finite_loss_before_stepping():
    X, y = [[1.0], [2.0]], [1e200, 1e200]
    model = nn.Linear(1, 1, generator=0)
    opt = nn.optim.SGD(model.parameters(), lr=1.0)
    with pytest.raises(nn.NonFiniteLossError, match="epoch 1, iteration 1") as info:
        nn.fit(model, nn.MSELoss(), opt, (X, y), epochs=3, progress=False)
    assert info.value.history["loss"] == []
