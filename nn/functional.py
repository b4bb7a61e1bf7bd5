"""Activations and losses as functions, named and computed as in ``torch.nn.functional``.

Every function here builds its result from ``Value`` operations (rows of the
primitive table), so its gradient comes from the engine; none has a backward
rule of its own. Where PyTorch has a namesake, the formula is PyTorch's, with
its defaults and its conventions at kinks, so that values and gradients
agree with PyTorch in float64 to rounding (one exception, stated in
``hardsigmoid``: PyTorch's float32 slope). Where we add something PyTorch
does not have (``hard_logistic``, ``hard_tanh``, ``swish``, ``maxout``,
``gelu(approximate='sigmoid')``, ``max_margin_loss``, the penalties), the
docstring says so.

Shapes:

- activations apply elementwise to one ``Value`` or number, or to a list
  (or tuple, or nested lists: a batch) of them, and return the same shape;
  numbers become constant ``Value`` s. ``softmax``, ``log_softmax`` and
  ``maxout`` take a list: one sample (``softmax`` and ``log_softmax`` also
  take a list of such lists, a batch, and work row by row, or column by
  column with ``dim=0``).
- losses take one sample (a Value and a number) or a batch (lists of the
  same length, possibly nested), and ``reduction='mean' | 'sum' | 'none'``
  as in PyTorch: the mean or sum over all elements, or the per-element
  losses in the shape of the input. A one-element list pairs with a single
  prediction or target, so a one-output model's batch ``[p1, p2]`` goes
  with targets ``[[y1], [y2]]`` (PyTorch's shape ``(n, 1)``) as well as
  ``[y1, y2]``; nothing is broadcast (where PyTorch would pair ``(n,)``
  with ``(n, 1)`` as an n x n grid and warn). numpy arrays are read as
  nested lists.

Where PyTorch's formula branches (Huber's |d| < delta, smooth L1's
|d| < beta), the branch is a Python ``if`` on the data: the graph holds only
the branch that was taken, whose derivatives are PyTorch's on that side.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from autograd import Value
from autograd.scalar import Scalar, describe

if TYPE_CHECKING:
    from typing_extensions import TypeIs

#: A scalar input: a ``Value`` (or a ``Dual``) or a plain real number.
ScalarLike = Scalar | float
#: A scalar or a list of them, possibly nested (a batch).
Nested = ScalarLike | Sequence[Any]

REDUCTIONS = ("mean", "sum", "none")
GELU_APPROXIMATIONS = ("none", "tanh", "sigmoid")

# PyTorch's constants for GELU, as their C definitions: M_SQRT1_2, and M_SQRT2 * M_2_SQRTPI * 0.5.
_SQRT1_2 = 0.7071067811865476
_GELU_TANH_BETA = math.sqrt(2.0) * 1.1283791670955126 * 0.5  # sqrt(2 / pi)
_GELU_TANH_KAPPA = 0.044715
_GELU_SIGMOID_SCALE = 1.702

# --------------------------------------------------------------------------- input handling


def _scalar(x: Any, fn: str) -> Scalar:
    """``x`` as a scalar node: Values (and Duals) as they are, real numbers as constant Values."""
    if isinstance(x, Scalar):
        return x
    if isinstance(x, numbers.Real):
        # Value takes any real number as it is (a tracing recorder may know this very object)
        return Value(cast(float, x))
    raise TypeError(f"{fn}: expected a Value, a real number or a list of them, got {describe(x)}")


def _number(x: Any, fn: str, name: str) -> float:
    """A constant argument (a slope, a threshold) as a float, or a TypeError naming it."""
    if isinstance(x, numbers.Real) and not isinstance(x, bool):
        return float(x)
    raise TypeError(f"{fn}: {name} must be a real number, got {describe(x)}")


def _is_seq(x: object) -> TypeIs[list[Any] | tuple[Any, ...]]:
    return isinstance(x, (list, tuple))


def _listed(x: Any) -> Any:
    """A numpy array as nested lists (``tolist()``); anything else as it is."""
    return x.tolist() if isinstance(x, np.ndarray) else x


def _map(fn: str, x: Nested, f: Callable[[Scalar], Scalar]) -> Any:
    """``f`` on every scalar in ``x``, keeping its shape (lists stay lists, tuples tuples)."""
    if _is_seq(x):
        out = [_map(fn, item, f) for item in x]
        return out if isinstance(x, list) else tuple(out)
    return f(_scalar(x, fn))


def _sum(values: Sequence[Scalar]) -> Scalar:
    """v_0 + v_1 + ... as a chain of '+' nodes (no constant 0 leaf, unlike ``sum()``)."""
    total = values[0]
    for v in values[1:]:
        total = total + v
    return total


# --------------------------------------------------------------------------- activations


def sigmoid(x: Nested) -> Any:
    """The logistic function, ``torch.nn.functional.sigmoid``.

    sigma(x) = 1 / (1 + e^-x),   sigma'(x) = sigma(x) (1 - sigma(x)).

    One primitive: 0 (not an overflow) for x -> -inf, 1 for x -> +inf.
    """
    return _map("sigmoid", x, lambda v: v.sigmoid())


def tanh(x: Nested) -> Any:
    """The hyperbolic tangent, ``torch.nn.functional.tanh``.

    tanh(x) = (e^x - e^-x) / (e^x + e^-x),   tanh'(x) = 1 - tanh(x)^2.
    """
    return _map("tanh", x, lambda v: v.tanh())


def hardtanh(x: Nested, min_val: float = -1.0, max_val: float = 1.0) -> Any:
    """``torch.nn.functional.hardtanh``: clamp(x, min_val, max_val).

    hardtanh(x) = min_val if x < min_val, max_val if x > max_val, else x.
    Derivative 1 strictly inside (min_val, max_val) and 0 at and beyond the
    corners, as PyTorch's hardtanh_backward. PyTorch also accepts
    min_val == max_val (a constant); here min_val < max_val is required.
    """
    lo = _number(min_val, "hardtanh", "min_val")
    hi = _number(max_val, "hardtanh", "max_val")
    if not lo < hi:
        raise ValueError(f"hardtanh: min_val must be below max_val, got {lo} and {hi}")
    return _map("hardtanh", x, lambda v: v.hardtanh(lo, hi))


def hardsigmoid(x: Nested) -> Any:
    """``torch.nn.functional.hardsigmoid``: relu6(x + 3) / 6.

    hardsigmoid(x) = 0 if x <= -3, 1 if x >= 3, else x / 6 + 1/2, computed as
    min(max(x + 3, 0), 6) / 6. Slope 1/6 inside (-3, 3), 0 at and beyond the
    corners (PyTorch's hardsigmoid_backward). Like PyTorch, the slope is the
    float32 nearest to 1/6 (0.1666666716337204), also in float64: its
    backward multiplies by ``1.0f / 6.0f``. Compare ``hard_logistic`` (slope 1/4).
    """
    return _map("hardsigmoid", x, lambda v: v.hardsigmoid())


def hard_logistic(x: Nested) -> Any:
    """The course's hard logistic: max(min(0.25 x + 0.5, 1), 0). Not in PyTorch.

    The logistic function's first-order Taylor expansion at 0,
    sigma(x) ~ x / 4 + 1/2, clipped to [0, 1]: slope 1/4 on (-2, 2), where
    PyTorch's ``hardsigmoid`` has slope 1/6 on (-3, 3). The derivative is 0
    at the corners x = +-2 (hardtanh's convention; the max/min formula with
    ``torch.maximum``'s tie rule would give 1/8 there).
    """
    return _map("hard_logistic", x, lambda v: (0.25 * v + 0.5).hardtanh(0.0, 1.0))


def hard_tanh(x: Nested) -> Any:
    """The course's hard tanh: max(min(x, 1), -1), tanh's first-order Taylor expansion clipped.

    The same function as PyTorch's ``hardtanh`` with its defaults (slope 1 on
    (-1, 1), derivative 0 at the corners), but with fixed bounds; the
    course's hard logistic is the one that differs from PyTorch's
    (``hard_logistic``: slope 1/4, ``hardsigmoid``: slope 1/6).
    """
    return _map("hard_tanh", x, lambda v: v.hardtanh(-1.0, 1.0))


def relu(x: Nested) -> Any:
    """``torch.nn.functional.relu``: max(x, 0), with relu'(0) = 0 as in PyTorch."""
    return _map("relu", x, lambda v: v.relu())


def leaky_relu(x: Nested, negative_slope: float = 0.01) -> Any:
    """``torch.nn.functional.leaky_relu``: x if x > 0 else negative_slope * x.

    The derivative is 1 for x > 0 and negative_slope for x <= 0 (PyTorch
    takes the negative branch at 0).
    """
    slope = _number(negative_slope, "leaky_relu", "negative_slope")
    return _map("leaky_relu", x, lambda v: v.leaky_relu(slope))


def prelu(x: Nested, weight: ScalarLike | Sequence[ScalarLike]) -> Any:
    """``torch.nn.functional.prelu``: x if x > 0 else a * x, with a learnable slope a.

    d/dx = 1 or a (a at x = 0, as PyTorch), d/da = 0 or x. ``weight`` is one
    slope shared by every element (a Value, a number, or a list of one), or
    one slope per unit: a list as long as the sample, applied position by
    position (PyTorch's per-channel weight on input of shape (N, C)); a
    batch (a list of samples) uses the same slopes for every sample.
    """
    if _is_seq(weight) and len(weight) == 1:
        weight = weight[0]
    if not _is_seq(weight):
        a = _scalar(weight, "prelu")
        return _map("prelu", x, lambda v: v.prelu(a))
    slopes = [_scalar(w, "prelu") for w in weight]
    if not slopes:
        raise ValueError("prelu: weight is an empty list; give one slope or one per unit")
    return _per_unit(x, slopes)


def _per_unit(x: Nested, slopes: list[Scalar]) -> Any:
    if not _is_seq(x):
        raise ValueError(
            f"prelu: {len(slopes)} slopes (one per unit) need a list of {len(slopes)} inputs, "
            f"got {describe(x)}"
        )
    if x and all(_is_seq(row) for row in x):
        return [_per_unit(row, slopes) for row in x]
    if len(x) != len(slopes):
        raise ValueError(
            f"prelu: {len(slopes)} slopes (one per unit) but an input of length {len(x)}"
        )
    return [_scalar(v, "prelu").prelu(a) for v, a in zip(x, slopes, strict=True)]


def elu(x: Nested, alpha: float = 1.0) -> Any:
    """``torch.nn.functional.elu``: x if x > 0 else alpha (e^x - 1).

    The derivative is 1 for x > 0 and alpha e^x for x <= 0, so elu'(0) = alpha
    (PyTorch takes the negative branch at 0; the two sides meet only for
    alpha = 1). e^x - 1 is computed with expm1, as PyTorch does.
    """
    a = _number(alpha, "elu", "alpha")
    return _map("elu", x, lambda v: v.elu(a))


def softplus(x: Nested, beta: float = 1.0, threshold: float = 20.0) -> Any:
    """``torch.nn.functional.softplus``: log(1 + e^(beta x)) / beta; x where beta x > threshold.

    softplus'(x) = sigmoid(beta x), and 1 on the linear branch (PyTorch's
    defaults beta = 1, threshold = 20), so softplus(1000) = 1000 without
    overflow. beta = 0 is an error (PyTorch returns inf).
    """
    b = _number(beta, "softplus", "beta")
    t = _number(threshold, "softplus", "threshold")
    if b == 0:
        raise ValueError("softplus: beta must be non-zero, got 0.0")
    return _map("softplus", x, lambda v: v.softplus(b, t))


def silu(x: Nested) -> Any:
    """``torch.nn.functional.silu``: x sigmoid(x) (swish with beta = 1).

    silu'(x) = sigma(x) (1 + x (1 - sigma(x))).
    """
    return _map("silu", x, lambda v: v * v.sigmoid())


def swish(x: Nested, beta: ScalarLike = 1.0) -> Any:
    """Swish (Ramachandran et al., 2017): x sigmoid(beta x). Not in PyTorch (``silu`` is beta = 1).

    d/dx = s + beta x s (1 - s) and d/dbeta = x^2 s (1 - s), with s = sigmoid(beta x).
    ``beta`` is a number or a Value (then it is learnable: it gets a gradient).
    """
    if isinstance(beta, Scalar):
        b: Any = beta
    else:
        b = _number(beta, "swish", "beta")
    return _map("swish", x, lambda v: v * (b * v).sigmoid())


def gelu(x: Nested, approximate: str = "none") -> Any:
    """``torch.nn.functional.gelu``: x Phi(x), Phi the standard normal CDF.

    - ``'none'`` (exact, PyTorch): x * 0.5 * (1 + erf(x / sqrt 2)).
    - ``'tanh'`` (PyTorch): 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
    - ``'sigmoid'`` (ours, not PyTorch's, which accepts only the two above):
      x sigmoid(1.702 x), the approximation from Hendrycks and Gimpel (2016).
    """
    if approximate not in GELU_APPROXIMATIONS:
        raise ValueError(
            f"gelu: approximate must be 'none', 'tanh' or 'sigmoid', got {approximate!r}"
        )
    if approximate == "tanh":
        def f(v: Scalar) -> Scalar:
            inner = _GELU_TANH_BETA * (v + _GELU_TANH_KAPPA * (v * v * v))
            return 0.5 * v * (1.0 + inner.tanh())
    elif approximate == "sigmoid":
        def f(v: Scalar) -> Scalar:
            return v * (_GELU_SIGMOID_SCALE * v).sigmoid()
    else:
        def f(v: Scalar) -> Scalar:
            return v * 0.5 * (1.0 + (v * _SQRT1_2).erf())
    return _map("gelu", x, f)


def logsigmoid(x: Nested) -> Any:
    """``torch.nn.functional.logsigmoid``: log(sigmoid(x)) = min(x, 0) - log1p(e^-|x|).

    One primitive, in PyTorch's stable form; d/dx = sigmoid(-x). So
    logsigmoid(-1000) = -1000 and logsigmoid(1000) = 0, without overflow.
    """
    return _map("logsigmoid", x, lambda v: v.logsigmoid())


def _row(xs: Any, fn: str) -> list[Scalar]:
    if not _is_seq(xs):
        raise TypeError(
            f"{fn}: expected a list of Values or numbers (one sample), got {describe(xs)}"
        )
    if not xs:
        raise ValueError(f"{fn}: needs at least one value, got an empty list")
    return [_scalar(x, fn) for x in xs]


def _rows(xs: Any, fn: str, f: Callable[[list[Scalar]], list[Scalar]], dim: Any = -1) -> list:
    """``f`` along dimension ``dim`` of one sample (a list) or of a batch (a list of lists).

    For a batch, ``dim`` = 1 or -1 applies ``f`` to each row (each sample),
    ``dim`` = 0 or -2 to each column; ``None`` means -1 (PyTorch's implicit
    choice for one and two dimensions). Other dims are an IndexError, as in
    PyTorch.
    """
    xs = _listed(xs)
    batch = _is_seq(xs) and bool(xs) and all(_is_seq(row) for row in xs)
    ndim = 2 if batch else 1
    if dim is None:
        dim = -1
    if isinstance(dim, bool) or not isinstance(dim, numbers.Integral):
        raise TypeError(f"{fn}: dim must be an int, got {describe(dim)}")
    dim = int(dim)  # any Integral (a numpy int too), exactly
    if not -ndim <= dim < ndim:
        raise IndexError(
            f"{fn}: dim {dim} is out of range for a {ndim}-D input (expected {-ndim}..{ndim - 1})"
        )
    if not batch:
        return f(_row(xs, fn))
    if dim % 2 == 1:
        return [f(_row(row, fn)) for row in xs]
    width = len(xs[0])
    if any(len(row) != width for row in xs):
        raise ValueError(f"{fn}: dim={dim} needs rows of one length, got lengths "
                         f"{sorted({len(row) for row in xs})}")
    columns = [f(_row([row[j] for row in xs], fn)) for j in range(width)]
    return [[column[i] for column in columns] for i in range(len(xs))]


def _shifted_exps(row: list[Scalar]) -> tuple[list[Scalar], list[Scalar], Scalar]:
    """(x_i - m, e^(x_i - m), sum_j e^(x_j - m)) for m = max_j x_j, taken as a constant.

    Subtracting the maximum keeps every exponent <= 0, so nothing overflows
    and the sum is >= 1. m is a number, not a node: softmax(x - m) =
    softmax(x) for every m, so the gradient is exact without one through m.
    """
    m = max(v.data for v in row)
    shifted = [v - m for v in row]
    exps = [s.exp() for s in shifted]
    return shifted, exps, _sum(exps)


def softmax(
    xs: Sequence[ScalarLike] | Sequence[Sequence[ScalarLike]], dim: int | None = -1
) -> list:
    """``torch.nn.functional.softmax`` over one sample: e^(x_i - m) / sum_j e^(x_j - m).

    m = max_j x_j (as data) makes it stable: softmax([1000, -1000]) = [1, 0].
    d softmax_i / d x_j = softmax_i (delta_ij - softmax_j). A list of lists
    is a batch: each row is normalised (``dim=-1`` or 1, the default), or
    each column (``dim=0``).
    """
    def one(row: list[Scalar]) -> list[Scalar]:
        _, exps, total = _shifted_exps(row)
        return [e / total for e in exps]

    return _rows(xs, "softmax", one, dim)


def log_softmax(
    xs: Sequence[ScalarLike] | Sequence[Sequence[ScalarLike]], dim: int | None = -1
) -> list:
    """``torch.nn.functional.log_softmax`` over one sample: (x_i - m) - log sum_j e^(x_j - m).

    The stable log-sum-exp with m = max_j x_j (as data), as PyTorch computes
    it; d/dx_j = delta_ij - softmax_j. A list of lists is a batch, taken row
    by row (``dim=-1`` or 1, the default) or column by column (``dim=0``).
    """
    def one(row: list[Scalar]) -> list[Scalar]:
        shifted, _, total = _shifted_exps(row)
        lse = total.log()
        return [s - lse for s in shifted]

    return _rows(xs, "log_softmax", one, dim)


def maxout(pieces: Sequence[ScalarLike]) -> Scalar:
    """Maxout (Goodfellow et al., 2013): max_k z_k over a list of pieces. Not in PyTorch.

    Folded as maximum(maximum(z_0, z_1), z_2)...: a unique largest piece gets
    the whole gradient (as ``torch.amax``); two tied pieces get half each
    (``torch.maximum``); with three or more tied, the later ones get more
    (1/4, 1/4, 1/2), where ``torch.amax`` splits evenly.
    """
    row = _row(pieces, "maxout")
    out = row[0]
    for z in row[1:]:
        out = out.maximum(z)
    return out


# --------------------------------------------------------------------------- losses


def _check_reduction(fn: str, reduction: Any) -> None:
    if not isinstance(reduction, str) or reduction not in REDUCTIONS:
        raise ValueError(f"{fn}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _reduce(fn: str, shaped: Any, terms: list[Scalar], reduction: str) -> Any:
    """The per-element losses ``terms`` reduced: their mean or sum, or ``shaped`` as it is."""
    if reduction == "none":
        return shaped
    if not terms:
        raise ValueError(f"{fn}: got an empty batch; there is nothing to reduce")
    total = _sum(terms)
    return total / len(terms) if reduction == "mean" and len(terms) > 1 else total


def _pairs(
    fn: str, prediction: Any, target: Any, term: Callable[[Scalar, Any], Scalar],
    terms: list[Scalar],
) -> Any:
    """``term(p, y)`` for matching elements of prediction and target, in the prediction's shape.

    Each per-element loss is also appended to ``terms`` for the reduction.
    A one-element list pairs with a single number or Value on the other side.
    """
    if _is_seq(prediction):
        if not _is_seq(target):
            if len(prediction) == 1:  # [p] against y: the sample of a one-output model
                return [_pairs(fn, prediction[0], target, term, terms)]
            raise ValueError(
                f"{fn}: {len(prediction)} predictions but a single target {describe(target)}"
            )
        if len(prediction) != len(target):
            raise ValueError(f"{fn}: {len(prediction)} predictions but {len(target)} targets")
        return [_pairs(fn, p, y, term, terms) for p, y in zip(prediction, target, strict=True)]
    if _is_seq(target):
        if len(target) == 1:  # p against [y]: a target of PyTorch's shape (n, 1)
            return _pairs(fn, prediction, target[0], term, terms)
        raise ValueError(f"{fn}: one prediction but {len(target)} targets")
    loss = term(_scalar(prediction, fn), target)
    terms.append(loss)
    return loss


def _pointwise(
    fn: str, prediction: Any, target: Any, reduction: str, term: Callable[[Scalar, Any], Scalar]
) -> Any:
    _check_reduction(fn, reduction)
    terms: list[Scalar] = []
    shaped = _pairs(fn, _listed(prediction), _listed(target), term, terms)
    return _reduce(fn, shaped, terms, reduction)


def _target(y: Any, fn: str) -> Any:
    """A regression target: a Value (it then gets a gradient, as in PyTorch) or a number."""
    if isinstance(y, Scalar):
        return y
    if isinstance(y, numbers.Real) and not isinstance(y, bool):
        return float(y)
    raise TypeError(f"{fn}: a target must be a number or a Value, got {describe(y)}")


def mse_loss(prediction: Nested, target: Any, reduction: str = "mean") -> Any:
    """``torch.nn.functional.mse_loss``: the mean (or sum) of (p - y)^2; d/dp = 2 (p - y) / n."""
    def term(p: Scalar, y: Any) -> Scalar:
        return (p - _target(y, "mse_loss")) ** 2

    return _pointwise("mse_loss", prediction, target, reduction, term)


def l1_loss(prediction: Nested, target: Any, reduction: str = "mean") -> Any:
    """``torch.nn.functional.l1_loss``: the mean (or sum) of |p - y|; d/dp = sign(p - y) / n.

    At p = y the derivative is 0 (abs'(0) = 0, as PyTorch).
    """
    def term(p: Scalar, y: Any) -> Scalar:
        return abs(p - _target(y, "l1_loss"))

    return _pointwise("l1_loss", prediction, target, reduction, term)


def huber_loss(
    prediction: Nested, target: Any, reduction: str = "mean", delta: float = 1.0
) -> Any:
    """``torch.nn.functional.huber_loss``, with d = p - y::

        0.5 d^2                  if |d| < delta
        delta (|d| - delta / 2)  otherwise

    d/dp = d inside, delta sign(d) outside: the two agree at |d| = delta
    (where PyTorch, and we, take the linear branch). delta must be > 0.
    """
    fn = "huber_loss"
    dl = _number(delta, fn, "delta")
    if not dl > 0:
        raise ValueError(f"{fn}: delta must be positive, got {dl}")

    def term(p: Scalar, y: Any) -> Scalar:
        d = p - _target(y, fn)
        return 0.5 * d**2 if abs(d.data) < dl else dl * (abs(d) - 0.5 * dl)

    return _pointwise(fn, prediction, target, reduction, term)


def smooth_l1_loss(
    prediction: Nested, target: Any, reduction: str = "mean", beta: float = 1.0
) -> Any:
    """``torch.nn.functional.smooth_l1_loss``, with d = p - y::

        0.5 d^2 / beta   if |d| < beta
        |d| - beta / 2   otherwise

    Huber loss divided by beta (equal for beta = delta = 1). d/dp = d / beta
    inside and sign(d) outside; beta = 0 gives the L1 loss (as PyTorch);
    beta < 0 is an error.
    """
    fn = "smooth_l1_loss"
    b = _number(beta, fn, "beta")
    if b < 0:
        raise ValueError(f"{fn}: beta must be non-negative, got {b}")

    def term(p: Scalar, y: Any) -> Scalar:
        d = p - _target(y, fn)
        return 0.5 * d**2 / b if abs(d.data) < b else abs(d) - 0.5 * b

    return _pointwise(fn, prediction, target, reduction, term)


def binary_cross_entropy(prediction: Nested, target: Any, reduction: str = "mean") -> Any:
    """``torch.nn.functional.binary_cross_entropy`` for probabilities p in [0, 1]::

        -(y log p + (1 - y) log(1 - p)),   each log clamped at -100 (PyTorch),

    so p = 0 or 1 gives a finite loss (at most 100). d/dp = (p - y) /
    max(p (1 - p), eps), PyTorch's backward. Targets are numbers in [0, 1]
    (PyTorch has no gradient for the target here); for logits use
    ``binary_cross_entropy_with_logits``, which is stable.
    """
    fn = "binary_cross_entropy"

    def term(p: Scalar, y: Any) -> Scalar:
        if not 0.0 <= p.data <= 1.0:
            raise ValueError(f"{fn}: predictions must be probabilities in [0, 1], got {p.data!r}")
        if isinstance(y, bool) or not isinstance(y, numbers.Real):
            raise TypeError(f"{fn}: a target must be a number in [0, 1], got {describe(y)}")
        if not 0.0 <= y <= 1.0:  # type: ignore[operator]  # typeshed's numbers.Real lacks __ge__
            raise ValueError(f"{fn}: targets must be in [0, 1], got {y!r}")
        return p.binary_cross_entropy(y)

    return _pointwise(fn, prediction, target, reduction, term)


def binary_cross_entropy_with_logits(
    prediction: Nested, target: Any, reduction: str = "mean"
) -> Any:
    """``torch.nn.functional.binary_cross_entropy_with_logits`` for a logit x, PyTorch's form::

        (1 - y) x - logsigmoid(x)   ( = -(y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))) )

    Stable for any x (logsigmoid is one primitive): at x = -1000, y = 1 the
    loss is 1000, not inf. d/dx = sigmoid(x) - y. The target may be a Value.
    """
    fn = "binary_cross_entropy_with_logits"

    def term(x: Scalar, y: Any) -> Scalar:
        return (1.0 - _target(y, fn)) * x - x.logsigmoid()

    return _pointwise(fn, prediction, target, reduction, term)


def max_margin_loss(scores: Nested, labels: Any, reduction: str = "mean") -> Any:
    """The hinge loss of micrograd's demo: mean of relu(1 - y s), labels y = +-1. Not in PyTorch.

    Zero once a score is on the right side with margin 1 (y s >= 1); else
    1 - y s, with d/ds = -y. At y s = 1 exactly the gradient is 0 (relu'(0) = 0).
    """
    fn = "max_margin_loss"

    def term(s: Scalar, y: Any) -> Scalar:
        if isinstance(y, bool) or not isinstance(y, numbers.Real):
            raise TypeError(f"{fn}: a label must be the number -1 or 1, got {describe(y)}")
        if y not in (-1, 1):
            raise ValueError(f"{fn}: labels must be -1 or 1, got {describe(y)}")
        return (1.0 - float(y) * s).relu()

    return _pointwise(fn, scores, labels, reduction, term)


def cross_entropy(
    logits: Sequence[Any], target: Any, reduction: str = "mean", label_smoothing: float = 0.0
) -> Any:
    """``torch.nn.functional.cross_entropy`` for integer class targets::

        loss = -log_softmax(x)_t = log sum_j e^(x_j - m) - (x_t - m),   m = max_j x_j

    (stable log-sum-exp; d/dx_j = softmax_j - [j = t]). One sample is a list
    of logits and an int (every reduction then gives its loss); a batch is a
    list of such lists and a list of ints (or of one-int lists), reduced over
    the batch. An index outside 0..C-1 is a ValueError (PyTorch: IndexError).

    With ``label_smoothing`` = ε in [0, 1] the target is the mixture of the
    class and the uniform distribution over the C classes, and the loss is
    PyTorch's::

        (1 - ε) nll + (ε / C) smooth,   nll = -log_softmax(x)_t,
                                        smooth = -sum_j log_softmax(x)_j

    each of nll and smooth reduced over the batch first, as PyTorch does;
    d/dx_j = softmax_j - (1 - ε) [j = t] - ε / C. Class probabilities as
    targets, ``weight`` and ``ignore_index`` are not supported.
    """
    fn = "cross_entropy"
    _check_reduction(fn, reduction)
    eps = _number(label_smoothing, fn, "label_smoothing")
    if not 0.0 <= eps <= 1.0:
        raise ValueError(f"{fn}: label_smoothing must be between 0.0 and 1.0, got {eps}")
    rows, targets, batch = _classified(fn, logits, target)
    if eps == 0.0:
        losses = []
        for row, t in zip(rows, targets, strict=True):
            shifted, _, total = _shifted_exps(row)
            losses.append(total.log() - shifted[t])
        return _reduce(fn, losses, losses, reduction) if batch else losses[0]
    nll, smooth = [], []
    for row, t in zip(rows, targets, strict=True):
        shifted, _, total = _shifted_exps(row)
        lse = total.log()
        logp = [s - lse for s in shifted]
        nll.append(-logp[t])
        smooth.append(-_sum(logp))
    scale = eps / len(rows[0])
    if reduction == "none" or not batch:
        losses = [(1.0 - eps) * a + b * scale for a, b in zip(nll, smooth, strict=True)]
        return losses if batch else losses[0]
    return (1.0 - eps) * _reduce(fn, nll, nll, reduction) + _reduce(fn, smooth, smooth,
                                                                    reduction) * scale


def nll_loss(log_probs: Sequence[Any], target: Any, reduction: str = "mean") -> Any:
    """``torch.nn.functional.nll_loss``: the negative log-likelihood -x_t of class t.

    ``log_probs`` holds log-probabilities (``log_softmax`` of logits, so that
    ``nll_loss(log_softmax(x), t) == cross_entropy(x, t)``), one list per
    sample; d/dx_j = -[j = t] (divided by n for the mean). Shapes and
    targets as in ``cross_entropy``: one sample (a list and an int) or a
    batch (a list of lists and a list of ints). ``weight`` and
    ``ignore_index`` are not supported.
    """
    fn = "nll_loss"
    _check_reduction(fn, reduction)
    rows, targets, batch = _classified(fn, log_probs, target)
    losses = [-row[t] for row, t in zip(rows, targets, strict=True)]
    return _reduce(fn, losses, losses, reduction) if batch else losses[0]


def _classified(fn: str, inputs: Any, target: Any) -> tuple[list[list[Scalar]], list[int], bool]:
    """(rows of scalars, class indices, whether it is a batch), checked, for a loss over classes.

    A target may be an int or a one-int list (PyTorch's shape ``(n, 1)``,
    as a model's targets often come).
    """
    inputs, target = _listed(inputs), _listed(target)
    batch = _is_seq(inputs) and bool(inputs) and all(_is_seq(row) for row in inputs)
    if batch:
        if not _is_seq(target):
            raise ValueError(f"{fn}: {len(inputs)} samples but a single target {describe(target)}")
        if len(inputs) != len(target):
            raise ValueError(f"{fn}: {len(inputs)} samples but {len(target)} targets")
        rows, targets = [_row(row, fn) for row in inputs], list(target)
    else:
        if _is_seq(target) and len(target) != 1:
            raise ValueError(f"{fn}: one sample of logits but {len(target)} targets")
        rows, targets = [_row(inputs, fn)], [target]
    checked = []
    for row, t in zip(rows, targets, strict=True):
        if _is_seq(t) and len(t) == 1:
            t = t[0]
        if isinstance(t, bool) or not isinstance(t, numbers.Integral):
            raise TypeError(f"{fn}: a target must be an integer class index, got {describe(t)}")
        index = int(t)  # any Integral (a numpy int too), exactly
        if not 0 <= index < len(row):
            raise ValueError(
                f"{fn}: class index {t} is out of range for {len(row)} classes (0..{len(row) - 1})"
            )
        checked.append(index)
    if len({len(row) for row in rows}) > 1:
        raise ValueError(f"{fn}: every sample needs the same number of classes, got "
                         f"{sorted({len(row) for row in rows})}")
    return rows, checked, batch


# --------------------------------------------------------------------------- penalties


def _params(params: Any, fn: str) -> list[Scalar]:
    if callable(getattr(params, "parameters", None)):
        params = params.parameters()
    if isinstance(params, Scalar) or not isinstance(params, Iterable) or isinstance(params, str):
        raise TypeError(f"{fn}: expected an iterable of Values or a Module, got {describe(params)}")
    return [_scalar(w, fn) for w in params]


def l1_penalty(params: Iterable[ScalarLike] | Any) -> Scalar:
    """sum_i |w_i| over ``params`` (an iterable of Values, or a Module's parameters).

    The L1 (lasso) regulariser; d/dw = sign(w), 0 at w = 0 (abs'(0) = 0).
    An empty iterable gives Value(0.0).
    """
    ws = _params(params, "l1_penalty")
    return _sum([abs(w) for w in ws]) if ws else Value(0.0)


def l2_penalty(params: Iterable[ScalarLike] | Any) -> Scalar:
    """sum_i w_i^2 over ``params`` (an iterable of Values, or a Module's parameters).

    The L2 (ridge, weight-decay) regulariser, d/dw = 2 w, so the structural
    risk is ``loss + lam / 2 * l2_penalty(W)`` and its gradient is
    dloss/dw + lam w (what SGD's weight_decay=lam adds). An empty iterable
    gives Value(0.0).
    """
    ws = _params(params, "l2_penalty")
    return _sum([w**2 for w in ws]) if ws else Value(0.0)


__all__ = [
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "elu",
    "gelu",
    "hard_logistic",
    "hard_tanh",
    "hardsigmoid",
    "hardtanh",
    "huber_loss",
    "l1_loss",
    "l1_penalty",
    "l2_penalty",
    "leaky_relu",
    "log_softmax",
    "logsigmoid",
    "max_margin_loss",
    "maxout",
    "mse_loss",
    "nll_loss",
    "prelu",
    "relu",
    "sigmoid",
    "silu",
    "smooth_l1_loss",
    "softmax",
    "softplus",
    "swish",
    "tanh",
]
