"""PyTorch users' idioms in ``nn`` (issue 12): batches, the arguments torch code passes, and
the names it expects, each checked against PyTorch 2.13.

The last section runs three PyTorch training snippets twice: once with ``torch.nn`` /
``torch.optim`` and once with ``nn`` / ``nn.optim`` swapped in, from the same initial weights
(PyTorch's, copied into ours through ``load_state_dict``), and compares the loss of every
epoch and the final weights to 1e-12. Those need torch (``pip install torch==2.13.0``) and are
skipped, saying so, without it. The golden numbers of the loss tests come from
``tests/reference/torch_idioms.py`` (torch 2.13.0, CPU, float64).
"""

from __future__ import annotations

import copy
import json
import math
from collections import OrderedDict

import numpy as np
import pytest

import nn
import nn.functional as F
from autograd import Value
from nn.optim import SGD
from nn.utils import GradNorm, clip_grad_norm_, clip_grad_value_


def close(a, b, tol=1e-12):
    """|a - b| <= tol, relative for |b| > 1."""
    return abs(a - b) <= tol * max(1.0, abs(b))


def assert_nested_close(got, want, tol=1e-12):
    if isinstance(want, (list, tuple)):
        assert isinstance(got, (list, tuple)) and len(got) == len(want), (got, want)
        for g, w in zip(got, want, strict=True):
            assert_nested_close(g, w, tol)
    else:
        assert close(got, want, tol), (got, want)


def data_of(x):
    """The data of a Value, or of nested lists of them."""
    return [data_of(v) for v in x] if isinstance(x, list) else x.data


# --- batches ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda: nn.MLP(3, [4, 2], generator=1),
        lambda: nn.MLP(3, [4, 1], activation="tanh", generator=2),
        lambda: nn.Linear(3, 2, generator=3),
        lambda: nn.Layer(3, 1, generator=4),
        lambda: nn.Neuron(3, generator=5),
        lambda: nn.Maxout(3, 2, k=2, generator=6),
        lambda: nn.Sequential(nn.Linear(3, 4, generator=7), nn.Tanh(), nn.Linear(4, 1, generator=8)),
    ],
    ids=["MLP", "MLP-one-output", "Linear", "Layer", "Neuron", "Maxout", "Sequential"],
)
def test_a_batch_gives_one_output_per_sample(make):
    model = make()
    X = np.random.default_rng(0).normal(size=(5, 3))
    one_by_one = [model(list(row)) for row in X.tolist()]
    for batch in (X, X.tolist(), [tuple(row) for row in X.tolist()]):
        out = model(batch)
        assert isinstance(out, list) and len(out) == 5
        assert data_of(out) == data_of(one_by_one)


def test_a_batch_has_the_gradients_of_its_samples_one_by_one():
    model = nn.MLP(2, [3, 1], generator=0)
    X, y = [[0.5, -1.0], [2.0, 0.25], [-0.3, 0.8]], [[1.0], [-1.0], [0.5]]
    nn.MSELoss(reduction="sum")(model(X), y).backward()
    batched = [p.grad for p in model.parameters()]
    model.zero_grad()
    for x, t in zip(X, y, strict=True):
        nn.MSELoss(reduction="sum")(model(x), t[0]).backward()
    assert all(close(a, b) for a, b in zip(batched, [p.grad for p in model.parameters()], strict=True))


def test_a_one_output_layer_feeds_a_one_input_layer_in_a_batch():
    model = nn.Sequential(nn.Linear(2, 1, generator=0), nn.ReLU(), nn.Linear(1, 3, generator=1))
    X = [[0.5, -1.0], [2.0, 0.25], [-0.3, 0.8]]
    out = model(X)
    assert [len(row) for row in out] == [3, 3, 3]
    assert data_of(out) == [data_of(model(x)) for x in X]
    one = nn.Linear(1, 2, generator=2)
    assert len(one([0.5])) == 2  # a list of one is one sample
    assert len(one([0.5, 1.5, -1.0])) == 3  # more than one number: a batch of one-feature samples


def test_a_numpy_sample_and_a_bad_batch():
    lin = nn.Linear(2, 2, generator=0)
    assert data_of(lin(np.array([0.5, -1.0]))) == data_of(lin([0.5, -1.0]))
    with pytest.raises(ValueError, match="Linear: expected an input of length 2, got length 3"):
        lin(np.zeros((4, 3)))


def test_losses_take_nested_flat_and_numpy_targets_alike():
    preds = [Value(0.5), Value(-1.0), Value(2.0)]
    flat = [1.0, 0.0, 1.5]
    for loss in (nn.MSELoss(), nn.L1Loss(), nn.HuberLoss(), nn.BCEWithLogitsLoss()):
        want = loss(preds, flat).data
        assert loss(preds, [[t] for t in flat]).data == want
        assert loss(preds, np.array(flat).reshape(3, 1)).data == want
        assert loss(np.array(preds, dtype=object), np.array(flat)).data == want
        assert loss([[p] for p in preds], flat).data == want
    with pytest.raises(ValueError, match="mse_loss: one prediction but 2 targets"):
        F.mse_loss(0.5, [[1.0], [2.0]])
    ce = nn.CrossEntropyLoss()
    logits = [[0.1, 2.0, -1.0], [1.5, 0.2, 0.3]]
    assert ce(logits, [[1], [0]]).data == ce(logits, [1, 0]).data == ce(logits, np.array([1, 0])).data


# --- arguments torch code passes ---------------------------------------------------------------


def test_zero_grad_set_to_none_lets_backward_write_fresh_gradients():
    model = nn.Linear(2, 1, generator=0)
    x = [1.5, -2.0]
    model(x).backward()
    first = [p.grad for p in model.parameters()]
    model.zero_grad(set_to_none=True)
    assert all(p.grad is None for p in model.parameters())
    model(x).backward()
    assert [p.grad for p in model.parameters()] == first  # written fresh, not added
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())
    with pytest.raises(TypeError, match="zero_grad: set_to_none must be True or False"):
        model.zero_grad(set_to_none="yes")


def test_a_parameter_without_gradient_is_skipped_by_the_optimizer_and_clipping():
    """PyTorch: after zero_grad(set_to_none=True) a parameter no backward reached keeps its
    value and its optimizer state (no momentum step, no weight decay)."""
    used, unused = Value(1.0), Value(2.0)
    opt = SGD([used, unused], lr=0.1, momentum=0.9, weight_decay=0.1)
    (used * unused).backward()
    opt.step()
    buffer = opt.state[unused]["momentum_buffer"]
    before = unused.data
    opt.zero_grad(set_to_none=True)
    assert used.grad is None and unused.grad is None
    (used * 3.0).backward()
    assert unused.grad is None
    assert clip_grad_norm_([used, unused], 1.0) == 3.0
    clip_grad_value_([used, unused], 0.5)
    assert used.grad == 0.5 and unused.grad is None
    opt.step()
    assert unused.data == before and opt.state[unused]["momentum_buffer"] == buffer
    assert used.data != 1.0
    with pytest.raises(TypeError, match=r"SGD.zero_grad: set_to_none must be True or False"):
        opt.zero_grad(set_to_none=1)


def test_clip_grad_norm_returns_a_number_with_item():
    ps = [Value(0.0) for _ in range(2)]
    ps[0].grad, ps[1].grad = 3.0, 4.0
    norm = clip_grad_norm_(ps, max_norm=1.0)
    assert isinstance(norm, GradNorm) and isinstance(norm, float)
    assert norm == 5.0 and norm.item() == 5.0 and type(norm.item()) is float
    assert clip_grad_norm_([], 1.0).item() == 0.0


def test_softmax_and_log_softmax_take_dim():
    batch = [[0.5, -1.0, 2.0], [1.5, 0.25, -0.5]]
    rows = data_of(F.softmax(batch))
    assert data_of(F.softmax(batch, dim=1)) == data_of(F.softmax(batch, dim=-1)) == rows
    columns = data_of(F.softmax(batch, dim=0))
    by_hand = [data_of(F.softmax([row[j] for row in batch])) for j in range(3)]
    assert columns == [[by_hand[j][i] for j in range(3)] for i in range(2)]
    assert all(close(sum(column), 1.0) for column in zip(*columns, strict=True))
    assert data_of(F.log_softmax(batch, dim=-2)) == data_of(F.log_softmax(batch, dim=0))
    assert all(close(math.exp(a), b) for r, s in zip(data_of(F.log_softmax(batch, dim=0)), columns, strict=True)
               for a, b in zip(r, s, strict=True))
    assert data_of(F.softmax(batch[0], dim=0)) == data_of(F.softmax(batch[0], dim=None)) == rows[0]
    assert data_of(nn.LogSoftmax(dim=0)(batch)) == data_of(F.log_softmax(batch, dim=0))
    assert repr(nn.Softmax(dim=0)) == "Softmax(dim=0)" and repr(nn.Softmax()) == "Softmax()"
    with pytest.raises(IndexError, match=r"softmax: dim 1 is out of range for a 1-D input"):
        F.softmax(batch[0], dim=1)
    with pytest.raises(IndexError, match=r"log_softmax: dim 2 is out of range for a 2-D input"):
        F.log_softmax(batch, dim=2)
    with pytest.raises(TypeError, match="softmax: dim must be an int"):
        F.softmax(batch, dim=1.0)
    with pytest.raises(ValueError, match="rows of one length"):
        F.softmax([[1.0, 2.0], [3.0]], dim=0)
    with pytest.raises(IndexError, match="Softmax: dim 3 is out of range"):
        nn.Softmax(dim=3)


LOGITS = [[0.2, -1.3, 0.7, 2.1], [1.5, 0.1, -0.4, 0.0], [-2.0, 3.0, 0.5, -0.5]]
TARGETS = [2, 0, 1]
LOGP = [[-1.2, -0.3, -2.5, -4.0], [-0.1, -3.0, -2.0, -5.5], [-0.7, -0.9, -1.6, -2.2]]

# --- golden values: tests/reference/torch_idioms.py, torch 2.13.0 (CPU, float64) -------------
# (value, gradient of the sum of the values) of F.nll_loss(LOGP, TARGETS) for each reduction,
# and of F.cross_entropy(LOGITS, TARGETS, label_smoothing=epsilon) for (epsilon, reduction);
# "one sample" is cross_entropy(LOGITS[0], 1, label_smoothing=0.2).
NLL_GOLDEN = {
    "mean": (
        1.1666666666666667,
        [
            [0.0, 0.0, -0.3333333333333333, 0.0],
            [-0.3333333333333333, 0.0, 0.0, 0.0],
            [0.0, -0.3333333333333333, 0.0, 0.0],
        ],
    ),
    "sum": (
        3.5,
        [
            [0.0, 0.0, -1.0, 0.0],
            [-1.0, 0.0, 0.0, 0.0],
            [0.0, -1.0, 0.0, 0.0],
        ],
    ),
    "none": (
        [2.5, 0.1, 0.9],
        [
            [0.0, 0.0, -1.0, 0.0],
            [-1.0, 0.0, 0.0, 0.0],
            [0.0, -1.0, 0.0, 0.0],
        ],
    ),
}
SMOOTHING_GOLDEN = {
    (0.1, "mean"): (
        0.9247656122077746,
        [
            [0.026542393407897564, -0.0005515068402696096, -0.25083298082394073, 0.22484209425631282],
            [-0.10248252769148235, 0.04242885036288085, 0.022455487432385336, 0.03759818989621619],
            [-0.006326236344358469, -0.010453728574304258, 0.01611811361339908, 0.0006618513052637575],
        ],
    ),
    (0.1, "sum"): (
        2.774296836623324,
        [
            [0.07962718022369267, -0.0016545205208088332, -0.7524989424718221, 0.6745262827689383],
            [-0.3074475830744472, 0.1272865510886425, 0.06736646229715598, 0.11279456968864854],
            [-0.018978709033075407, -0.03136118572291302, 0.04835434084019722, 0.0019855539157912633],
        ],
    ),
    (0.1, "none"): (
        [1.784851911931382, 0.6019913283731954, 0.38745359631874665],
        [
            [0.07962718022369267, -0.0016545205208088332, -0.7524989424718221, 0.6745262827689383],
            [-0.3074475830744472, 0.1272865510886425, 0.06736646229715598, 0.11279456968864854],
            [-0.018978709033075407, -0.03136118572291302, 0.04835434084019722, 0.0019855539157912633],
        ],
    ),
    (0.35, "mean"): (
        1.2768489455411078,
        [
            [0.005709060074564232, -0.02138484017360294, -0.1883329808239407, 0.20400876092297948],
            [-0.039982527691482375, 0.02159551702954751, 0.0016221540990519986, 0.016764856562882853],
            [-0.0271595696776918, 0.05204627142569569, -0.004715219719934254, -0.020171482028069575],
        ],
    ),
    (0.35, "sum"): (
        3.8305468366233235,
        [
            [0.01712718022369268, -0.06415452052080883, -0.5649989424718221, 0.6120262827689383],
            [-0.1199475830744472, 0.06478655108864251, 0.004866462297155982, 0.05029456968864854],
            [-0.0814787090330754, 0.15613881427708698, -0.014145659159802773, -0.06051444608420873],
        ],
    ),
    (0.35, "none"): (
        [1.8536019119313818, 0.9019913283731953, 1.0749535963187467],
        [
            [0.01712718022369268, -0.06415452052080883, -0.5649989424718221, 0.6120262827689383],
            [-0.1199475830744472, 0.06478655108864251, 0.004866462297155982, 0.05029456968864854],
            [-0.0814787090330754, 0.15613881427708698, -0.014145659159802773, -0.06051444608420873],
        ],
    ),
    (1.0, "mean"): (
        2.1922656122077746,
        [
            [-0.04845760659210244, -0.07555150684026961, -0.0258329808239407, 0.14984209425631279],
            [0.12251747230851762, -0.032571149637119164, -0.05254451256761467, -0.03740181010378382],
            [-0.08132623634435847, 0.21454627142569566, -0.058881886386600926, -0.07433814869473625],
        ],
    ),
    (1.0, "sum"): (
        6.576796836623323,
        [
            [-0.14537281977630734, -0.22665452052080884, -0.0774989424718221, 0.44952628276893836],
            [0.36755241692555285, -0.0977134489113575, -0.15763353770284402, -0.11220543031135147],
            [-0.24397870903307542, 0.643638814277087, -0.1766456591598028, -0.22301444608420873],
        ],
    ),
    (1.0, "none"): (
        [2.0323519119313818, 1.6819913283731953, 2.8624535963187467],
        [
            [-0.14537281977630734, -0.22665452052080884, -0.0774989424718221, 0.44952628276893836],
            [0.36755241692555285, -0.0977134489113575, -0.15763353770284402, -0.11220543031135147],
            [-0.24397870903307542, 0.643638814277087, -0.1766456591598028, -0.22301444608420873],
        ],
    ),
    (0.2, "one sample"): (
        3.4123519119313825,
        [0.054627180223692694, -0.8266545205208089, 0.12250105752817794, 0.6495262827689385],
    ),
}


def value_and_grad(f, data):
    """f on ``data`` as Values; its value(s), and the gradient of their sum by backward()."""
    xs = [[Value(v) for v in row] for row in data] if isinstance(data[0], list) else \
        [Value(v) for v in data]
    out = f(xs)
    outs = out if isinstance(out, list) else [out]
    total = outs[0]
    for o in outs[1:]:
        total = total + o
    total.backward()
    grads = [[v.grad for v in row] for row in xs] if isinstance(xs[0], list) else \
        [v.grad for v in xs]
    return data_of(out), grads


@pytest.mark.parametrize("reduction", list(NLL_GOLDEN))
def test_nll_loss_value_and_gradient_match_pytorch(reduction):
    value, grad = NLL_GOLDEN[reduction]
    got = value_and_grad(lambda x: nn.NLLLoss(reduction=reduction)(x, TARGETS), LOGP)
    assert_nested_close(got, (value, grad))
    assert F.nll_loss(LOGP[0], 2).data == 2.5
    assert repr(nn.NLLLoss()) == "NLLLoss(reduction='mean')"


def test_nll_of_log_softmax_is_cross_entropy():
    xs = [[Value(v) for v in row] for row in LOGITS]
    a = nn.NLLLoss()(nn.LogSoftmax(dim=1)(xs), TARGETS)
    b = nn.CrossEntropyLoss()(xs, TARGETS)
    assert close(a.data, b.data)


@pytest.mark.parametrize("key", list(SMOOTHING_GOLDEN), ids=str)
def test_label_smoothing_cross_entropy_value_and_gradient_match_pytorch(key):
    epsilon, reduction = key
    if reduction == "one sample":
        got = value_and_grad(lambda x: F.cross_entropy(x, 1, label_smoothing=epsilon), LOGITS[0])
    else:
        loss = nn.CrossEntropyLoss(reduction=reduction, label_smoothing=epsilon)
        got = value_and_grad(lambda x: loss(x, TARGETS), LOGITS)
    assert_nested_close(got, SMOOTHING_GOLDEN[key])


def test_label_smoothing_is_checked_and_shown():
    assert repr(nn.CrossEntropyLoss(label_smoothing=0.1)) == (
        "CrossEntropyLoss(reduction='mean', label_smoothing=0.1)"
    )
    for bad in (-0.1, 1.5, math.nan):
        with pytest.raises(ValueError, match=r"label_smoothing must be between 0.0 and 1.0"):
            nn.CrossEntropyLoss(label_smoothing=bad)
        with pytest.raises(ValueError, match="cross_entropy: label_smoothing must be between"):
            F.cross_entropy(LOGITS, TARGETS, label_smoothing=bad)
    with pytest.raises(TypeError, match="label_smoothing must be a real number"):
        nn.CrossEntropyLoss(label_smoothing="0.1")


@pytest.mark.parametrize(
    ("call", "error", "pattern"),
    [
        (lambda: F.nll_loss(LOGP, [2, 0]), ValueError, r"^nll_loss: 3 samples but 2 targets"),
        (lambda: F.nll_loss(LOGP[0], 4), ValueError, r"^nll_loss: class index 4 is out of range"),
        (lambda: F.nll_loss(LOGP[0], 1.0), TypeError, r"^nll_loss: a target must be an integer"),
        (lambda: F.nll_loss(LOGP[0], [1, 2]), ValueError, r"^nll_loss: one sample .* 2 targets"),
        (lambda: F.nll_loss([[0.1, 0.2], [0.3]], [0, 0]), ValueError,
         r"^nll_loss: every sample needs the same number of classes"),
        (lambda: F.nll_loss(LOGP, TARGETS, reduction="avg"), ValueError, r"^nll_loss: reduction"),
    ],
)
def test_nll_loss_errors_name_the_function_and_the_value(call, error, pattern):
    with pytest.raises(error, match=pattern):
        call()


# --- containers and modules PyTorch code uses --------------------------------------------------


def test_sequential_from_an_ordered_dict_names_its_children():
    fc1, fc2 = nn.Linear(2, 3, generator=0), nn.Linear(3, 1, generator=1)
    model = nn.Sequential(OrderedDict([("fc1", fc1), ("act", nn.Tanh()), ("fc2", fc2)]))
    assert model.fc1 is fc1 and model[2] is fc2 and model[-1] is fc2 and len(model) == 3
    assert [n for n, _ in model.named_children()] == ["fc1", "act", "fc2"]
    assert list(model.state_dict())[:2] == ["fc1.weight.0.0", "fc1.weight.0.1"]
    assert "(act): Tanh()" in repr(model)
    head = model[:2]
    assert isinstance(head, nn.Sequential) and head.act is model.act
    assert [m for m in model] == [fc1, model.act, fc2]
    x = [0.5, -1.0]
    assert model(x).data == fc2(nn.Tanh()(fc1(x))).data
    model.append(nn.Sigmoid())
    assert [n for n, _ in model.named_children()][-1] == "3"
    assert nn.Sequential({"a": nn.ReLU()}).a is not None  # a plain dict keeps its order too
    with pytest.raises(AttributeError, match="has no attribute 'fc3'"):
        _ = model.fc3
    with pytest.raises(IndexError, match="Sequential: index 7 is out of range for 4 modules"):
        model[7]
    with pytest.raises(ValueError, match=r"contain no '.', got 'a.b'"):
        nn.Sequential(OrderedDict([("a.b", nn.ReLU())]))
    with pytest.raises(TypeError, match="Sequential: item 'x' is a int, not a Module"):
        nn.Sequential(OrderedDict([("x", 3)]))


def test_module_list_holds_modules_whose_parameters_the_owner_trains():
    class Blocks(nn.Module):
        def __init__(self):
            self.blocks = nn.ModuleList([nn.Linear(2, 2, generator=i) for i in range(2)])
            self.blocks.append(nn.Linear(2, 1, generator=9))

        def forward(self, x):
            for block in self.blocks:
                x = block(x)
            return x

    model = Blocks()
    names = [n for n, _ in model.named_parameters()]
    assert names[0] == "blocks.0.weight.0.0" and names[-1] == "blocks.2.bias.0"
    assert len(model.parameters()) == 2 * 6 + 3
    assert isinstance(model([1.0, 2.0]), Value)
    blocks = model.blocks
    assert len(blocks) == 3 and isinstance(blocks[1:], nn.ModuleList) and len(blocks[1:]) == 2
    blocks.insert(0, nn.Identity())
    assert isinstance(blocks[0], nn.Identity) and len(model.parameters()) == 15
    del blocks[0]
    blocks[0] = nn.Linear(2, 2, generator=5)
    assert blocks[0].weight[0][0].data == nn.Linear(2, 2, generator=5).weight[0][0].data
    assert len(nn.ModuleList().extend(blocks)) == 3
    with pytest.raises(NotImplementedError, match="ModuleList has no forward"):
        blocks([1.0, 2.0])
    with pytest.raises(TypeError, match="ModuleList: item 3 is a str, not a Module"):
        blocks.append("relu")
    with pytest.raises(TypeError, match="expected an iterable of Modules, got a single Linear"):
        blocks.extend(nn.Linear(2, 2, generator=0))


def test_identity_and_flatten():
    x = [[1.0, 2.0], [3.0, 4.0]]
    assert nn.Identity(54, unused="argument")(x) is x
    flatten = nn.Flatten()
    assert flatten(x) is x  # a batch of flat samples
    assert flatten([1.0, 2.0]) == [1.0, 2.0]  # one flat sample
    assert flatten([[[1, 2], [3, 4]], [[5, 6], [7, 8]]]) == [[1, 2, 3, 4], [5, 6, 7, 8]]
    assert flatten(np.arange(8.0).reshape(2, 2, 2)) == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert repr(flatten) == "Flatten(start_dim=1, end_dim=-1)"
    with pytest.raises(ValueError, match="Flatten: only start_dim=1, end_dim=-1"):
        nn.Flatten(start_dim=0)


def test_apply_visits_children_before_parents_as_pytorch():
    inner = nn.Sequential(nn.Linear(2, 2, generator=0), nn.ReLU())
    model = nn.Sequential(inner, nn.Linear(2, 1, generator=1))
    seen = []
    assert model.apply(seen.append) is model
    assert seen == [inner[0], inner[1], inner, model[1], model]

    def zero_biases(m):
        if isinstance(m, nn.Linear):
            nn.init.zeros_(m.bias)

    model.apply(zero_biases)
    assert all(b.data == 0.0 for m in (inner[0], model[1]) for b in m.bias)
    with pytest.raises(TypeError, match="apply: fn must be callable"):
        model.apply(None)


def test_new_modules_save_and_load(tmp_path):
    path = tmp_path / "m.json"
    for module in (nn.Identity(), nn.Flatten(), nn.NLLLoss(reduction="sum"),
                   nn.CrossEntropyLoss(label_smoothing=0.1), nn.Softmax(dim=0)):
        nn.save(module, path)
        assert repr(nn.load(path)) == repr(module)
    model = nn.Sequential(OrderedDict(fc=nn.Linear(2, 2, generator=0)))
    nn.save(model, path)
    target = nn.Sequential(OrderedDict(fc=nn.Linear(2, 2, generator=1)))
    assert nn.load(path, model=target).state_dict() == model.state_dict()
    holder = nn.ModuleList([nn.Linear(2, 1, generator=0)])
    nn.save(holder, path)
    with pytest.raises(nn.ModelFileError, match="pass model="):
        nn.load(path)
    empty = tmp_path / "empty.json"
    nn.save(nn.ModuleList(), empty)
    assert len(nn.load(empty)) == 0
    other = nn.ModuleList([nn.Linear(2, 1, generator=1)])
    assert nn.load(path, model=other).state_dict() == holder.state_dict()


# --- three PyTorch training snippets, run with torch and with nn ------------------------------


@pytest.fixture
def torch64():
    """torch in float64 with its random state forked, and nn's default generator kept."""
    torch = pytest.importorskip(
        "torch", reason="torch is not installed: these tests compare with PyTorch "
        "(pip install torch==2.13.0, or make test's export extra)")
    dtype = torch.get_default_dtype()
    state = nn.random.default_generator().bit_generator.state
    torch.set_default_dtype(torch.float64)
    try:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            yield torch
    finally:
        torch.set_default_dtype(dtype)
        nn.random.default_generator().bit_generator.state = state


def copy_weights(torch_model, model):
    """PyTorch's weights into ``model``, by name: ``0.weight`` (out x in) -> ``0.weight.i.j``."""
    model.load_state_dict(flat_state(torch_model))  # strict: the names must match exactly


def flat_state(torch_model):
    state = {}
    for name, tensor in torch_model.state_dict().items():
        array = tensor.detach().numpy()
        for index in np.ndindex(array.shape):
            state[".".join([name, *map(str, index)])] = float(array[index])
    return state


def assert_same_run(theirs, ours, torch_model, model):
    assert len(theirs) == len(ours)
    for epoch, (a, b) in enumerate(zip(theirs, ours, strict=True)):
        assert close(b, a), f"epoch {epoch}: {b} != {a} (torch)"
    want = flat_state(torch_model)
    got = model.state_dict()
    assert got.keys() == want.keys()
    assert all(close(got[k], want[k]) for k in want), "final weights differ"


def regression_model(nn):
    return nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1))


def train_regression(model, nn, optim, X, y, epochs=16):
    """PyTorch code: SGD with momentum and a StepLR schedule on a mean squared error."""
    criterion = nn.MSELoss()
    optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=5, gamma=0.5)
    losses = []
    for _epoch in range(epochs):
        optimizer.zero_grad()
        loss = criterion(model(X), y)
        loss.backward()
        optimizer.step()
        scheduler.step()
        losses.append(loss.item())
    return losses


def test_regression_with_momentum_and_step_lr_agrees_with_pytorch(torch64):
    torch = torch64
    rng = np.random.default_rng(1)
    X = rng.normal(size=(24, 3))
    y = (np.sin(X[:, :1]) + 0.5 * X[:, 1:2] * X[:, 2:3]).reshape(24, 1)
    torch_model = regression_model(torch.nn)
    model = regression_model(nn)
    copy_weights(torch_model, model)
    theirs = train_regression(torch_model, torch.nn, torch.optim, torch.tensor(X), torch.tensor(y))
    ours = train_regression(model, nn, nn.optim, X, y)  # numpy in, as PyTorch code has it
    assert_same_run(theirs, ours, torch_model, model)
    assert ours[-1] < 0.5 * ours[0]  # it trained


def classifier(nn):
    return nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 3))


def train_classifier(model, nn, optim, X, y, epochs=30):
    """PyTorch code: Adam, gradient clipping, ReduceLROnPlateau, label smoothing, apply()."""

    def zero_biases(m):
        if isinstance(m, nn.Linear):
            nn.init.zeros_(m.bias)

    model.apply(zero_biases)
    criterion = nn.CrossEntropyLoss(label_smoothing=0.05)
    optimizer = optim.Adam(model.parameters(), lr=0.05)
    scheduler = optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=1,
                                                     threshold=0.01)
    losses, norms, rates = [], [], []
    for _epoch in range(epochs):
        optimizer.zero_grad(set_to_none=True)
        loss = criterion(model(X), y)
        loss.backward()
        norm = nn.utils.clip_grad_norm_(model.parameters(), max_norm=0.5)
        optimizer.step()
        scheduler.step(loss.item())
        losses.append(loss.item())
        norms.append(norm.item())
        rates.append(optimizer.param_groups[0]["lr"])
    return losses, norms, rates


def test_classification_with_adam_plateau_and_clipping_agrees_with_pytorch(torch64):
    torch = torch64
    rng = np.random.default_rng(2)
    centres = np.array([[0.0, 2.0], [2.0, -1.0], [-2.0, -1.0]])
    labels = np.repeat(np.arange(3), 10)
    X = centres[labels] + rng.normal(scale=0.8, size=(30, 2))
    torch_model = classifier(torch.nn)
    model = classifier(nn)
    copy_weights(torch_model, model)
    theirs = train_classifier(torch_model, torch.nn, torch.optim, torch.tensor(X),
                              torch.tensor(labels))
    ours = train_classifier(model, nn, nn.optim, X, labels.tolist())
    assert_same_run(theirs[0], ours[0], torch_model, model)
    assert all(close(b, a) for a, b in zip(theirs[1], ours[1], strict=True))  # the norms before clipping
    assert ours[2] == theirs[2]  # the rates, cut on the same epochs
    assert max(ours[1]) > 0.5 and min(ours[2]) < 0.05  # clipping and the plateau both acted


def checkpoint_model(nn):
    from collections import OrderedDict

    return nn.Sequential(OrderedDict([
        ("fc1", nn.Linear(2, 8)), ("act", nn.Tanh()), ("fc2", nn.Linear(8, 3)),
        ("logp", nn.LogSoftmax(dim=1)),
    ]))


def make_training(model, optim):
    optimizer = optim.NAdam(model.parameters(), lr=0.01)
    scheduler = optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, total_steps=12)
    return optimizer, scheduler


def train_epochs(model, nn, optimizer, scheduler, X, y, epochs):
    criterion = nn.NLLLoss()
    losses = []
    for _epoch in range(epochs):
        optimizer.zero_grad()
        loss = criterion(model(X), y)
        loss.backward()
        optimizer.step()
        scheduler.step()
        losses.append(loss.item())
    return losses


def resumed_run(build, nn, optim, start, X, y, save_load):
    """Train 5 epochs, checkpoint, rebuild everything, load the checkpoint, train 7 more."""
    model = build(nn)
    model.load_state_dict(start)
    optimizer, scheduler = make_training(model, optim)
    losses = train_epochs(model, nn, optimizer, scheduler, X, y, 5)
    checkpoint = save_load({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                            "scheduler": scheduler.state_dict()})
    model = build(nn)  # fresh weights, overwritten by the checkpoint
    optimizer, scheduler = make_training(model, optim)
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    scheduler.load_state_dict(checkpoint["scheduler"])
    return losses + train_epochs(model, nn, optimizer, scheduler, X, y, 7), model


def test_checkpoint_and_resume_follow_the_uninterrupted_run_and_pytorch(torch64):
    torch = torch64
    rng = np.random.default_rng(3)
    X = rng.normal(size=(20, 2))
    labels = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5).astype(int)
    torch_model = checkpoint_model(torch.nn)
    torch_start = copy.deepcopy(torch_model.state_dict())
    start = flat_state(torch_model)

    optimizer, scheduler = make_training(torch_model, torch.optim)
    tx, ty = torch.tensor(X), torch.tensor(labels)
    theirs = train_epochs(torch_model, torch.nn, optimizer, scheduler, tx, ty, 12)

    model = checkpoint_model(nn)
    model.load_state_dict(start)
    optimizer, scheduler = make_training(model, nn.optim)
    ours = train_epochs(model, nn, optimizer, scheduler, X, labels, 12)
    assert_same_run(theirs, ours, torch_model, model)

    # our checkpoint goes through JSON, PyTorch's through a deep copy (what torch.save keeps)
    resumed, resumed_model = resumed_run(checkpoint_model, nn, nn.optim, start, X, labels,
                                         lambda c: json.loads(json.dumps(c)))
    assert resumed == ours  # bit for bit
    assert resumed_model.state_dict() == model.state_dict()
    torch_resumed, torch_resumed_model = resumed_run(
        checkpoint_model, torch.nn, torch.optim, torch_start, tx, ty, copy.deepcopy)
    assert torch_resumed == theirs
    assert_same_run(torch_resumed, resumed, torch_resumed_model, resumed_model)
