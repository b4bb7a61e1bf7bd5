"""``autograd.func``: transforms against ``torch.func`` on 50 random functions, and their contract.

The random functions are expression trees drawn by a seeded generator over
the primitives PyTorch shares with the engine (+ - * / sin cos tanh exp log
sigmoid relu), on scalar and 1-D array arguments. Every transform's results,
their types and shapes, must agree with ``torch.func`` in float64 to 1e-12.
Those tests need torch (the ``export`` extra, which ``make test`` installs)
and are skipped with the reason when it is not importable; the rest need
nothing but the engine.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd.sweep
from autograd import Dual, Value, no_grad
from autograd import func as F
from autograd.functional import hessian as functional_hessian

try:
    import torch
    import torch.func as TF
except ImportError:  # pragma: no cover - the export extra installs torch
    torch = None

needs_torch = pytest.mark.skipif(
    torch is None, reason="torch is not importable: install the 'export' extra (make test does)"
)

# torch.func scripts a helper on first use, and torch warns about its own torch.jit.script
pytestmark = pytest.mark.filterwarnings(
    "ignore:`torch.jit.script` is deprecated:DeprecationWarning"
)

RTOL = ATOL = 1e-12

# --------------------------------------------------------------------------- random functions

UNARY = ("sin", "cos", "tanh", "exp", "log", "sigmoid", "relu")
BINARY = ("+", "-", "*", "/")
N_FUNCTIONS = 50


def random_tree(rng: np.random.Generator, nargs: int, depth: int) -> tuple:
    """An expression over arguments 0..nargs-1: ('arg', i), (unary, t) or (binary, t, t | const)."""
    if depth == 0 or rng.random() < 0.2:
        return ("arg", int(rng.integers(nargs)))
    if rng.random() < 0.45:
        return (UNARY[rng.integers(len(UNARY))], random_tree(rng, nargs, depth - 1))
    op = BINARY[rng.integers(len(BINARY))]
    left = random_tree(rng, nargs, depth - 1)
    if rng.random() < 0.25:
        return (op, left, ("const", round(float(rng.uniform(-2.0, 2.0)), 3)))
    return (op, left, random_tree(rng, nargs, depth - 1))


class OursOps:
    """The tree on Values and object arrays of Values (numpy maps the operators elementwise)."""

    @staticmethod
    def unary(name: str, x):
        def one(v):
            if not isinstance(v, Value):  # an argument not differentiated: a constant
                v = Value(float(v))
            if name == "log":  # log of a positive number: log(v^2 + 0.5)
                return (v * v + 0.5).log()
            return getattr(v, name)()

        if isinstance(x, np.ndarray):
            return np.array([one(v) for v in x], dtype=object)
        return one(x)

    @staticmethod
    def total(x):
        return x.sum() if isinstance(x, np.ndarray) else x


class TorchOps:
    @staticmethod
    def unary(name: str, x):
        if name == "log":
            return torch.log(x * x + 0.5)
        return getattr(torch, name)(x)

    @staticmethod
    def total(x):
        return x.sum()


def evaluate(tree: tuple, args: tuple, ops, check: list | None = None):
    """The tree's value; ``check`` collects (kind, number) for the kinks and denominators met."""
    kind = tree[0]
    if kind == "arg":
        return args[tree[1]]
    if kind == "const":
        return tree[1]
    if kind in UNARY:
        x = evaluate(tree[1], args, ops, check)
        if check is not None and kind == "relu":
            check.append(("kink", x))
        out = ops.unary(kind, x)
        if check is not None:
            check.append(("value", out))
        return out
    a, b = evaluate(tree[1], args, ops, check), evaluate(tree[2], args, ops, check)
    if check is not None and kind == "/":
        check.append(("denominator", b))
    out = {"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b, "/": lambda: a / b}[kind]()
    if check is not None:
        check.append(("value", out))
    return out


def well_behaved(tree: tuple, args: tuple) -> bool:
    """Far from relu's kink and from zero denominators, and of moderate size, at ``args``."""
    seen: list = []
    with torch.no_grad():
        evaluate(tree, tuple(torch.as_tensor(a, dtype=torch.float64) for a in args), TorchOps, seen)
    for what, t in seen:
        t = t.abs() if isinstance(t, torch.Tensor) else torch.tensor(abs(t))
        if what == "kink" and t.min() < 1e-3:
            return False
        if what == "denominator" and t.min() < 0.2:
            return False
        if what == "value" and not (torch.isfinite(t).all() and t.max() < 1e3):
            return False
    return True


def uses_all(tree: tuple, nargs: int) -> set:
    if tree[0] == "arg":
        return {tree[1]}
    return set().union(*(uses_all(t, nargs) for t in tree[1:] if isinstance(t, tuple)))


def random_function(seed: int) -> tuple[tuple, tuple]:
    """(tree, args) for seed: 1 to 3 arguments, each a scalar or a vector of length 2 to 4."""
    rng = np.random.default_rng(seed)
    while True:
        nargs = int(rng.integers(1, 4))
        args = tuple(
            float(rng.uniform(-1.5, 1.5)) if rng.random() < 0.4
            else rng.uniform(-1.5, 1.5, int(rng.integers(2, 5)))
            for _ in range(nargs)
        )
        sizes = {len(a) for a in args if isinstance(a, np.ndarray)}
        if len(sizes) > 1:  # vectors of one length, so that they broadcast
            continue
        tree = random_tree(rng, nargs, depth=4)
        if tree[0] != "arg" and well_behaved(tree, args):
            return tree, args


def ours_and_torch(tree: tuple):
    """(vector f, scalar f) on our side and on torch's."""
    def f(*xs):
        return evaluate(tree, xs, OursOps)

    def fs(*xs):
        return OursOps.total(f(*xs))

    def g(*xs):
        return evaluate(tree, xs, TorchOps)

    def gs(*xs):
        return g(*xs).sum()

    return f, fs, g, gs


def assert_same(ours, theirs, what: str) -> None:
    """Same structure, same type (float for a 0-d tensor, float64 array otherwise), same numbers."""
    if isinstance(theirs, (tuple, list)):
        assert isinstance(ours, type(theirs)) and len(ours) == len(theirs), (what, ours, theirs)
        for i, (o, t) in enumerate(zip(ours, theirs, strict=True)):
            assert_same(o, t, f"{what}[{i}]")
        return
    expected = theirs.detach().numpy(force=True)  # force: torch may give a lazy ZeroTensor
    if theirs.dim() == 0:
        assert type(ours) is float, (what, type(ours))
    else:
        assert isinstance(ours, np.ndarray) and ours.dtype == np.float64, (what, type(ours))
        assert ours.shape == expected.shape, (what, ours.shape, expected.shape)
    ours = np.asarray(ours)
    assert np.all(np.abs(ours - expected) <= ATOL + RTOL * np.abs(expected)), (what, ours, expected)


def tensors(args: tuple) -> tuple:
    return tuple(torch.tensor(a, dtype=torch.float64) for a in args)


def like(rng: np.random.Generator, x):
    """A random cotangent or tangent shaped as ``x`` (a float, an array or a tensor)."""
    shape = tuple(x.shape) if hasattr(x, "shape") else ()
    v = rng.uniform(-1.0, 1.0, shape)
    return float(v) if shape == () else v


@needs_torch
@pytest.mark.parametrize("seed", range(N_FUNCTIONS), ids=lambda s: f"f{s:02d}")
def test_transforms_agree_with_torch_func(seed):
    tree, args = random_function(seed)
    f, fs, g, gs = ours_and_torch(tree)
    targs = tensors(args)
    every = tuple(range(len(args)))
    rng = np.random.default_rng(1000 + seed)

    assert_same(F.grad(fs)(*args), TF.grad(gs)(*targs), "grad")
    assert_same(F.grad(fs, argnums=every)(*args), TF.grad(gs, argnums=every)(*targs), "grad all")
    value, gradient = F.value_and_grad(fs, argnums=every)(*args)
    t_gradient, t_value = TF.grad_and_value(gs, argnums=every)(*targs)
    assert_same((value, gradient), (t_value, t_gradient), "value_and_grad")
    assert_same(F.jacrev(f, argnums=every)(*args), TF.jacrev(g, argnums=every)(*targs), "jacrev")
    assert_same(F.jacfwd(f, argnums=every)(*args), TF.jacfwd(g, argnums=every)(*targs), "jacfwd")
    assert_same(F.hessian(fs)(*args), TF.hessian(gs)(*targs), "hessian")
    assert_same(F.hessian(fs, argnums=every)(*args), TF.hessian(gs, argnums=every)(*targs),
                "hessian all")
    assert_same(F.jacrev(F.jacfwd(fs))(*args), TF.jacrev(TF.jacfwd(gs))(*targs), "jacrev(jacfwd)")

    out, vjp_fn = F.vjp(f, *args)
    t_out, t_vjp_fn = TF.vjp(g, *targs)
    cotangent = like(rng, t_out)
    assert_same(out, t_out, "vjp output")
    assert_same(vjp_fn(cotangent), t_vjp_fn(torch.tensor(cotangent, dtype=torch.float64)), "vjp")

    tangents = tuple(like(rng, a) for a in args)
    assert_same(F.jvp(f, args, tangents), TF.jvp(g, targs, tensors(tangents)), "jvp")

    if not isinstance(args[0], np.ndarray):  # grad of grad needs a scalar first argument
        assert_same(F.grad(F.grad(fs))(*args), TF.grad(TF.grad(gs))(*targs), "grad(grad)")


@needs_torch
def test_the_random_functions_cover_every_primitive_and_both_kinds_of_argument():
    ops, kinds = set(), set()

    def walk(tree):
        ops.add(tree[0])
        for t in tree[1:]:
            if isinstance(t, tuple):
                walk(t)

    for seed in range(N_FUNCTIONS):
        tree, args = random_function(seed)
        walk(tree)
        kinds |= {type(a).__name__ for a in args}
    assert set(UNARY) | set(BINARY) <= ops
    assert kinds == {"float", "ndarray"}


@needs_torch
def test_several_outputs_and_arguments_nest_as_in_torch():
    def f(x, y):
        return np.sin(x) * y, (x * y).sum().tanh()

    def g(x, y):
        return torch.sin(x) * y, (x * y).sum().tanh()

    x, y = np.array([0.3, -1.2, 2.0]), 0.7
    tx, ty = tensors((x, y))
    for ours, theirs in ((F.jacrev, TF.jacrev), (F.jacfwd, TF.jacfwd)):
        assert_same(ours(f, argnums=(0, 1))(x, y), theirs(g, argnums=(0, 1))(tx, ty), "jac")
        assert_same(ours(f, argnums=1)(x, y), theirs(g, argnums=1)(tx, ty), "jac one")
    out, vjp_fn = F.vjp(f, x, y)
    t_out, t_vjp_fn = TF.vjp(g, tx, ty)
    assert_same(out, t_out, "vjp output")
    cts = (np.array([1.0, -2.0, 0.5]), 3.0)
    assert_same(vjp_fn(cts), t_vjp_fn(tensors(cts)), "vjp")


@needs_torch
def test_transform_of_a_closure_over_the_outer_argument_matches_torch():
    def ours(x):
        return F.grad(lambda y: (x * y).sin())(x)

    def theirs(x):
        return TF.grad(lambda y: (x * y).sin())(x)

    assert_same(F.grad(ours)(0.8), TF.grad(theirs)(torch.tensor(0.8, dtype=torch.float64)), "")


# --------------------------------------------------------------------------- the contract


def test_grad_of_a_scalar_function_is_a_float():
    assert F.grad(lambda x: x.sin())(1.0) == math.cos(1.0)
    assert type(F.grad(lambda x: x * x)(3)) is float


def test_gradient_of_a_vector_argument_has_its_shape():
    x = np.array([1.0, 2.0, 3.0])
    g = F.grad(lambda x: (x * x).sum())(x)
    assert isinstance(g, np.ndarray) and g.dtype == np.float64
    np.testing.assert_array_equal(g, 2 * x)


def test_grad_of_grad_of_grad():
    third = F.grad(F.grad(F.grad(lambda x: x.sin())))
    assert third(0.4) == pytest.approx(-math.cos(0.4), rel=1e-14)


def test_no_perturbation_confusion():
    """d/dx [d/dy (x * y) at y = x] is d/dx x = 1, not d/dx 2x (JAX's and PyTorch's answer)."""
    assert F.grad(lambda x: F.grad(lambda y: x * y)(x))(3.0) == 1.0
    assert F.grad(lambda x: F.jvp(lambda y: x * y, (x,), (1.0,))[1])(3.0) == 1.0


def test_a_transform_inside_another_keeps_a_closed_over_variable_differentiable():
    # the inner grad is given a float, but its result x is a function of the outer x
    assert F.grad(lambda x: F.grad(lambda y: x * y * y)(2.0))(3.0) == 4.0


def test_forward_over_forward_and_reverse_over_forward():
    sin2 = F.jacfwd(F.jacfwd(lambda x: x.sin()))
    assert sin2(0.3) == pytest.approx(-math.sin(0.3), rel=1e-14)
    assert F.grad(F.jacfwd(lambda x: x.exp() * x))(0.5) == pytest.approx(
        math.exp(0.5) * 2.5, rel=1e-14)


def test_hessian_agrees_with_the_functional_hessian():
    def f(a, b, c):
        return (a * b).tanh() + c.exp() * a - (b / c).sin()

    def fv(v):
        return f(v[0], v[1], v[2])

    point = [0.3, -0.8, 1.4]
    expected = functional_hessian(f, point)
    np.testing.assert_allclose(F.hessian(fv)(np.array(point)), expected, rtol=1e-13, atol=1e-13)
    blocks = F.hessian(f, argnums=(0, 1, 2))(*point)
    assert np.allclose([[blocks[i][j] for j in range(3)] for i in range(3)], expected,
                       rtol=1e-13, atol=1e-13)


def test_jacfwd_uses_forward_mode_and_jacrev_reverse_mode(monkeypatch):
    def f(x):
        return np.sin(x) * x[0]

    x = np.array([0.2, 0.5, -1.0])
    expected = F.jacrev(f)(x)

    def no_sweep(*args, **kwargs):
        raise AssertionError("the other mode's sweep ran")

    with monkeypatch.context() as m:
        m.setattr(autograd.sweep, "reverse", no_sweep)
        np.testing.assert_allclose(F.jacfwd(f)(x), expected, rtol=1e-15)
    monkeypatch.setattr(autograd.sweep, "forward", no_sweep)
    np.testing.assert_array_equal(F.jacrev(f)(x), expected)


def test_a_value_argument_gives_differentiable_results_and_keeps_its_grad():
    x = Value(0.5)
    x.grad = 7.0
    seen = []

    def f(y):
        seen.append(y.data)
        return y.sin() * y

    g = F.grad(f)(x)
    assert isinstance(g, Value) and g.data == pytest.approx(math.cos(0.5) * 0.5 + math.sin(0.5))
    assert x.grad == 7.0  # the transform leaves .grad alone, as autograd.grad does
    g.backward()
    assert x.grad == pytest.approx(7.0 - math.sin(0.5) * 0.5 + 2 * math.cos(0.5), rel=1e-14)
    assert seen == [0.5]


def test_a_value_argument_reaches_f_with_its_data_unchanged_minus_zero_included():
    seen = []
    F.grad(lambda y: seen.append(math.copysign(1.0, y.data)) or y * 2.0)(Value(-0.0))
    assert seen == [-1.0]


def test_transforms_work_inside_no_grad():
    with no_grad():
        assert F.grad(lambda x: x * x)(3.0) == 6.0
        assert F.jacfwd(lambda x: x * x)(3.0) == 6.0


def test_constant_outputs_have_zero_derivatives():
    assert F.grad(lambda x: 2.0)(1.0) == 0.0
    jac = F.jacrev(lambda x: np.array([1.0, 2.0]))(np.array([1.0, 2.0, 3.0]))
    assert jac.shape == (2, 3) and not jac.any()
    assert F.jacfwd(lambda x, y: x * 3.0, argnums=1)(1.0, 2.0) == 0.0


def test_argnums_negative_and_tuple():
    def f(a, b, c):
        return a * b * b * c

    assert F.grad(f, argnums=-1)(2.0, 3.0, 5.0) == 18.0
    assert F.grad(f, argnums=(2, 0))(2.0, 3.0, 5.0) == (18.0, 45.0)
    assert F.jacrev(f, argnums=(1,))(2.0, 3.0, 5.0) == (60.0,)


def test_value_and_grad_and_grad_and_value():
    assert F.value_and_grad(lambda x: x * x)(3.0) == (9.0, 6.0)
    assert F.grad_and_value(lambda x: x * x)(3.0) == (6.0, 9.0)


def test_has_aux_returns_aux_as_floats_at_top_level():
    def f(x):
        y = x * x
        return y, {"y": y, "note": "kept"}

    assert F.grad(f, has_aux=True)(3.0) == (6.0, {"y": 9.0, "note": "kept"})
    assert F.value_and_grad(f, has_aux=True)(3.0) == ((9.0, {"y": 9.0, "note": "kept"}), 6.0)
    assert F.grad_and_value(f, has_aux=True)(3.0) == (6.0, (9.0, {"y": 9.0, "note": "kept"}))
    assert F.jacfwd(f, has_aux=True)(3.0)[0] == 6.0
    out, vjp_fn, aux = F.vjp(f, 3.0, has_aux=True)
    assert (out, vjp_fn(2.0), aux["y"]) == (9.0, (12.0,), 9.0)
    assert F.jvp(f, (3.0,), (1.0,), has_aux=True)[:2] == (9.0, 6.0)


def test_vjp_fn_can_be_called_again_and_differentiated():
    out, vjp_fn = F.vjp(lambda x: np.exp(x), np.array([0.0, 1.0]))
    first, second = vjp_fn(np.array([1.0, 2.0])), vjp_fn(np.array([1.0, 2.0]))
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_allclose(first[0], [1.0, 2 * math.e], rtol=1e-15)
    # linear in the cotangent: its gradient with respect to the cotangent is the output
    np.testing.assert_allclose(F.grad(lambda c: vjp_fn(c)[0].sum())(np.array([1.0, 2.0])),
                               out, rtol=1e-15)


def test_jvp_tangents_may_be_values():
    out, tangent = F.jvp(lambda x: x * x, (3.0,), (Value(2.0),))
    assert isinstance(out, Value) and out.data == 9.0  # a Value tangent keeps results Values
    assert isinstance(tangent, Value) and tangent.data == 12.0
    assert F.grad(lambda t: F.jvp(lambda x: x * x, (3.0,), (t,))[1])(2.0) == 6.0


def test_grad_refuses_a_vector_output():
    with pytest.raises(ValueError, match=r"grad: f must return a scalar.*shape \(2,\).*jacrev"):
        F.grad(lambda x: x * 2.0)(np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match="tuple of 2 outputs"):
        F.grad(lambda x: (x, x))(1.0)


@pytest.mark.parametrize("bad, message", [
    ([1.0, 2.0], "argument 0 is a list; pass a vector as a numpy array"),
    ("x", "argument 0 must be a number, a Value or a numpy array of numbers, got str"),
    (np.array([1j]), "must hold real numbers, got an array of dtype complex128"),
    (np.array([Value(1.0), "a"], dtype=object), "an element of argument 0 must be a number"),
    (Dual(1.0, 1.0), "argument 0 is a Dual"),
])
def test_bad_arguments_are_type_errors(bad, message):
    with pytest.raises(TypeError, match=message):
        F.jacrev(lambda x: x)(bad)


def test_bad_argnums_and_functions():
    with pytest.raises(TypeError, match="grad: expected a function to transform, got int"):
        F.grad(3)
    with pytest.raises(ValueError, match="argnums 2 is out of range"):
        F.grad(lambda a, b: a * b, argnums=2)(1.0, 2.0)
    with pytest.raises(ValueError, match="must not repeat"):
        F.grad(lambda a, b: a * b, argnums=(0, -2))(1.0, 2.0)
    with pytest.raises(ValueError, match="non-empty tuple"):
        F.jacrev(lambda a: a, argnums=())(1.0)
    with pytest.raises(TypeError, match="argnums must be an int or a tuple of ints"):
        F.jacfwd(lambda a: a, argnums=[0])(1.0)
    with pytest.raises(TypeError, match="tuple of ints, got True"):
        F.grad(lambda a: a, argnums=True)(1.0)


def test_f_must_return_values_or_numbers():
    with pytest.raises(TypeError, match=r"jacrev: f must return Values, numbers.*got str"):
        F.jacrev(lambda x: "no")(1.0)
    with pytest.raises(ValueError, match=r"has_aux=True, f must return a pair \(output, aux\)"):
        F.grad(lambda x: x, has_aux=True)(1.0)


def test_jvp_and_vjp_check_shapes():
    with pytest.raises(TypeError, match="jvp: primals must be a tuple"):
        F.jvp(lambda x: x, 1.0, 1.0)
    with pytest.raises(ValueError, match="1 primals but 2 tangents"):
        F.jvp(lambda x: x, (1.0,), (1.0, 2.0))
    with pytest.raises(ValueError, match=r"tangent 0 has shape \(3,\), expected \(2,\)"):
        F.jvp(lambda x: x, (np.ones(2),), (np.ones(3),))
    _, vjp_fn = F.vjp(lambda x: x * 2.0, np.ones(2))
    with pytest.raises(ValueError, match=r"cotangents is a scalar, expected .* shape \(2,\)"):
        vjp_fn(1.0)
    _, vjp_fn = F.vjp(lambda x: (x, x), 1.0)
    with pytest.raises(ValueError, match="2 outputs, so cotangents must be a tuple of 2"):
        vjp_fn(1.0)


def test_transformed_functions_have_readable_names():
    def loss(x):
        return x * x

    assert F.grad(loss).__name__ == "grad(loss)"
    assert F.hessian(loss).__name__ == "hessian(loss)"
