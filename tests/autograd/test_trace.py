"""Tapes: ``autograd.trace`` replayed on numpy batches equals the scalar engine, sample by sample.

Values and gradients must agree to 1e-12 (``close``) for every primitive (the
domains of ``test_primitives.TEST_TABLE``), for the nn modules and losses and
for random expressions, in both plans (fused and plain). What a tape cannot
replay faithfully must be refused with a clear error.
"""

from __future__ import annotations

import itertools
import math
import operator

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_primitives import TEST_TABLE

import nn
import nn.functional as F
from autograd import (
    BranchError,
    DivisionByZero,
    DomainError,
    NumericOverflow,
    OpError,
    TapeCache,
    TracedFloat,
    TraceError,
    Value,
    grad,
    no_grad,
    trace,
)
from autograd.primitives import ARRAYS, FLOATS, TABLE, Op, Primitive
from autograd.testing import expressions, floats_in

BOTH_PLANS = pytest.mark.parametrize("fuse", [True, False], ids=["fused", "plain"])


def close(a: float, b: float, tol: float = 1e-12) -> bool:
    return abs(a - b) <= tol + tol * abs(b)


def assert_close(got, expected, what: str, tol: float = 1e-12) -> None:
    got, expected = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
    assert got.shape == expected.shape, (what, got.shape, expected.shape)
    for index in np.ndindex(got.shape):
        assert close(got[index], expected[index], tol), (what, index, got[index], expected[index])


def scalar_reference(f, batch, params=()):
    """Per sample: f's value, its gradient for each input, and the summed gradient per parameter."""
    values, input_grads = [], []
    param_grads = np.zeros(len(params))
    for sample in batch:
        xs = [Value(float(v)) for v in sample]
        out = f(*xs)
        gs = grad(out, xs + list(params))
        values.append(out.data)
        input_grads.append(gs[: len(xs)])
        param_grads += gs[len(xs):]
    return np.array(values), np.array(input_grads), param_grads


def replay(tape, batch, params=(), seed=1.0):
    """The tape's values, input gradients and the gradient it adds to each parameter."""
    before = [p.grad for p in params]
    values = tape.forward(batch)
    input_grads = tape.backward(seed)
    added = [p.grad - b for p, b in zip(params, before, strict=True)]
    return values, input_grads, np.array(added)


# --------------------------------------------------------------------------- the ARRAYS backend


def test_every_row_runs_on_arrays_and_agrees_with_floats():
    rng = np.random.default_rng(0)
    params = {"**": (2.5,), "softplus": (2.0, 5.0), "hardtanh": (-1.0, 1.0), "elu": (0.5,),
              "bce": (0.25,)}
    for row in TABLE:
        ps = params.get(row.name, ())
        xs = [rng.uniform(0.1, 0.9, 5) for _ in range(row.arity)]
        out = row.forward(ARRAYS, *xs, *ps)
        ds = row.partials(ARRAYS, out, *xs, *ps)
        ok = row.domain(*xs, *ps) if row.domain else np.ones(5, dtype=bool)
        for s in range(5):
            x = [float(v[s]) for v in xs]
            value = row.forward(FLOATS, *x, *ps)
            assert close(out[s], value), row.name
            for d_arr, d in zip(ds, row.partials(FLOATS, value, *x, *ps), strict=True):
                assert close(np.broadcast_to(d_arr, out.shape)[s], d), row.name
            assert bool(ok[s]) == bool(row.domain(*x, *ps) if row.domain else True), row.name


def test_domains_rewritten_for_arrays_still_give_bools_on_floats():
    power, bce = (next(r for r in TABLE if r.name == n) for n in ("**", "bce"))
    assert power.domain(-2.0, 3.0) is True and power.domain(-2.0, 0.5) is False
    assert power.domain(0.0, -1.0) is False and power.domain(0.0, 2.0) is True
    assert bce.domain(0.5, 1.0) is True and bce.domain(1.5, 1.0) is False
    mask = bce.domain(np.array([-0.1, 0.0, 0.5, 1.0, 1.1]), 1.0)
    assert mask.tolist() == [False, True, True, True, False]


def test_erf_on_arrays_is_math_erf():
    x = np.linspace(-4, 4, 101)
    assert ARRAYS.erf(x).tolist() == [math.erf(v) for v in x]
    assert ARRAYS.sigmoid(np.array([-1000.0, 0.0, 1000.0])).tolist() == [0.0, 0.5, 1.0]
    assert ARRAYS.clamped_log(np.array([0.0, 1e-50, 1.0])).tolist() == [-100.0, -100.0, 0.0]


# --------------------------------------------------------------------------- every primitive


@pytest.mark.parametrize("name", sorted(TEST_TABLE))
@given(data=st.data())
def test_every_primitive_replays_like_the_scalar_engine(name, data):
    row = TEST_TABLE[name]
    params = data.draw(row.params, label="params")
    batch = [[data.draw(s) for s in row.inputs] for _ in range(6)]
    batch.append(list(batch[0]))  # a repeated sample

    def f(*xs):
        return row.call(*xs, *params)

    expected = scalar_reference(f, batch)
    for fuse in (True, False):
        tape = trace(f, batch[0], fuse=fuse)
        values, input_grads, _ = replay(tape, np.array(batch))
        assert_close(values, expected[0], f"{name} values")
        assert_close(input_grads, expected[1], f"{name} gradients")


def test_every_primitive_is_tested():
    assert set(TEST_TABLE) == {row.name for row in TABLE}


# --------------------------------------------------------------------------- random expressions


@given(expr=expressions(n_inputs=2, max_steps=8),
       batch=st.lists(st.tuples(floats_in(-2, 2), floats_in(-2, 2)), min_size=2, max_size=6))
def test_random_expressions_replay_like_the_scalar_engine(expr, batch):
    try:
        expected = scalar_reference(expr, batch)
    except OpError:  # the scalar engine refuses a sample (overflow): nothing to compare
        return
    for fuse in (True, False):
        tape = trace(expr, batch[0], fuse=fuse)
        values, input_grads, _ = replay(tape, np.array(batch))
        assert_close(values, expected[0], f"{expr} values")
        assert_close(input_grads, expected[1], f"{expr} gradients")


# --------------------------------------------------------------------------- nn modules and losses


def _batch(n: int = 12, d: int = 2, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, d))


@BOTH_PLANS
@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "gelu", "elu", "leaky_relu",
                                        "softplus", "silu", "hardtanh", "prelu", "logsigmoid"])
def test_mlp_with_activation_replays_like_the_scalar_engine(activation, fuse):
    model = nn.MLP(2, [5, 4, 1], activation=activation, generator=3)
    params = model.parameters()

    def f(a, b):
        return model([a, b])

    batch = _batch()
    expected = scalar_reference(f, batch, params)
    got = replay(trace(f, batch[0], fuse=fuse), batch, params)
    for g, e, what in zip(got, expected, ("values", "input grads", "parameter grads"), strict=True):
        assert_close(g, e, f"{activation} {what}")


def _losses():
    """(name, per-sample loss of the logits and a target, targets for 12 samples, outputs)."""
    rng = np.random.default_rng(1)
    signs = rng.choice([-1, 1], 12).tolist()
    bits = rng.choice([0.0, 1.0], 12).tolist()
    classes = rng.integers(0, 3, 12).tolist()
    reals = rng.normal(size=12).tolist()
    return [
        ("mse", lambda out, y: nn.MSELoss()([out], [y]), reals, 1),
        ("bce_with_logits", lambda out, y: nn.BCEWithLogitsLoss()([out], [y]), bits, 1),
        ("bce", lambda out, y: nn.BCELoss()([out.sigmoid()], [y]), bits, 1),
        ("hinge", lambda out, y: nn.MaxMarginLoss()([out], [y]), signs, 1),
        ("cross_entropy", lambda out, y: nn.CrossEntropyLoss()([out], [y]), classes, 3),
        ("huber", lambda out, y: nn.HuberLoss(delta=0.5)([out], [y]), reals, 1),
        ("smooth_l1", lambda out, y: nn.SmoothL1Loss(beta=0.5)([out], [y]), reals, 1),
        ("l1", lambda out, y: nn.L1Loss()([out], [y]), reals, 1),
    ]


LOSSES = _losses()


@pytest.mark.parametrize("name, loss, targets, outputs", LOSSES, ids=[c[0] for c in LOSSES])
def test_losses_on_an_mlp_replay_like_the_scalar_engine(name, loss, targets, outputs):
    """Per label a TapeCache (log-sum-exp and Huber branch on the data: one tape per branch)."""
    model = nn.MLP(2, [6, outputs], activation="tanh", generator=5)
    params = model.parameters()
    batch = _batch()
    for label in sorted(set(targets)):
        rows = [s for s, t in enumerate(targets) if t == label]

        def f(a, b, label=label):
            return loss(model([a, b]), label)

        expected = scalar_reference(f, batch[rows], params)
        cache = TapeCache(f)
        before = [p.grad for p in params]
        values = cache.forward(batch[rows])
        input_grads = cache.backward()
        param_grads = [p.grad - b for p, b in zip(params, before, strict=True)]
        assert_close(values, expected[0], f"{name} values")
        assert_close(input_grads, expected[1], f"{name} input grads")
        assert_close(param_grads, expected[2], f"{name} parameter grads")


def test_regression_targets_can_be_inputs_of_the_tape():
    model = nn.MLP(1, [4, 1], activation="tanh", generator=0)
    params = model.parameters()

    def f(x, y):
        return F.mse_loss(model([x]), y)

    batch = _batch(d=2)
    expected = scalar_reference(f, batch, params)
    for g, e in zip(replay(trace(f, batch[0]), batch, params), expected, strict=True):
        assert_close(g, e, "mse with target inputs")


def test_a_layer_of_neurons_replays_as_one_matrix_product():
    model = nn.MLP(2, [16, 16, 1], generator=0)
    tape = trace(lambda a, b: model([a, b]), [0.1, 0.2])
    assert len(tape) == 2 * 16 * 2 + 16 + 16 * 16 * 2 + 16 + 16 * 2  # every scalar step is kept
    assert len(tape.plan.items) == 5  # affine, relu, affine, relu, affine
    assert len(trace(lambda a, b: model([a, b]), [0.1, 0.2], fuse=False).plan.items) == len(tape)


# --------------------------------------------------------------------------- parameters and optimizers


def test_parameters_are_referenced_and_read_at_each_replay():
    w = Value(2.0)
    tape = trace(lambda x: x * w, [1.0])
    assert tape.parameters == (w,)
    assert tape.forward([[3.0]]).tolist() == [6.0]
    w.data = -1.0
    assert tape.forward([[3.0]]).tolist() == [-3.0]
    tape.backward()
    tape.backward()  # gradients accumulate, as after two backward() calls
    assert w.grad == 6.0


@pytest.mark.parametrize("make", [
    lambda ps: nn.optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=1e-3),
    lambda ps: nn.optim.Adam(ps, lr=0.01),
    lambda ps: nn.optim.RMSprop(ps, lr=0.01),
], ids=["sgd", "adam", "rmsprop"])
def test_optimizer_steps_on_traced_gradients_equal_scalar_steps(make):
    batch = _batch(n=20)
    targets = np.sin(batch[:, 0])
    models = [nn.MLP(2, [8, 1], activation="tanh", generator=7) for _ in range(2)]
    opts = [make(m.parameters()) for m in models]
    scheduler = nn.optim.lr_scheduler.StepLR(opts[1], step_size=2, gamma=0.5)
    scalar_sched = nn.optim.lr_scheduler.StepLR(opts[0], step_size=2, gamma=0.5)
    tape = trace(lambda a, b, y: (models[1]([a, b]) - y) ** 2, [0.0, 0.0, 0.0])
    data = np.column_stack([batch, targets])
    for _ in range(5):
        opts[0].zero_grad()
        loss = F.mse_loss([models[0](list(x)) for x in batch], targets.tolist())
        loss.backward()
        nn.utils.clip_grad_norm_(models[0].parameters(), 0.5)
        opts[0].step()
        scalar_sched.step()
        opts[1].zero_grad()
        tape.forward(data)
        tape.backward(1.0 / len(data))
        nn.utils.clip_grad_norm_(models[1].parameters(), 0.5)
        opts[1].step()
        scheduler.step()
    for p, q in zip(*(m.parameters() for m in models), strict=True):
        assert close(q.data, p.data, 1e-10)


# --------------------------------------------------------------------------- fit(compiled=True)


@pytest.mark.parametrize("case", ["hinge", "cross_entropy", "mse_minibatch", "huber"])
def test_fit_compiled_history_equals_fit_history(case):
    """SGD with momentum (Adam for the regression): Adam divides by |g|, so a gradient that is
    zero up to rounding (the output bias under a balanced hinge loss) would turn the last-bit
    differences of summing in another order into full steps."""
    X, labels = nn.data.two_moons(40, generator=0)
    kwargs: dict = {}
    if case == "hinge":
        data, loss, outs = (X, [2 * t - 1 for t in labels]), nn.MaxMarginLoss(), 1
        kwargs = {"metrics": {"accuracy": nn.training.accuracy}}
    elif case == "cross_entropy":
        data, loss, outs = (X, labels), nn.CrossEntropyLoss(), 2
    elif case == "mse_minibatch":
        data, loss, outs = nn.data.sine(30), nn.MSELoss(), 1
        kwargs = {"batch_size": 8, "shuffle": True}
    else:
        data, loss, outs = nn.data.sine(30), nn.HuberLoss(delta=0.3), 1
    histories, weights = [], []
    for compiled in (False, True):
        model = nn.MLP(len(data[0][0]), [6, outs], activation="tanh", generator=2)
        opt = (nn.optim.Adam(model.parameters(), lr=0.05) if case == "mse_minibatch"
               else nn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9))
        sched = nn.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
        histories.append(nn.fit(model, loss, opt, data, epochs=8, scheduler=sched,
                                regularization=lambda m=model: 1e-3 * F.l2_penalty(m),
                                progress=False, compiled=compiled, generator=4, **kwargs))
        weights.append([p.data for p in model.parameters()])
    for key in histories[0]:
        assert len(histories[0][key]) == len(histories[1][key]) == 8
        for a, b in zip(histories[0][key], histories[1][key], strict=True):
            assert close(b, a, 1e-10), (key, a, b)
    for a, b in zip(*weights, strict=True):
        assert close(b, a, 1e-10)


def test_fit_compiled_refuses_dropout_in_training_mode():
    model = nn.Sequential(nn.Linear(2, 3), nn.Dropout(0.5), nn.Linear(3, 1))
    opt = nn.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="Dropout in training mode"):
        nn.fit(model, nn.MSELoss(), opt, ([[0.0, 1.0]], [1.0]), 1, progress=False, compiled=True)


def test_fit_compiled_refuses_a_loss_that_is_not_the_mean_or_sum_it_declares():
    model = nn.MLP(1, [1], generator=0)
    opt = nn.optim.SGD(model.parameters(), lr=0.1)

    def loss(preds, targets):
        return F.mse_loss(preds, targets) * (1.0 / len(preds))  # divides by n twice

    loss.reduction = "mean"  # which it is not
    with pytest.raises(ValueError, match="mean or the sum"):
        nn.fit(model, loss, opt, ([[0.0], [1.0], [2.0]], [1.0, 2.0, 0.5]), 1, progress=False,
               compiled=True)


def test_fit_compiled_says_when_the_loss_refuses_value_targets():
    model = nn.MLP(1, [2, 1], generator=0)
    opt = nn.optim.SGD(model.parameters(), lr=0.1)
    X, y = [[i / 40] for i in range(40)], [i / 40 for i in range(40)]

    def loss(preds, targets):
        return F.binary_cross_entropy([p.sigmoid() for p in preds], targets)

    loss.reduction = "mean"
    with pytest.raises(TypeError, match=r"inputs of the tape .* refused them"):
        nn.fit(model, loss, opt, (X, y), 1, progress=False, compiled=True)


def test_fit_compiled_needs_a_declared_reduction():
    """The contract: the loss says how a batch loss is made of per-sample losses."""
    model = nn.MLP(1, [2, 1], generator=0)
    opt = nn.optim.SGD(model.parameters(), lr=0.1)
    data = ([[0.0], [1.0]], [0.5, 1.0])

    def undeclared(preds, targets):
        return F.mse_loss(preds, targets)

    with pytest.raises(TypeError, match=r"fit\(compiled=True\).*declares no reduction.*"
                                        r"reduction = 'mean'"):
        nn.fit(model, undeclared, opt, data, 1, progress=False, compiled=True)
    with pytest.raises(ValueError, match=r"'mean' or 'sum'.*'none'"):
        nn.fit(model, nn.MSELoss(reduction="none"), opt, data, 1, progress=False, compiled=True)
    mean = nn.fit(model, undeclared, opt, data, 1, progress=False)["loss"][0]
    model = nn.MLP(1, [2, 1], generator=0)  # the same weights again
    summed = nn.fit(model, lambda p, t, reduction="sum": F.mse_loss(p, t, reduction=reduction),
                    nn.optim.SGD(model.parameters(), lr=0.1), data, 1, progress=False,
                    compiled=True)["loss"][0]
    assert close(summed, 2.0 * mean)  # a keyword's default declares the reduction too


@pytest.mark.parametrize("loss, labels", [
    (nn.MaxMarginLoss(reduction="sum"), [-1, 1, 1, -1, 1, -1]),
    (nn.CrossEntropyLoss(), [0, 2, 1, 1, 0, 2]),
    (nn.BCELoss(), [0.0, 1.0, 1.0, 0.0, 1.0, 0.0]),
], ids=["hinge", "cross_entropy", "bce"])
def test_fit_compiled_traces_the_loss_once_with_labels_as_inputs(loss, labels):
    """One tape for every label value (indicator inputs), not one tape per label."""
    outputs = 3 if isinstance(loss, nn.CrossEntropyLoss) else 1
    X = _batch(n=6).tolist()
    results = []
    for compiled in (False, True):
        model = nn.MLP(2, [4, outputs], activation="sigmoid", generator=1)
        last = [nn.Sigmoid()] if isinstance(loss, nn.BCELoss) else []
        net = nn.Sequential(model, *last)
        opt = nn.optim.SGD(net.parameters(), lr=0.1)
        history = nn.fit(net, loss, opt, (X, labels), 3, progress=False, compiled=compiled)
        results.append((history["loss"], [p.data for p in net.parameters()]))
    for a, b in zip(results[0][0] + results[0][1], results[1][0] + results[1][1], strict=True):
        assert close(b, a, 1e-10)


# --------------------------------------------------------------------------- branches


def _branchy(x):
    return x.exp() if x > 0 else -x


def test_a_sample_taking_another_branch_is_refused_with_the_comparison_and_sample():
    tape = trace(_branchy, [1.0])
    assert len(tape.decisions) == 1 and "%0 > 0.0 was True" in str(tape.decisions[0])
    assert tape.forward([[0.5], [2.0]]).tolist() == [math.exp(0.5), math.exp(2.0)]
    with pytest.raises(BranchError) as info:
        tape.forward([[0.5], [2.0], [-3.0]])
    message = str(info.value)
    assert "sample 2" in message and "%0 > 0.0 was True" in message and "%0 = -3.0" in message
    assert "test_trace.py" in message and "_branchy" in message


def test_data_read_through_dot_data_is_guarded_too():
    def huber_like(x):
        return x * x if abs(x.data) < 1.0 else abs(x)

    tape = trace(huber_like, [0.5])
    assert "abs(%0) < 1.0" in tape.decisions[0].text
    with pytest.raises(BranchError, match=r"sample 1 .*abs\(%0\) = 2.0"):
        tape.forward([[0.1], [2.0]])


def test_a_branch_on_a_parameter_is_rechecked_after_the_parameter_changes():
    w = Value(1.0)
    tape = trace(lambda x: x * w if w > 0 else x, [2.0])
    assert tape.forward([[2.0]]).tolist() == [2.0]
    w.data = -1.0
    with pytest.raises(BranchError, match="parameters changed since tracing"):
        tape.forward([[2.0]])


def test_tape_cache_keeps_one_tape_per_branch():
    cache = TapeCache(_branchy)
    X = np.array([[1.0], [-2.0], [3.0], [-0.5]])
    values = cache.forward(X)
    assert values.tolist() == [math.exp(1.0), 2.0, math.exp(3.0), 0.5]
    assert len(cache.tapes) == 2
    assert cache.backward().ravel().tolist() == [math.exp(1.0), -1.0, math.exp(3.0), -1.0]
    cache.forward(X)
    assert len(cache.tapes) == 2  # no new trace
    small = TapeCache(lambda x: x * 1.0 if x > 0 else x * 2.0, max_tapes=1)
    with pytest.raises(BranchError, match="more than 1 branch patterns"):
        small.forward(X)


def test_log_softmax_replays_with_each_samples_own_maximum():
    def f(a, b, c):
        return F.log_softmax([a, b, c])[0]

    batch = np.array([[1.0, 2.0, 3.0], [900.0, -900.0, 0.0], [3.0, 2.0, 1.0], [5.0, 6.0, 7.0]])
    cache = TapeCache(f)
    values = cache.forward(batch)
    input_grads = cache.backward()
    expected = scalar_reference(f, batch)
    assert_close(values, expected[0], "log_softmax")
    assert_close(input_grads, expected[1], "log_softmax gradients")
    assert len(cache.tapes) == 2  # the argmax is a branch


# --------------------------------------------------------------------------- stop-gradient nodes


def test_detach_no_grad_and_values_made_from_data_are_stop_gradients():
    def f(x):
        with no_grad():
            m = x * 3.0
        return x * m + x.detach() + Value(x.data * 2.0) + (x - x.data)

    batch = np.array([[1.5], [-2.0], [0.25]])
    expected = scalar_reference(f, batch)
    got = replay(trace(f, [1.0]), batch)
    assert_close(got[0], expected[0], "values")
    assert_close(got[1], expected[1], "gradients")


def test_gradients_of_gradients_can_be_traced():
    def f(x):
        (g,) = grad((x * x * x).tanh(), [x], create_graph=True)
        return g

    batch = np.array([[0.5], [1.0], [-0.3]])
    expected = scalar_reference(f, batch)
    got = replay(trace(f, [0.5]), batch)
    assert_close(got[0], expected[0], "values")
    assert_close(got[1], expected[1], "gradients")


# --------------------------------------------------------------------------- refusals


@pytest.mark.parametrize("f, match", [
    (lambda x: x * float(x.data), "float()"),
    (lambda x: x * math.exp(x.data), "float()"),
    (lambda x: x * int(x.data), "int()"),
    (lambda x: x * {x.data: 1.0}[x.data], "hashing"),
    (lambda x: x * round(x.data), "round()"),
    (lambda x: x ** x.data, "float()"),
    (lambda x: x.softplus(beta=x.data), "float()"),
], ids=["float", "math", "int", "hash", "round", "exponent", "param"])
def test_numbers_that_would_become_constants_are_refused(f, match):
    with pytest.raises(TraceError, match=match):
        trace(f, [1.5])


def test_backward_inside_a_traced_function_is_refused():
    def f(x):
        y = x * x
        y.backward()
        return y * x.grad

    with pytest.raises(TraceError, match="backward"):
        trace(f, [1.0])


def test_ops_without_an_array_rule_are_refused():
    """A non-row op when traced; a row that fails on arrays when a replay first runs it."""
    with pytest.raises(TraceError, match="'custom' has no array rule"):
        trace(lambda x: Value(x.data * 2.0, (x,), "custom"), [1.0])
    floats_only = Primitive("exp_floats", 1, lambda m, x: math.exp(x), lambda m, out, x: (out,))

    def f(x):
        return Value(math.e, (x,), Op(floats_only))

    tape = trace(f, [1.0])
    with pytest.raises(TraceError, match="'exp_floats' has no array rule"):
        tape.forward([[1.0], [2.0]])


def test_tracing_leaves_value_as_it_was():
    with pytest.raises(TraceError):
        trace(lambda x: x * float(x.data), [1.0])
    x = Value(2.0)
    assert type(x.data) is float and (x < 3) is True and x.item() == 2.0
    assert x.detach().data == 2.0


def test_tracing_is_a_mode_of_the_engine_not_a_patch_of_value():
    before = dict(vars(Value))
    seen = {}

    def f(x):
        seen["class"] = dict(vars(Value))
        seen["read"] = x.data
        return x * 2.0

    trace(f, [1.5])
    assert seen["class"] == before  # nothing on the class changes while tracing
    assert isinstance(seen["read"], TracedFloat) and seen["read"].value == 1.5
    with pytest.raises(TraceError, match=r"compared \(<\) outside the trace"):
        operator.lt(seen["read"], 2.0)


def test_a_number_read_while_tracing_cannot_be_assigned_to_data():
    w = Value(1.0)

    def f(x):
        w.data = x.data
        return x * w

    with pytest.raises(TraceError, match=r"assigning a number read from a Value to \.data"):
        trace(f, [2.0])
    assert w.data == 1.0


def test_nested_tracing_is_refused():
    with pytest.raises(TraceError, match="already tracing"):
        trace(lambda x: trace(lambda y: y, [1.0]).inputs[0] * x, [1.0])


# --------------------------------------------------------------------------- replay errors


def test_domain_errors_name_the_op_and_the_first_offending_sample():
    tape = trace(lambda x: x.log(), [1.0])
    with pytest.raises(DomainError, match=r"log\(-1.0\): log needs x > 0 \(sample 2\)"):
        tape.forward([[1.0], [2.0], [-1.0], [-5.0]])
    tape = trace(lambda a, b: a / b, [1.0, 2.0])
    with pytest.raises(DivisionByZero, match=r"sample 1"):
        tape.forward([[1.0, 2.0], [1.0, 0.0]])


def test_overflow_and_infinite_derivatives_raise_as_in_the_scalar_engine():
    tape = trace(lambda x: x.exp(), [1.0])
    with pytest.raises(NumericOverflow, match=r"sample 1"):
        tape.forward([[1.0], [1000.0]])
    tape = trace(lambda x: x.sqrt(), [1.0])
    tape.forward([[4.0], [0.0]])
    with pytest.raises(DivisionByZero, match=r"backward of sqrt.*sample 1"):
        tape.backward()
    assert trace(lambda x: x.sigmoid(), [0.0]).forward([[-1000.0]]).tolist() == [0.0]


# --------------------------------------------------------------------------- the Tape object


def test_several_outputs_seeds_and_shapes():
    w = Value(0.5)
    tape = trace(lambda a, b: [a * w, a + b], [1.0, 2.0])
    values = tape.forward([[1.0, 2.0], [3.0, 4.0]])
    assert values.tolist() == [[0.5, 3.0], [1.5, 7.0]]
    dX = tape.backward([1.0, 0.0])  # seed per output
    assert dX.tolist() == [[0.5, 0.0], [0.5, 0.0]] and w.grad == 4.0
    dX = tape.backward(np.array([[0.0, 1.0], [0.0, 2.0]]))
    assert dX.tolist() == [[1.0, 1.0], [2.0, 2.0]]
    with pytest.raises(ValueError, match="shape"):
        tape.forward([[1.0, 2.0, 3.0]])
    assert "2 inputs, 1 parameters, 2 steps, 2 outputs" in repr(tape)
    assert "%3 = *(%0, %2)" in str(tape)


def test_backward_needs_a_forward_first():
    with pytest.raises(RuntimeError, match="forward first"):
        trace(lambda x: x * 2.0, [1.0]).backward()


# --------------------------------------------------------------------------- the edges: empty batches, inf, nan

EDGE = [math.inf, -math.inf, math.nan, 1e308, -1e308, 0.0, 1.0, -2.0, 1e-320]
"""Values at the edges of float64: infinities, nan, near-overflow, zero, a subnormal."""
ROW_PARAMS = {"**": (2.5,), "softplus": (2.0, 5.0), "hardtanh": (-1.0, 1.0), "elu": (0.5,),
              "bce": (0.25,)}


def scalar_outcome(f, sample, params=()):
    """What the scalar engine gives for one sample: (value, gradients), or where it failed and
    the error's class: ``("forward", DomainError)``."""
    xs = [Value(float(v)) for v in sample]
    try:
        out = f(*xs)
    except OpError as exc:
        return "forward", type(exc)
    try:
        return out.data, grad(out, xs + list(params))
    except OpError as exc:
        return "backward", type(exc)


def tape_outcome(tape, batch, params=()):
    """What a replay gives for a batch: (values, input and parameter gradients), or where it
    failed and the error's class; the parameters' ``grad`` are restored, so replays can be
    compared one after another."""
    before = [p.grad for p in params]
    try:
        values = tape.forward(np.array(batch, dtype=float))
    except OpError as exc:
        return "forward", type(exc)
    try:
        grads = tape.backward()
    except OpError as exc:
        assert [p.grad for p in params] == before  # a failed backward adds nothing
        return "backward", type(exc)
    added = [p.grad - b for p, b in zip(params, before, strict=True)]
    for p, b in zip(params, before, strict=True):
        p.grad = b
    return values, grads, added


def same(a: float, b: float) -> bool:
    """Equal to rounding where finite; the same inf, or both nan, where not."""
    if math.isfinite(a) and math.isfinite(b):
        return close(a, b)
    return a == b or (math.isnan(a) and math.isnan(b))


def assert_replays_like_the_scalar_engine(tape, f, samples, params=()):
    """Each sample alone, then all the samples the scalar engine accepts as one batch."""
    expected = [scalar_outcome(f, s, params) for s in samples]
    for sample, want in zip(samples, expected, strict=True):
        got = tape_outcome(tape, [sample], params)
        if isinstance(want[0], str):
            assert got == want, (sample, got, want)
            continue
        assert not isinstance(got[0], str), (sample, got, want)
        values, grads, added = got
        assert same(values.reshape(-1)[0], want[0]), (sample, values, want[0])
        wanted = want[1]
        got_grads = grads[0].tolist() + added
        pairs = zip(got_grads, wanted, strict=True)
        assert all(same(g, w) for g, w in pairs), (sample, got_grads, wanted)
    good = [s for s, want in zip(samples, expected, strict=True) if not isinstance(want[0], str)]
    if good:
        values, grads, added = tape_outcome(tape, good, params)
        want = [w for w in expected if not isinstance(w[0], str)]
        assert all(same(v, w[0]) for v, w in zip(values.reshape(len(good)), want, strict=True))
        for s, w in enumerate(want):
            pairs = zip(grads[s], w[1][: len(grads[s])], strict=True)
            assert all(same(g, e) for g, e in pairs), good[s]
        summed = [math.fsum(w[1][len(samples[0]) + j] for w in want) for j in range(len(params))]
        assert all(same(a, b) or close(a, b, 1e-9) for a, b in zip(added, summed, strict=True))
    if len(good) < len(samples):  # one refused sample makes the whole batch raise an error
        assert isinstance(tape_outcome(tape, samples, params)[0], str)


@BOTH_PLANS
@pytest.mark.parametrize("name", sorted(TEST_TABLE))
def test_every_primitive_replays_edge_values_like_the_scalar_engine(name, fuse):
    """inf, -inf, nan and huge inputs: the tape gives the scalar engine's value (inf and nan
    included) or raises its error class, sample by sample, forward and backward."""
    row = TEST_TABLE[name]
    params = ROW_PARAMS.get(name, ())
    arity = len(row.inputs)

    def f(*xs):
        return row.call(*xs, *params)

    tape = trace(f, [0.5] * arity, fuse=fuse)
    samples = [list(s) for s in itertools.product(EDGE, repeat=arity)]
    assert_replays_like_the_scalar_engine(tape, f, samples)


@BOTH_PLANS
@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "gelu", "elu", "softplus"])
def test_an_mlp_replays_edge_values_like_the_scalar_engine(activation, fuse):
    """The fused matrix products too: a sum that is inf, nan or overflows is settled per sample."""
    model = nn.MLP(2, [3, 3, 1], activation=activation, generator=1)
    params = model.parameters()

    def f(a, b):
        return model([a, b])

    edge = [math.inf, -math.inf, math.nan, 1e308, 1e200, 0.5]
    samples = [list(s) for s in itertools.product(edge, repeat=2)]
    assert_replays_like_the_scalar_engine(trace(f, [0.5, 0.3], fuse=fuse), f, samples, params)


def test_inf_in_a_batch_gives_inf_not_a_numpy_error():
    model = nn.MLP(2, [3, 1], activation="tanh", generator=0)
    tape = trace(lambda a, b: model([a, b]), [0.5, 0.2])
    out = tape.forward([[math.inf, 1.0], [-math.inf, 1.0], [0.5, 0.2]])
    expected = [model([Value(a), Value(b)]).data for a, b in ([math.inf, 1.0], [-math.inf, 1.0])]
    assert out[:2].tolist() == expected and math.isfinite(out[2])
    with pytest.raises(NumericOverflow, match=r"finite inputs gave .*inf \(sample 1\)"):
        tape.forward([[0.5, 0.2], [1e308, 1e308]])


@pytest.mark.parametrize("op", ["maximum", "minimum"])
def test_maximum_and_minimum_propagate_nan_from_either_side_like_the_scalar_engine(op):
    """torch.maximum / torch.minimum: nan on either side gives nan, in the tape (np.maximum)
    and in the scalar engine."""
    tape = trace(lambda a, b: getattr(a, op)(b), [1.0, 2.0])
    got = tape.forward([[math.nan, 2.0], [2.0, math.nan]]).tolist()
    scalar = [getattr(Value(a), op)(Value(b)).data for a, b in ([math.nan, 2.0], [2.0, math.nan])]
    assert all(math.isnan(v) for v in got) and all(math.isnan(v) for v in scalar)


@BOTH_PLANS
def test_an_empty_batch_replays_to_empty_results(fuse):
    w = Value(2.0)
    tape = trace(lambda a, b: (a * w + b).tanh(), [0.5, 1.0], fuse=fuse)
    out = tape.forward(np.zeros((0, 2)))
    assert out.shape == (0,)
    assert tape.backward().shape == (0, 2) and w.grad == 0.0  # a sum over no samples adds 0
    two = trace(lambda a, b: [a * w, a + b], [0.5, 1.0], fuse=fuse)
    assert two.forward(np.zeros((0, 2))).shape == (0, 2)
    assert TapeCache(lambda a: a * w).forward(np.zeros((0, 1))).shape == (0,)
    with pytest.raises(ValueError, match=r"shape \(0,\)"):  # no columns: not an empty batch
        tape.forward([])


def test_backward_overflow_from_finite_data_raises_as_in_the_scalar_engine():
    """Finite values whose gradient overflows: NumericOverflow naming the step, as the scalar
    engine; the parameters' grads are left as they were."""
    b = Value(1e-200)
    tape = trace(lambda a: a / b, [1e-300])
    assert tape.forward([[1e-300], [1e-10]]).tolist() == [1e-300 / 1e-200, 1e-10 / 1e-200]
    with pytest.raises(NumericOverflow, match=r"backward of /.*sample 1"):
        tape.backward()  # d/db = -out / b = -1e190 / 1e-200
    assert b.grad == 0.0
    with pytest.raises(NumericOverflow):
        (Value(1e-10) / b).backward()
    tape = trace(lambda x: x.log(), [1.0])
    tape.forward([[1e-320]])
    with pytest.raises(NumericOverflow, match="backward of log"):
        tape.backward()


def test_inf_in_backward_from_inf_data_flows_on_as_in_the_scalar_engine():
    w = Value(0.0)
    tape = trace(lambda x: (x * w).relu() + x, [1.0])
    tape.forward([[math.inf]])
    grads = tape.backward()
    x = Value(math.inf)
    (x * w).relu().__add__(x).backward()
    assert grads.tolist() == [[x.grad]] and same(w.grad, math.inf * 0.0 + 0.0)


def test_stop_gradient_arithmetic_on_edge_values_follows_python_floats():
    """Numbers read with .data are Python floats in the scalar engine: 1 / 0 raises (the tape's
    DivisionByZero is a ZeroDivisionError), inf - inf is nan."""
    def scaled(x):
        return x * (1.0 / x.data)

    def shifted(x):
        return x + (x.data - x.data)

    tape = trace(scaled, [2.0])
    assert tape.forward([[4.0]]).tolist() == [1.0]
    with pytest.raises(ZeroDivisionError):
        scaled(Value(0.0))
    with pytest.raises(DivisionByZero, match=r"sample 1"):
        tape.forward([[4.0], [0.0]])
    tape = trace(shifted, [2.0])
    assert math.isnan(tape.forward([[math.inf]])[0])
    assert math.isnan(shifted(Value(math.inf)).data)


def test_a_non_finite_seed_is_refused_as_in_the_scalar_engine():
    tape = trace(lambda x: x * 2.0, [1.0])
    tape.forward([[1.0]])
    with pytest.raises(ValueError, match="must be finite, got nan"):
        tape.backward(math.nan)
