"""``nn.export``: every supported layer and activation to PyTorch and back, against PyTorch itself.

For each case the exported ``torch.nn.Module`` must give the same outputs on
a random float64 batch (to 1e-12), the same gradients with respect to the
input and to every parameter after one backward pass of the sum of the
outputs, and the same running statistics; and ``from_torch(to_torch(m))``
must be exact: the same weights bit for bit and the very same outputs.
Needs torch (the ``export`` extra, which ``make test`` installs); skipped
with the reason when it is not importable.
"""

from __future__ import annotations

import subprocess
import sys
from collections import OrderedDict

import numpy as np
import pytest

import nn
from autograd import Value

torch = pytest.importorskip(
    "torch", reason="torch is not importable: install the 'export' extra (make test does)"
)
tnn = torch.nn
E = nn.export

RTOL = ATOL = 1e-12


def jitter(model: nn.Module, seed: int) -> nn.Module:
    """Random parameters and running statistics, so that no weight is a default 1, 0 or 0.25."""
    rng = np.random.default_rng(seed)
    for p in model.parameters():
        p.data = float(rng.normal())
    for m in model.modules():
        if isinstance(m, nn.BatchNorm1d) and m.track_running_stats:
            m.running_mean = [float(v) for v in rng.normal(size=m.num_features)]
            m.running_var = [float(v) for v in rng.uniform(0.5, 2.0, m.num_features)]
            m.num_batches_tracked = 3
    return model


def bn_sequential() -> nn.Module:
    return nn.Sequential(nn.Linear(3, 4, generator=1), nn.BatchNorm1d(4), nn.ReLU(),
                         nn.Dropout(0.5), nn.Linear(4, 2, generator=2)).eval()


def named_sequential_training() -> nn.Module:
    return nn.Sequential(OrderedDict(fc=nn.Linear(3, 4, generator=3), bn=nn.BatchNorm1d(4),
                                     act=nn.Tanh()))


def prelu_layer() -> nn.Module:
    return nn.Layer(3, 4, activation="prelu", generator=4)  # four neurons, a PReLU each


# id: (our module, the torch class it becomes, the class it comes back as)
CASES = {
    "Linear": (lambda: nn.Linear(3, 4, generator=5), tnn.Linear, nn.Linear),
    "Linear-no-bias": (lambda: nn.Linear(3, 2, bias=False, generator=6), tnn.Linear, nn.Linear),
    "Neuron": (lambda: nn.Neuron(3, generator=7), tnn.Sequential, nn.Sequential),
    "Neuron-linear": (lambda: nn.Neuron(3, nonlin=False, generator=8), tnn.Linear, nn.Linear),
    "Layer-tanh": (lambda: nn.Layer(3, 4, activation="tanh", generator=9), tnn.Sequential,
                   nn.Sequential),
    "Layer-prelu": (prelu_layer, tnn.Sequential, nn.Sequential),
    "MLP-relu": (lambda: nn.MLP(3, [4, 4, 2], generator=10), tnn.Sequential, nn.Sequential),
    "MLP-sigmoid": (lambda: nn.MLP(3, [5, 1], activation="sigmoid", generator=11),
                    tnn.Sequential, nn.Sequential),
    "Maxout": (lambda: nn.Maxout(3, 2, k=3, generator=12), E.Maxout, nn.Maxout),
    "Sequential-BatchNorm1d-Dropout-eval": (bn_sequential, tnn.Sequential, nn.Sequential),
    "Sequential-named-training": (named_sequential_training, tnn.Sequential, nn.Sequential),
    "BatchNorm1d-eval": (lambda: nn.BatchNorm1d(3).eval(), tnn.BatchNorm1d, nn.BatchNorm1d),
    "BatchNorm1d-training": (lambda: nn.BatchNorm1d(3, momentum=0.3), tnn.BatchNorm1d,
                             nn.BatchNorm1d),
    "BatchNorm1d-cumulative-no-affine": (lambda: nn.BatchNorm1d(3, momentum=None, affine=False),
                                         tnn.BatchNorm1d, nn.BatchNorm1d),
    "BatchNorm1d-no-bias-eval": (lambda: nn.BatchNorm1d(3, eps=1e-3, bias=False).eval(),
                                 tnn.BatchNorm1d, nn.BatchNorm1d),
    "BatchNorm1d-batch-stats-eval": (
        lambda: nn.BatchNorm1d(3, track_running_stats=False).eval(), tnn.BatchNorm1d,
        nn.BatchNorm1d),
    "Dropout-eval": (lambda: nn.Dropout(0.3).eval(), tnn.Dropout, nn.Dropout),
    "Identity": (nn.Identity, tnn.Identity, nn.Identity),
    "Flatten": (nn.Flatten, tnn.Flatten, nn.Flatten),
    "Sigmoid": (nn.Sigmoid, tnn.Sigmoid, nn.Sigmoid),
    "Tanh": (nn.Tanh, tnn.Tanh, nn.Tanh),
    "Hardsigmoid": (nn.Hardsigmoid, tnn.Hardsigmoid, nn.Hardsigmoid),
    "Hardtanh": (lambda: nn.Hardtanh(-0.5, 1.5), tnn.Hardtanh, nn.Hardtanh),
    "Hardtanh-course": (lambda: nn.get_activation("hard_tanh"), tnn.Hardtanh, nn.Hardtanh),
    "HardLogistic-course": (nn.HardLogistic, E.HardLogistic, nn.HardLogistic),
    "ReLU": (nn.ReLU, tnn.ReLU, nn.ReLU),
    "LeakyReLU": (lambda: nn.LeakyReLU(0.2), tnn.LeakyReLU, nn.LeakyReLU),
    "PReLU-shared": (nn.PReLU, tnn.PReLU, nn.PReLU),
    "PReLU-per-unit": (lambda: nn.PReLU(3), tnn.PReLU, nn.PReLU),
    "ELU": (lambda: nn.ELU(0.7), tnn.ELU, nn.ELU),
    "Softplus": (lambda: nn.Softplus(2.0, 3.0), tnn.Softplus, nn.Softplus),
    "SiLU": (nn.SiLU, tnn.SiLU, nn.SiLU),
    "Swish-1": (nn.Swish, tnn.SiLU, nn.SiLU),
    "Swish-beta": (lambda: nn.Swish(1.7), E.Swish, nn.Swish),
    "Swish-learnable": (lambda: nn.Swish(0.8, learnable=True), E.Swish, nn.Swish),
    "GELU": (nn.GELU, tnn.GELU, nn.GELU),
    "GELU-tanh": (lambda: nn.GELU("tanh"), tnn.GELU, nn.GELU),
    "GELU-sigmoid-course": (lambda: nn.GELU("sigmoid"), E.SigmoidGELU, nn.GELU),
    "LogSigmoid": (nn.LogSigmoid, tnn.LogSigmoid, nn.LogSigmoid),
    "Softmax": (nn.Softmax, tnn.Softmax, nn.Softmax),
    "Softmax-dim0": (lambda: nn.Softmax(dim=0), tnn.Softmax, nn.Softmax),
    "LogSoftmax": (nn.LogSoftmax, tnn.LogSoftmax, nn.LogSoftmax),
    "LogSoftmax-dim0": (lambda: nn.LogSoftmax(dim=0), tnn.LogSoftmax, nn.LogSoftmax),
}


def build(case: str) -> nn.Module:
    return jitter(CASES[case][0](), seed=sorted(CASES).index(case))


def batch(seed: int = 0) -> np.ndarray:
    """Six samples of three features, spread over every activation's kinks and saturations."""
    return np.random.default_rng(seed).normal(scale=2.0, size=(6, 3))


def run_ours(model: nn.Module, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Outputs (samples x outputs) and d sum(outputs) / d X, by our backward pass."""
    xs = [[Value(float(v)) for v in row] for row in X]
    rows = [r if isinstance(r, list) else [r] for r in model(xs)]
    sum(v for r in rows for v in r).backward()
    outputs = np.array([[v.data for v in r] for r in rows])
    return outputs, np.array([[x.grad for x in r] for r in xs])


def run_torch(module: tnn.Module, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x = torch.tensor(X, dtype=torch.float64, requires_grad=True)
    out = module(x)
    out.sum().backward()
    return out.detach().numpy().reshape(len(X), -1), x.grad.numpy()


def assert_close(ours, theirs, what: str) -> None:
    ours, theirs = np.asarray(ours, dtype=float), np.asarray(theirs, dtype=float)
    assert ours.shape == theirs.shape, (what, ours.shape, theirs.shape)
    assert np.all(np.abs(ours - theirs) <= ATOL + RTOL * np.abs(theirs)), (what, ours, theirs)


@pytest.mark.parametrize("case", list(CASES))
def test_to_torch_gives_the_same_outputs_gradients_and_statistics(case):
    model = build(case)
    module = E.to_torch(model)
    assert type(module) is CASES[case][1]
    assert all(p.dtype == torch.float64 for p in module.parameters())
    assert [m.training for m in module.modules()] == [m.training for m in
                                                      E.to_torch(model).modules()]
    X = batch()
    theirs, their_input_grad = run_torch(module, X)
    ours, our_input_grad = run_ours(model, X)
    assert_close(ours, theirs, "outputs")
    assert_close(our_input_grad, their_input_grad, "d sum / d input")

    with_grads = E.to_torch(model, grads=True)  # our gradients and statistics, in torch's names
    ours_by_name = dict(with_grads.named_parameters())
    theirs_by_name = dict(module.named_parameters())
    assert ours_by_name.keys() == theirs_by_name.keys()
    for name, p in theirs_by_name.items():
        assert_close(ours_by_name[name].grad, p.grad, f"grad of {name}")
    ours_state, theirs_state = with_grads.state_dict(), module.state_dict()
    assert ours_state.keys() == theirs_state.keys()
    for name, value in theirs_state.items():  # running statistics moved alike in training mode
        assert_close(ours_state[name], value, name)


@pytest.mark.parametrize("case", list(CASES))
def test_round_trip_is_exact(case):
    model = build(case)
    module = E.to_torch(model)
    back = E.from_torch(module)
    assert type(back) is CASES[case][2]
    again = E.to_torch(back)
    assert [type(m) for m in again.modules()] == [type(m) for m in module.modules()]
    assert [m.training for m in again.modules()] == [m.training for m in module.modules()]
    before, after = module.state_dict(), again.state_dict()
    assert before.keys() == after.keys()
    assert all(torch.equal(before[k], after[k]) for k in before)
    X = batch(1)
    outputs, input_grads = run_ours(model, X)
    outputs_back, input_grads_back = run_ours(back, X)
    np.testing.assert_array_equal(outputs_back, outputs)
    np.testing.assert_array_equal(input_grads_back, input_grads)


def test_hyperparameters_survive_the_round_trip():
    model = nn.Sequential(nn.LeakyReLU(0.3), nn.ELU(0.4), nn.Softplus(3.0, 7.0),
                          nn.Hardtanh(-2.0, 0.5), nn.GELU("tanh"), nn.Swish(2.5),
                          nn.BatchNorm1d(2, eps=0.01, momentum=None, affine=False))
    back = E.from_torch(E.to_torch(model))
    assert repr(back) == repr(model)


def test_a_module_list_round_trips_its_parameters():
    blocks = jitter(nn.ModuleList([nn.Linear(2, 3, generator=1), nn.PReLU(3)]), seed=3)
    module = E.to_torch(blocks)
    assert type(module) is tnn.ModuleList
    assert [type(m) for m in module] == [tnn.Linear, tnn.PReLU]
    back = E.from_torch(module)
    assert type(back) is nn.ModuleList
    assert back.state_dict() == blocks.state_dict()


def test_from_torch_of_a_model_built_in_torch():
    torch.manual_seed(0)
    module = tnn.Sequential(tnn.Linear(3, 5), tnn.BatchNorm1d(5), tnn.SiLU(), tnn.Dropout(0.2),
                            tnn.Linear(5, 4), tnn.PReLU(4), tnn.Linear(4, 2),
                            tnn.LogSoftmax(dim=1)).double()
    with torch.no_grad():
        for _ in range(3):  # running statistics that are not the initial 0 and 1
            module(torch.randn(8, 3, dtype=torch.float64))
    module.eval()
    model = E.from_torch(module)
    assert [type(m).__name__ for m in model] == ["Linear", "BatchNorm1d", "SiLU", "Dropout",
                                                 "Linear", "PReLU", "Linear", "LogSoftmax"]
    assert not any(m.training for m in model.modules())
    X = batch(2)
    theirs, their_input_grad = run_torch(module, X)
    ours, our_input_grad = run_ours(model, X)
    assert_close(ours, theirs, "outputs")
    assert_close(our_input_grad, their_input_grad, "d sum / d input")


def test_from_torch_reads_float32_weights_exactly_and_grads_on_request():
    torch.manual_seed(1)
    module = tnn.Linear(3, 2)  # float32, as PyTorch makes it by default
    module(torch.randn(4, 3)).sum().backward()
    model = E.from_torch(module, grads=True)
    np.testing.assert_array_equal([[w.data for w in row] for row in model.weight],
                                  module.weight.detach().double().numpy())
    np.testing.assert_array_equal([[w.grad for w in row] for row in model.weight],
                                  module.weight.grad.double().numpy())
    assert [b.grad for b in E.from_torch(tnn.Linear(2, 2), grads=True).bias] == [0.0, 0.0]


def test_to_torch_leaves_the_model_alone_and_owns_its_tensors():
    model = build("MLP-relu")
    state = model.state_dict()
    module = E.to_torch(model)
    with torch.no_grad():
        for p in module.parameters():
            p.add_(1.0)
    assert model.state_dict() == state


def test_training_flags_are_copied_module_by_module():
    model = nn.Sequential(nn.Linear(2, 2, generator=0), nn.Dropout(0.5).eval(), nn.BatchNorm1d(2))
    module = E.to_torch(model)
    assert [m.training for m in module] == [True, False, True]
    module[2].eval()
    assert [m.training for m in E.from_torch(module)] == [True, False, False]


class Net(nn.Module):
    def __init__(self):
        self.fc = nn.Linear(2, 2, generator=0)

    def forward(self, x):
        return self.fc(x)


class MyLinear(nn.Linear):
    pass


def test_unsupported_modules_are_refused_by_name():
    with pytest.raises(TypeError, match=r"to_torch: cannot convert test_export\.Net: .*forward"):
        E.to_torch(Net())
    with pytest.raises(TypeError, match=r"convert test_export\.MyLinear: it subclasses nn\.Linear"):
        E.to_torch(MyLinear(2, 2, generator=0))
    with pytest.raises(TypeError, match=r"to_torch: expected an nn\.Module of this course, got str"):
        E.to_torch("model")
    with pytest.raises(TypeError, match=r"from_torch: cannot convert torch\.nn\.Conv1d: .*Supp"):
        E.from_torch(tnn.Sequential(tnn.Linear(2, 2), tnn.Conv1d(1, 1, 1)))
    with pytest.raises(TypeError, match=r"torch\.nn\.ReLU6: it subclasses torch\.nn\.Hardtanh"):
        E.from_torch(tnn.ReLU6())
    with pytest.raises(TypeError, match=r"from_torch: expected a torch\.nn\.Module, got list"):
        E.from_torch([tnn.ReLU()])


def test_a_layer_of_neurons_with_different_activations_is_refused():
    layer = nn.Layer(2, 2, generator=0)
    layer.neurons[1].act = nn.Tanh()
    with pytest.raises(ValueError, match="neurons of Layer have different activations"):
        E.to_torch(layer)


def test_unsupported_settings_are_refused_by_the_course_module():
    with pytest.raises(ValueError, match="Flatten: only start_dim=1, end_dim=-1"):
        E.from_torch(tnn.Flatten(0))


def test_importing_nn_does_not_import_torch():
    code = ("import sys, nn; assert 'torch' not in sys.modules, 'import nn imported torch'; "
            "nn.export.to_torch; assert 'torch' in sys.modules")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stderr
