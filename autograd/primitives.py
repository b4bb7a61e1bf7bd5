"""The table of primitives: every operation the engine knows, each declared once.

A row holds an op's name (as drawn on a graph node), its forward function and
its local partial derivatives, side by side, so the table reads like the
derivative table at the back of a calculus book. For scalars the local
Jacobian of an op with inputs x_1..x_k is just the tuple of numbers
d out / d x_i, so one rule serves every mode of differentiation:

- reverse mode (``backward``):       x_i.grad    += d_i * out.grad
- forward mode (``jvp``, ``Dual``):  out.tangent  = sum_i d_i * x_i.tangent
- gradients of gradients:            the same rule evaluated on ``Value`` s,
                                     so the d_i are themselves graph nodes.

Both functions take a *backend* ``m`` first: a namespace of elementary
functions (``m.exp``, ``m.log``, ...). ``FLOATS`` evaluates them on Python
floats (the ordinary engine); ``VALUES`` builds graph nodes (used by
``grad(..., create_graph=True)``); ``ARRAYS`` evaluates the very same rows on
numpy arrays, one element per sample (used to replay a traced tape,
``autograd.trace``). That is why rules, and the domain predicates, are written
without ``if``, ``and``, ``or`` or chained comparisons on their inputs: a kink
is expressed as ``(x > 0) * 1.0`` and a domain as ``(0 <= p) & (p <= 1)``,
which give a number (or a bool) for floats, a number for ``Value`` comparisons
and a mask for arrays. Constant parameters are plain numbers in every
backend, so an ``if`` on a parameter is fine.

Partials receive the op's output ``out`` as well as its inputs, so ``exp``,
``tanh``, ``sigmoid`` and ``sqrt`` reuse it instead of recomputing.

Constant parameters (the exponent of ``x ** 2``, the ``beta`` of softplus) are
not graph inputs: they are bound into the node's ``Op`` and passed after the
inputs, as plain numbers, in every backend.

Conventions at kinks follow PyTorch and are stated in the row:
``relu'(0) = 0``, ``abs'(0) = 0``, and ``maximum``/``minimum`` split the
gradient evenly between tied inputs (PyTorch's ``torch.maximum`` rule).

Adding a primitive is one step: write its row, here in ``_ROWS`` or at run
time with ``register``::

    register(Primitive(
        "tan", 1, lambda m, x: m.tan(x), lambda m, out, x: (1.0 + out * out,),
        domain=lambda x: (x > -HALF_PI) & (x < HALF_PI), domain_text="tan needs |x| < π/2",
        text=("1 + {out}²",), sample=((-1.4, 1.4),),
        doc="tangent; d/dx = 1/cos² x = 1 + out²"))

Everything else is made from the row (``unregister`` takes it back, except the
elementary functions added to the backends: nodes and tapes the row made still call them):

- the methods ``x.tan()`` on ``Value`` (the fast node builders of
  ``autograd.value``) and on ``Dual`` (``autograd.scalar.row_methods``, one
  factory for both); operators are rows whose ``methods`` are dunder names;
- the elementary function ``m.tan`` on every backend: a ``math`` function
  that a row uses and the backends do not list is added to them when the row
  is registered, ``math.tan`` for ``FLOATS``, ``np.tan`` for ``ARRAYS``
  (numpy's ufunc, else the float function mapped over the elements) and the
  ``Value`` method ``tan`` for ``VALUES``, the one generated from the row of
  that name. So reverse and
  forward mode, ``create_graph``, gradcheck and a replayed tape all run it;
- the test strategies (``autograd.testing.arguments``, random expressions),
  from the row's ``sample``, ``kinks`` and ``param_samples``;
- the functions a ``python -m viz`` expression may call (``viz.expression``),
  and the formula the steppers print (``text``).

The test table (``tests/autograd/test_primitives.py``) still wants the op's
value by an independent closed form: its one row there is the test.
"""

from __future__ import annotations

import keyword
import math
import numbers
import operator
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import CodeType, FunctionType
from typing import Any, overload

import numpy as np

from .errors import DivisionByZero, DomainError, OpError, RuleError

# --------------------------------------------------------------------------- backends


def _sigmoid(x: float) -> float:
    """1 / (1 + exp(-x)), PyTorch's formula; exp(-x) overflowing means the result is 0."""
    try:
        return 1.0 / (1.0 + math.exp(-x))
    except OverflowError:
        return 0.0


class _Floats:
    """Elementary functions on Python floats (the ``math`` module, plus a stable sigmoid)."""

    exp = staticmethod(math.exp)
    log = staticmethod(math.log)
    sqrt = staticmethod(math.sqrt)
    sin = staticmethod(math.sin)
    cos = staticmethod(math.cos)
    tanh = staticmethod(math.tanh)
    erf = staticmethod(math.erf)
    log1p = staticmethod(math.log1p)
    expm1 = staticmethod(math.expm1)
    pow = staticmethod(math.pow)
    sigmoid = staticmethod(_sigmoid)

    # Not the builtins: max(2.0, nan) is 2.0 but max(nan, 2.0) is nan. These propagate a NaN
    # from either side (torch.maximum) and, at a tie, return b: exactly what np.maximum does,
    # so a replayed tape (ARRAYS) agrees with the scalar engine, down to the sign of a zero.
    @staticmethod
    def maximum(a: float, b: float) -> float:
        """The larger of a and b; NaN if either is NaN (``torch.maximum``, ``np.maximum``)."""
        return a if a > b or math.isnan(a) else b

    @staticmethod
    def minimum(a: float, b: float) -> float:
        """The smaller of a and b; NaN if either is NaN (``torch.minimum``, ``np.minimum``)."""
        return a if a < b or math.isnan(a) else b

    @staticmethod
    def clamped_log(x: float) -> float:
        """max(log x, -100), and -100 at x = 0: PyTorch's binary cross-entropy clamp."""
        return max(math.log(x), -100.0) if x > 0 else -100.0

    @staticmethod
    def where(cond: Any, a: Any, b: Any) -> Any:
        return a if cond else b


class _Values:
    """Elementary functions that build graph nodes: partials evaluated here are differentiable."""

    exp = staticmethod(lambda x: x.exp())
    log = staticmethod(lambda x: x.log())
    sqrt = staticmethod(lambda x: x.sqrt())
    sin = staticmethod(lambda x: x.sin())
    cos = staticmethod(lambda x: x.cos())
    tanh = staticmethod(lambda x: x.tanh())
    erf = staticmethod(lambda x: x.erf())
    log1p = staticmethod(lambda x: x.log1p())
    expm1 = staticmethod(lambda x: x.expm1())
    sigmoid = staticmethod(lambda x: x.sigmoid())
    pow = staticmethod(operator.pow)
    maximum = staticmethod(lambda a, b: a.maximum(b))
    minimum = staticmethod(lambda a, b: a.minimum(b))
    clamped_log = staticmethod(lambda x: x.log().maximum(-100.0))
    where = _Floats.where


def _sigmoid_arrays(x: np.ndarray) -> np.ndarray:
    """The float formula elementwise; exp(-x) overflowing to inf gives 0, as for floats."""
    with np.errstate(over="ignore"):  # the overflow is the intended limit, not an error
        return 1.0 / (1.0 + np.exp(-x))


def _clamped_log_arrays(x: np.ndarray) -> np.ndarray:
    """max(log x, -100), and -100 where x = 0, elementwise (``_Floats.clamped_log``)."""
    positive = x > 0
    return np.where(positive, np.maximum(np.log(np.where(positive, x, 1.0)), -100.0), -100.0)


# numpy has no erf (scipy has one, but the engine does not depend on scipy): math.erf is
# mapped over the elements one Python call at a time. This is the slow path of ARRAYS.
_erf_objects = np.frompyfunc(math.erf, 1, 1)


def _erf_arrays(x: np.ndarray) -> np.ndarray:
    """math.erf on every element: exact as for floats, about 100x slower than np.exp."""
    return np.asarray(_erf_objects(x), dtype=float)


class _Arrays:
    """Elementary functions on numpy float64 arrays, elementwise; rows of a replayed tape use them."""

    exp = staticmethod(np.exp)
    log = staticmethod(np.log)
    sqrt = staticmethod(np.sqrt)
    sin = staticmethod(np.sin)
    cos = staticmethod(np.cos)
    tanh = staticmethod(np.tanh)
    erf = staticmethod(_erf_arrays)
    log1p = staticmethod(np.log1p)
    expm1 = staticmethod(np.expm1)
    pow = staticmethod(np.power)
    sigmoid = staticmethod(_sigmoid_arrays)
    maximum = staticmethod(np.maximum)
    minimum = staticmethod(np.minimum)
    clamped_log = staticmethod(_clamped_log_arrays)
    where = staticmethod(np.where)


FLOATS = _Floats
VALUES = _Values
ARRAYS = _Arrays

# A backend lists the functions it implements by hand (``exp``, a stable ``sigmoid``...). Any
# other function a row uses, say ``m.tan``, is added to all three when the row is registered
# (``_provide``): ``FLOATS`` gets ``math.tan``, ``ARRAYS`` numpy's ufunc ``np.tan`` (or the
# float function mapped over the elements when numpy has none), and ``VALUES`` a call of the
# ``Value`` method ``tan``, the one generated from the row of that name. The names are those
# the row's functions look up (their code's ``co_names``, and those of the module-level
# functions they call), so a new row needs no edit here unless ``math`` lacks its function.
# The backends stay plain classes: a ``__getattr__`` fallback would slow every lookup 2.5x.


def _looked_up(fn: Any, seen: set[int]) -> set[str]:
    """The names ``fn`` looks up (attributes, globals), with those of the functions it calls."""
    code = getattr(fn, "__code__", None)
    if not isinstance(code, CodeType) or id(fn) in seen:
        return set()
    seen.add(id(fn))
    names: set[str] = set()
    stack = [code]
    while stack:  # nested lambdas and functions have code objects of their own
        c = stack.pop()
        names.update(c.co_names)
        stack.extend(k for k in c.co_consts if isinstance(k, CodeType))
    for name in list(names):
        called = getattr(fn, "__globals__", {}).get(name)
        if isinstance(called, FunctionType):
            names |= _looked_up(called, seen)
    return names


def _values_method(name: str) -> Callable[..., Any]:
    """``x.<name>(*rest)`` on a ``Value``; ``math.<name>`` on a plain number."""
    on_floats = getattr(math, name)

    def call(x: Any, *rest: Any) -> Any:
        if isinstance(x, (float, int)):
            return on_floats(x, *rest)
        method = getattr(x, name, None)
        if method is None:
            raise RuleError(f"m.{name}({type(x).__name__}): a rule that uses m.{name} runs on "
                            f"Values (create_graph=True) through the method {name!r}, which no "
                            f"row of the table gives; register a row named {name!r} too")
        return method(*rest)

    call.__name__ = name
    return call


def _arrays_function(name: str) -> Callable[..., Any]:
    """numpy's ufunc ``np.<name>``, else ``math.<name>`` mapped over the elements (slow)."""
    fn = getattr(np, name, None)
    if isinstance(fn, np.ufunc):
        return fn
    return np.vectorize(getattr(math, name), otypes=[float])


def _provide(row: Primitive) -> None:
    """Give every backend each ``math`` function ``row`` uses that the backends lack."""
    functions = (row.forward, row.partials, row.domain)
    seen: set[int] = set()
    names = set().union(*(_looked_up(fn, seen) for fn in functions if fn is not None))
    for name in sorted(names):
        if name.startswith("_") or hasattr(FLOATS, name) or not callable(getattr(math, name, None)):
            continue
        for backend, fn in ((FLOATS, getattr(math, name)), (ARRAYS, _arrays_function(name)),
                            (VALUES, _values_method(name))):
            setattr(backend, name, staticmethod(fn))

# --------------------------------------------------------------------------- rows


# The operators a row may provide (``methods``): Python calls these on a number. A reflected
# one (``__radd__``) computes ``other (op) self``; any other dunder name is refused by register.
UNARY_OPERATORS = frozenset({"__neg__", "__pos__", "__abs__", "__invert__"})
BINARY_OPERATORS = frozenset({"__add__", "__sub__", "__mul__", "__truediv__", "__floordiv__",
                              "__mod__", "__pow__", "__matmul__", "__lshift__", "__rshift__",
                              "__and__", "__xor__", "__or__"})
REFLECTED = frozenset(f"__r{name[2:]}" for name in BINARY_OPERATORS)


@dataclass(frozen=True)
class Primitive:
    """One row of the table.

    The math:

    - ``forward(m, *inputs, *params)`` returns the output; ``partials(m, out,
      *inputs, *params)`` returns one partial derivative per input;
    - ``domain`` is an optional predicate on the inputs and params, checked
      before the forward function runs; ``domain_text`` is how an error states
      it. It is written with ``&`` and ``|``, so that it gives a bool for floats
      and a mask (one bool per sample) for arrays;
    - ``text`` says how each partial reads as math (``partial_text``), for
      steppers and drawings.

    The surface (what ``Scalar``, ``Value`` and ``Dual`` get from the row):

    - ``methods``: the names of the methods that apply the op, ``x.name(...)``.
      None (the default) means the row's own name when it is an identifier
      (``tan`` gives ``x.tan()``). A Python operator is a dunder name
      (``"__add__"``); one in ``REFLECTED`` (``"__radd__"``) computes ``other
      (op) self``. The first name is how tests apply the op; the identifier
      names are what ``python -m viz`` expressions may call.
    - ``defaults``: default values for the trailing ``params`` of the
      methods (softplus's ``beta=1.0, threshold=20.0``); a row whose params all
      have defaults can be called in an expression with its inputs alone.
    - ``params_valid`` / ``params_text``: a predicate on the (finite) params,
      and the ``ValueError`` message when it fails (``{name}`` is replaced by
      the value of the param ``name``).

    Where tests may draw inputs (``autograd.testing``, the test table):

    - ``sample``: a closed interval ``(lo, hi)`` per input, inside the
      domain and where floats neither overflow nor lose all precision; empty
      means ``(-10, 10)`` for every input;
    - ``kinks``: where the derivative jumps (or blows up): points of the first
      input (``(0.0,)`` for relu), or for a kink that moves with the other
      inputs or the params, a function of ``(*inputs, *params)`` giving the
      distance to it (``lambda a, b: abs(a - b)`` for maximum); tests keep
      ``margin`` away from them;
    - ``param_samples``: parameter tuples that tests draw from (the first is
      what random expressions use); needed when the row has ``params``.
    """

    name: str
    arity: int
    forward: Callable[..., Any]
    partials: Callable[..., tuple]
    domain: Callable[..., Any] | None = None
    domain_text: str = ""
    domain_error: type[OpError] = DomainError
    params: tuple[str, ...] = ()
    text: tuple[str, ...] = ()
    doc: str = ""
    methods: tuple[str, ...] | None = None
    defaults: tuple[float, ...] = ()
    params_valid: Callable[..., bool] | None = None
    params_text: str = ""
    sample: tuple[tuple[float, float], ...] = ()
    kinks: tuple[float, ...] | Callable[..., float] = ()
    margin: float = 1e-3
    param_samples: tuple[tuple[float, ...], ...] = ()

    @property
    def method_names(self) -> tuple[str, ...]:
        """The methods the row provides: ``methods``, or the row's name if it is an identifier."""
        if self.methods is not None:
            return self.methods
        return (self.name,) if self.name.isidentifier() else ()

    def interval(self, arg: int) -> tuple[float, float]:
        """Where tests draw input ``arg``: ``sample[arg]``, or ``(-10, 10)``."""
        return self.sample[arg] if self.sample else (-10.0, 10.0)

    def kink_distance(self, *args: float) -> float:
        """How far ``(*inputs, *params)`` lie from a kink of the op (inf if it has none)."""
        if callable(self.kinks):
            return float(self.kinks(*args))
        return min((abs(args[0] - k) for k in self.kinks), default=math.inf)

    def partial_text(self, arg: int, inputs: list[str], out: str, params: tuple = ()) -> str:
        """How d out / d input ``arg`` reads, with the nodes' names put in (``1 - out²``).

        ``text`` holds one template per input: ``{0}``, ``{1}`` stand for the
        inputs' values, ``{out}`` for the output's and ``{beta}`` (say) for a
        constant parameter. A row without text (one made for ``apply``) reads
        as the generic ``∂out/∂x``.
        """
        if len(self.text) != self.arity:
            return f"∂{out}/∂{inputs[arg]}"
        named = {name: f"{value:g}" for name, value in zip(self.params, params, strict=False)}
        return self.text[arg].format(*inputs, out=out, **named)


def _softplus(m, x, beta, threshold):
    # PyTorch: x where beta*x > threshold, else log1p(exp(beta*x)) / beta. The
    # minimum() keeps exp from overflowing on the branch that is not taken.
    bx = x * beta
    return m.where(bx > threshold, x, m.log1p(m.exp(m.minimum(bx, threshold))) / beta)


def _d_softplus(m, out, x, beta, threshold):
    # PyTorch's softplus_backward: 1 where beta*x > threshold, else z / (z + 1), z = exp(beta*x).
    bx = x * beta
    z = m.exp(m.minimum(bx, threshold))
    return (m.where(bx > threshold, 1.0, z / (z + 1.0)),)


def _d_pow_const(m, out, x, c):
    # d/dx x**c = c * x**(c-1); for c == 0 the derivative is 0 everywhere (also at x = 0).
    return (c * m.pow(x, c - 1) if c else 0.0,)


def _d_elu(m, out, x, alpha):
    # PyTorch's elu_backward: 1 for x > 0, alpha * e^x for x <= 0 (so elu'(0) = alpha).
    return (m.where(x > 0, 1.0, alpha * m.exp(m.minimum(x, 0.0))),)


_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
# PyTorch's binary_cross_entropy_backward divides by max(p (1 - p), EPSILON) with EPSILON = 1e-12
# held as a float32, which is this double: the float32 nearest to 1e-12.
_BCE_EPS = 9.999999960041972e-13
# PyTorch's hardsigmoid_backward multiplies by 1.0f / 6.0f: the float32 nearest to 1/6.
_F32_SIXTH = 0.1666666716337204

P = Primitive
# fmt: off
_ROWS: tuple[Primitive, ...] = (
    # --- arithmetic --------------------------------------------------------------------------
    #  name   arity  forward                          partials d out / d inputs
    P("+",     2, lambda m, a, b: a + b,            lambda m, out, a, b: (1.0, 1.0),
      text=('1', '1'), methods=("__add__", "__radd__"),
      doc="a + b"),
    P("-",     2, lambda m, a, b: a - b,            lambda m, out, a, b: (1.0, -1.0),
      text=('1', '-1'), methods=("__sub__", "__rsub__"),
      doc="a - b: one node rather than a + (-1 * b), for a readable graph"),
    P("*",     2, lambda m, a, b: a * b,            lambda m, out, a, b: (b, a),
      text=('{1}', '{0}'), methods=("__mul__", "__rmul__"),
      doc="a * b"),
    P("/",     2, lambda m, a, b: a / b,            lambda m, out, a, b: (1.0 / b, -out / b),
      domain=lambda a, b: b != 0, domain_text="the divisor must not be 0",
      domain_error=DivisionByZero,
      text=('1/{1}', '-{out}/{1}'), methods=("__truediv__", "__rtruediv__"),
      sample=((-10, 10), (0.1, 10)),  # divisors near 0 are poles; the rule is the same for b < 0
      doc="a / b: a primitive because a * b**-1 rounds twice; d/db = -a/b^2 = -out/b"),
    P("neg",   1, lambda m, x: -x,                  lambda m, out, x: (-1.0,),
      text=('-1',), methods=("__neg__",),
      doc="-x"),
    P("**",    1, lambda m, x, c: m.pow(x, c),      _d_pow_const,
      params=("exponent",),
      domain=lambda x, c: ((x != 0) | (c >= 0)) & ((x >= 0) | float(c).is_integer()),
      domain_text="0 ** c needs c >= 0, and a negative base needs an integer exponent",
      text=('{exponent}·{0}^({exponent} - 1)',),
      methods=("__pow__",),  # written by hand in Scalar: x ** y goes to this row or to pow
      sample=((0.05, 20),), param_samples=((2,), (0,), (1,), (3,), (-1,), (-2,), (0.5,), (1.5,),
                                             (-0.5,), (2.5,)),
      doc="x ** c with a constant exponent c (drawn as '**2'); the exponent gets no gradient"),
    P("pow",   2, lambda m, x, y: m.pow(x, y),      lambda m, out, x, y: (y * m.pow(x, y - 1),
                                                                          out * m.log(x)),
      domain=lambda x, y: x > 0, domain_text="x ** y with a Value exponent needs x > 0",
      text=('{1}·{0}^({1} - 1)', '{out}·log {0}'), methods=("__rpow__",),
      sample=((0.05, 5), (-3, 3)),
      doc="x ** y with both sides Values; d/dy = x**y * log(x), so the base must be positive"),
    # --- exponentials and logarithms ----------------------------------------------------------
    P("exp",   1, lambda m, x: m.exp(x),            lambda m, out, x: (out,),
      text=('{out}',), sample=((-20, 20),),
      doc="e^x; d/dx = e^x = out"),
    P("log",   1, lambda m, x: m.log(x),            lambda m, out, x: (1.0 / x,),
      domain=lambda x: x > 0, domain_text="log needs x > 0",
      text=('1/{0}',), sample=((0.01, 100),),
      doc="natural logarithm; d/dx = 1/x"),
    P("log1p", 1, lambda m, x: m.log1p(x),          lambda m, out, x: (1.0 / (1.0 + x),),
      domain=lambda x: x > -1, domain_text="log1p needs x > -1",
      text=('1/(1 + {0})',), sample=((-0.99, 100),),
      doc="log(1 + x), accurate for small x; d/dx = 1/(1+x)"),
    P("expm1", 1, lambda m, x: m.expm1(x),          lambda m, out, x: (out + 1.0,),
      text=('{out} + 1',), sample=((-20, 20),),
      doc="e^x - 1, accurate for small x; d/dx = e^x = out + 1"),
    P("sqrt",  1, lambda m, x: m.sqrt(x),           lambda m, out, x: (0.5 / out,),
      domain=lambda x: x >= 0, domain_text="sqrt needs x >= 0",
      text=('0.5/{out}',), sample=((0.01, 100),),
      doc="square root; d/dx = 1/(2 sqrt x) = 0.5/out (infinite at 0: backward raises there)"),
    # --- trigonometric and hyperbolic ---------------------------------------------------------
    P("sin",   1, lambda m, x: m.sin(x),            lambda m, out, x: (m.cos(x),),
      text=('cos {0}',),
      doc="sine; d/dx = cos x"),
    P("cos",   1, lambda m, x: m.cos(x),            lambda m, out, x: (-m.sin(x),),
      text=('-sin {0}',),
      doc="cosine; d/dx = -sin x"),
    P("tanh",  1, lambda m, x: m.tanh(x),           lambda m, out, x: (1.0 - out * out,),
      text=('1 - {out}²',),
      doc="hyperbolic tangent; d/dx = 1 - tanh^2 = 1 - out^2 (PyTorch's tanh_backward)"),
    # --- activations and friends --------------------------------------------------------------
    P("sigmoid", 1, lambda m, x: m.sigmoid(x),      lambda m, out, x: (out * (1.0 - out),),
      text=('{out}·(1 - {out})',), sample=((-30, 30),),
      doc="logistic 1/(1+e^-x), 0 without overflow for x -> -inf; d/dx = out (1 - out)"),
    P("relu",  1, lambda m, x: m.maximum(x, 0.0),   lambda m, out, x: ((x > 0) * 1.0,),
      text=('[{0} > 0]',), kinks=(0.0,),
      doc="max(x, 0); relu'(0) = 0, as in PyTorch"),
    P("abs",   1, lambda m, x: abs(x),              lambda m, out, x: ((x > 0) * 1.0 - (x < 0) * 1.0,),
      text=('sign {0}',), methods=("__abs__", "abs"), kinks=(0.0,),
      doc="|x|; d/dx = sign(x), abs'(0) = 0 as in PyTorch"),
    P("erf",   1, lambda m, x: m.erf(x),            lambda m, out, x: (_TWO_OVER_SQRT_PI
                                                                       * m.exp(-x * x),),
      text=('2/√π·exp(-{0}²)',), sample=((-5, 5),),
      doc="error function; d/dx = 2/sqrt(pi) e^(-x^2)"),
    P("softplus", 1, _softplus,                     _d_softplus,
      params=("beta", "threshold"), defaults=(1.0, 20.0),
      params_valid=lambda beta, threshold: beta != 0, params_text="beta must be non-zero",
      sample=((-30, 30),), kinks=lambda x, beta, threshold: abs(beta * x - threshold),
      param_samples=((1.0, 20.0), (0.5, 5.0), (0.5, 20.0), (1.0, 5.0), (2.0, 5.0), (2.0, 20.0)),
      text=('σ({beta}·{0}), or 1 where {beta}·{0} > {threshold}',),
      doc="log(1 + e^(beta x)) / beta, linear where beta x > threshold (PyTorch's formula "
          "and defaults beta=1, threshold=20); d/dx = sigmoid(beta x)"),
    P("logsigmoid", 1, lambda m, x: m.minimum(x, 0.0) - m.log1p(m.exp(-abs(x))),
                                                    lambda m, out, x: (m.sigmoid(-x),),
      text=('σ(-{0})',), sample=((-50, 50),),
      doc="log(sigmoid(x)) = min(x, 0) - log1p(e^-|x|), PyTorch's stable form; d/dx = sigmoid(-x)"),
    P("hardtanh", 1, lambda m, x, lo, hi: m.minimum(m.maximum(x, lo), hi),
                                                    lambda m, out, x, lo, hi: ((x > lo) * (x < hi) * 1.0,),
      params=("min_val", "max_val"), defaults=(-1.0, 1.0),
      params_valid=lambda lo, hi: lo < hi,
      params_text="min_val must be below max_val, got {min_val} and {max_val}",
      kinks=lambda x, lo, hi: min(abs(x - lo), abs(x - hi)),
      param_samples=((-1.0, 1.0), (0.0, 6.0), (-2.5, 0.5)),
      text=('[{min_val} < {0} < {max_val}]',),
      doc="clamp(x, lo, hi); d/dx = 1 strictly inside (lo, hi), 0 at and beyond the corners "
          "(PyTorch's hardtanh_backward)"),
    P("hardsigmoid", 1, lambda m, x: m.minimum(m.maximum(x + 3.0, 0.0), 6.0) / 6.0,
                                                    lambda m, out, x: ((x > -3.0) * (x < 3.0) * _F32_SIXTH,),
      text=('[-3 < {0} < 3]/6',), kinks=(-3.0, 3.0),
      doc="relu6(x + 3) / 6 (PyTorch's Hardsigmoid); d/dx = 1/6 strictly inside (-3, 3), else 0. "
          "PyTorch's backward multiplies by 1.0f/6.0f, a float32 sixth, also for float64: so do we"),
    P("prelu",  2, lambda m, x, a: m.where(x > 0, x, a * x),
                                                    lambda m, out, x, a: ((x > 0) * 1.0 + (x <= 0) * a,
                                                                          (x <= 0) * x),
      text=('[{0} > 0] + [{0} ≤ 0]·{1}', '[{0} ≤ 0]·{0}'),
      sample=((-10, 10), (-1, 1)), kinks=(0.0,),
      doc="x if x > 0 else a*x, with a learnable (PReLU) or constant (leaky ReLU) slope a; "
          "d/dx = 1 or a (a at x = 0, as PyTorch), d/da = 0 or x"),
    P("elu",    1, lambda m, x, alpha: m.where(x > 0, x, alpha * m.expm1(m.minimum(x, 0.0))),
                                                    _d_elu,
      params=("alpha",), defaults=(1.0,), kinks=(0.0,),
      param_samples=((1.5,), (1.0,), (0.5,), (2.0,)),
      text=('[{0} > 0] + [{0} ≤ 0]·{alpha}·exp {0}',),
      doc="x if x > 0 else alpha (e^x - 1) (PyTorch's ELU; expm1 for accuracy near 0)"),
    P("bce",    1, lambda m, p, y: -(y * m.clamped_log(p) + (1.0 - y) * m.clamped_log(1.0 - p)),
                                                    lambda m, out, p, y: ((p - y) / m.maximum(p * (1.0 - p),
                                                                                              _BCE_EPS),),
      params=("target",), methods=("binary_cross_entropy",),
      sample=((0.001, 0.999),), param_samples=((0.3,), (0.0,), (1.0,), (0.25,)),
      domain=lambda p, y: (p >= 0) & (p <= 1),
      domain_text="binary cross-entropy needs 0 <= p <= 1",
      text=('({0} - {target})/max({0}·(1 - {0}), ε)',),
      doc="-(y log p + (1-y) log(1-p)), each log clamped at -100, and d/dp = (p - y) / "
          "max(p (1-p), eps): PyTorch's binary_cross_entropy and its backward"),
    # At a NaN every comparison is false, so both inputs get the whole gradient: PyTorch's
    # maximum_backward, where(a == b, g/2, g) zeroed where a < b (and where b < a for b).
    P("maximum", 2, lambda m, a, b: m.maximum(a, b), lambda m, out, a, b: (1.0 - 0.5 * (a <= b) - 0.5 * (a < b),
                                                                            1.0 - 0.5 * (b <= a) - 0.5 * (b < a)),
      text=('1 - [{0} < {1}] - ½·[{0} = {1}]', '1 - [{1} < {0}] - ½·[{0} = {1}]'),
      kinks=lambda a, b: abs(a - b),
      doc="max(a, b), NaN if either is NaN; at a tie each input gets half the gradient, and "
          "both get all of it when one is NaN (torch.maximum and its backward)"),
    # At a NaN both inputs get the whole gradient, as for maximum (PyTorch's minimum_backward).
    P("minimum", 2, lambda m, a, b: m.minimum(a, b), lambda m, out, a, b: (1.0 - 0.5 * (a >= b) - 0.5 * (a > b),
                                                                            1.0 - 0.5 * (b >= a) - 0.5 * (b > a)),
      text=('1 - [{0} > {1}] - ½·[{0} = {1}]', '1 - [{1} > {0}] - ½·[{0} = {1}]'),
      kinks=lambda a, b: abs(a - b),
      doc="min(a, b), NaN if either is NaN; at a tie each input gets half the gradient, and "
          "both get all of it when one is NaN (torch.minimum and its backward)"),
)
# fmt: on
del P


# --------------------------------------------------------------------------- ops on nodes


class Op(str):
    """What a node stores as ``_op``: the label drawn for it, with its row and parameters bound.

    It *is* a ``str`` (``'+'``, ``'exp'``, ``'**2'``), so code written for
    micrograd that prints or concatenates ``node._op`` keeps working, and it
    carries ``prim`` (the table row), ``params`` and the row's two functions
    with the parameters already applied, so the hot loops make one call.
    """

    prim: Primitive
    params: tuple
    forward: Callable[..., Any]
    partials: Callable[..., tuple]

    def __new__(cls, prim: Primitive, params: tuple = ()):  # returns an Op
        if prim.params:
            shown = ",".join(f"{p:g}" for p in params)
            label = prim.name + shown if prim.name == "**" else f"{prim.name}({shown})"
        else:
            label = prim.name
        self = super().__new__(cls, label)
        self.prim = prim
        self.params = params
        if params:
            fwd, part = prim.forward, prim.partials
            self.forward = lambda m, *xs: fwd(m, *xs, *params)
            self.partials = lambda m, out, *xs: part(m, out, *xs, *params)
        else:
            self.forward = prim.forward
            self.partials = prim.partials
        return self

    def __reduce__(self):
        return (Op, (self.prim, self.params))


_PARAM_OPS: dict[tuple, Op] = {}


def op_with(name: str, *params: float) -> Op:
    """The ``Op`` for a parameterised row, cached so that equal parameters share one object."""
    key = (name, *params)
    op = _PARAM_OPS.get(key)
    if op is None:
        if len(_PARAM_OPS) > 4096:  # bound the cache: exponents drawn at random would grow it
            _PARAM_OPS.clear()
        op = _PARAM_OPS[key] = Op(PRIMITIVES[name], tuple(params))
    return op


# --------------------------------------------------------------------------- the table itself
#
# The rows above are the table as the library ships it. ``register`` adds a row at run time and
# ``unregister`` takes it out again; the modules that generate something from the rows (the
# methods of Scalar and Value, the test strategies, ...) subscribe to hear of both, so a row
# added late is, from then on, indistinguishable from one written above.

Listener = Callable[[Primitive, bool], None]
_listeners: list[Listener] = []


def subscribe(listener: Listener) -> None:
    """Call ``listener(row, added)`` after each ``register`` (added) and ``unregister`` (removed).

    A listener that raises on ``register`` makes the registration fail: the row
    is taken out again and every listener told so.
    """
    _listeners.append(listener)


class Table(Sequence[Primitive]):
    """The rows of the table, in order: a live sequence, changed only by ``add`` and ``remove``."""

    def __init__(self) -> None:
        self._rows: list[Primitive] = []

    @overload
    def __getitem__(self, i: int) -> Primitive: ...

    @overload
    def __getitem__(self, i: slice) -> tuple[Primitive, ...]: ...

    def __getitem__(self, i: int | slice) -> Primitive | tuple[Primitive, ...]:
        return tuple(self._rows[i]) if isinstance(i, slice) else self._rows[i]

    def __len__(self) -> int:
        return len(self._rows)

    def __repr__(self) -> str:
        return f"Table({', '.join(row.name for row in self._rows)})"

    def add(self, row: Primitive) -> Primitive:
        """``register(row)``."""
        return register(row)

    def remove(self, name: str) -> Primitive:
        """``unregister(name)``."""
        return unregister(name)


TABLE = Table()
PRIMITIVES: dict[str, Primitive] = {}
OPS: dict[str, Op] = {}


def register(row: Primitive) -> Primitive:
    """Add ``row`` to the table: the one step that makes a new primitive.

    From then on it is in ``TABLE`` and ``PRIMITIVES``, ``Scalar`` / ``Value`` /
    ``Dual`` have its methods, the test strategies draw it, the command line
    may call it, and every mode of differentiation runs it. Raises
    ``ValueError`` if the name is taken or a method name is used by another
    row or by the classes themselves (``backward``, ``data``...), ``TypeError``
    if the row is malformed (see ``_method_problem`` for the names a method may
    have). All or nothing: a registration that fails leaves no trace.
    """
    if not isinstance(row, Primitive):
        raise TypeError(f"register: expected a Primitive, got {type(row).__name__}")
    if not isinstance(row.name, str) or not row.name:
        raise TypeError(f"register: a row's name must be a non-empty str, got {row.name!r}")
    if row.name in PRIMITIVES:
        raise ValueError(f"register: the table has a row named {row.name!r} already")
    if type(row.arity) is not int or row.arity not in (1, 2):
        raise TypeError(f"register: {row.name!r} has arity {row.arity!r}; the engine builds "
                        "nodes of 1 or 2 inputs")
    if row.methods is not None and not (
        isinstance(row.methods, tuple) and all(isinstance(m, str) for m in row.methods)
    ):
        raise TypeError(f"register: {row.name!r} has methods={row.methods!r}; give a tuple of "
                        "names, or None for the row's own name")
    for method in row.method_names:
        problem = _method_problem(row, method)
        if problem:
            raise TypeError(f"register: {row.name!r} cannot have the method {method!r}: {problem}")
    if row.params and not row.param_samples:
        raise TypeError(f"register: {row.name!r} has params {row.params}; give param_samples too")
    if len(row.defaults) > len(row.params):
        raise TypeError(f"register: {row.name!r} has more defaults than params")
    if row.sample and len(row.sample) != row.arity:
        raise TypeError(f"register: {row.name!r} needs one sample interval per input")
    taken = {m: r.name for r in TABLE for m in r.method_names}
    clash = [m for m in row.method_names if m in taken]
    if clash:
        raise ValueError(f"register: the method {clash[0]!r} belongs to the row "
                         f"{taken[clash[0]]!r}")
    called: list[Listener] = []
    try:
        TABLE._rows.append(row)
        PRIMITIVES[row.name] = row
        if not row.params:
            OPS[row.name] = Op(row)
        for listener in _listeners:
            called.append(listener)  # before the call: one that fails half-way undoes its part
            listener(row, True)
        _provide(row)  # last: its functions stay on the backends (see unregister)
    except BaseException:
        _forget(row)
        for listener in reversed(called):
            listener(row, False)
        raise
    return row


def _method_problem(row: Primitive, name: str) -> str:
    """Why ``name`` cannot be a method of ``row`` ('' if it can).

    A method is a public identifier (``x.tan()``), or a numeric operator that
    fits the row: a unary one (``__neg__``) for one input, a binary one
    (``__add__``) for two inputs or for one input and one param (``x ** c``),
    a reflected one (``__radd__``) for two inputs and no params.
    """
    if name.startswith("__") and name.endswith("__"):
        if name in UNARY_OPERATORS:
            fits = row.arity == 1 and not row.params
        elif name in BINARY_OPERATORS:
            fits = row.arity + len(row.params) == 2
        elif name in REFLECTED:
            fits = row.arity == 2 and not row.params
        else:
            return "a dunder method must be a numeric operator (__add__, __radd__, __neg__...)"
        if not fits:
            return (f"the operator takes {'one operand' if name in UNARY_OPERATORS else 'two'}, "
                    f"and the row has {row.arity} input(s) and params {row.params}")
        return ""
    if not name.isidentifier() or name.startswith("_"):
        return "a method name must be a public identifier (no leading '_')"
    if keyword.iskeyword(name):
        return "it is a Python keyword, so x.name(...) could not be written"
    if unicodedata.normalize("NFKC", name) != name:
        return "Python reads identifiers in NFKC form, so x.name(...) would look up another name"
    return ""


def unregister(name: str) -> Primitive:
    """Take the row ``name`` out of the table and everything generated from it; return the row.

    Only rows added with ``register`` can go: the library's own rows
    (``_ROWS``) are what its hand-written code and ``nn`` are built on.
    Nodes already made by the row keep their op and can still be
    differentiated (the elementary functions it added to the backends stay).
    """
    row = PRIMITIVES.get(name) if isinstance(name, str) else None
    if row is None:
        raise ValueError(f"unregister: no row named {name!r}")
    if any(row is own for own in _ROWS):
        raise ValueError(f"unregister: {name!r} is one of the library's own rows; only rows "
                         "added with register can be taken out")
    _forget(row)
    for listener in _listeners:
        listener(row, False)
    return row


def _forget(row: Primitive) -> None:
    TABLE._rows[:] = [r for r in TABLE._rows if r is not row]
    if PRIMITIVES.get(row.name) is row:
        del PRIMITIVES[row.name]
        OPS.pop(row.name, None)
    for key in [k for k in _PARAM_OPS if k[0] == row.name]:
        del _PARAM_OPS[key]


for _row in _ROWS:
    register(_row)
del _row


# --------------------------------------------------------------------------- custom ops
#
# micrograd defines an op by a closure: ``out = Value(t, (x,), 'cube')`` and then
# ``out._backward = f`` where f does ``x.grad += 3 * x.data**2 * out.grad``. Such a closure
# is linear in ``out.grad``, so its local partials are found by probing it: with out.grad = 1
# and every parent's grad 0, one call leaves parent i's grad at d out / d x_i. ``CustomOp``
# wraps that as an ``Op`` whose partials are the probe, so the one sweep (``autograd.sweep``),
# its watchers (steppers, anomaly checks), forward mode and gradcheck all run it unchanged.


class CustomOpError(OpError, TypeError):
    """A custom op's ``_backward`` closure misbehaved, or was asked for what only a table row gives."""


class CustomOp(Op):
    """The ``_op`` of a node whose ``_backward`` closure was assigned, micrograd style.

    It reads as the node's label (``'cube'``) and carries ``closure`` and the
    node; ``partials`` probes the closure (see above) and restores every grad
    it touched. Its partials are plain floats, so ``create_graph=True`` and a
    traced replay (both need the rule as a formula) raise ``CustomOpError``;
    declare a ``Primitive`` and use ``autograd.apply`` for those.
    """

    closure: Callable[[], Any]
    node: Any

    def __new__(cls, label: str, node: Any, closure: Callable[[], Any]):  # returns a CustomOp
        prim = Primitive(
            str(label), len(node._prev), _no_forward(label), _no_partials,
            doc="a custom op: the _backward closure assigned to the node (micrograd style); "
                "its partials are found by calling it once with out.grad = 1",
        )
        self = super().__new__(cls, prim)
        self.closure, self.node = closure, node
        self.forward = prim.forward
        self.partials = self._probe
        return self

    def __reduce__(self) -> tuple:
        raise CustomOpError(str(self), (), "this custom op holds a Python closure (its _backward), "
                            "so it cannot be pickled; declare a Primitive for it instead")

    def _probe(self, m: Any, out: Any, *xs: Any) -> tuple:
        """The local partials: call the closure with out.grad = 1 and the parents' grads at 0."""
        if m is not FLOATS:
            raise CustomOpError(
                f"backward of {self!s}", [getattr(x, "_data", x) for x in xs],
                "this custom op was defined by assigning a _backward closure: its "
                "partials are numbers found by calling it, so it supports neither "
                "create_graph=True nor a traced replay; declare a Primitive with a formula for "
                "its partials and build the node with autograd.apply"
            )
        node = self.node
        parents = node._prev
        saved_out, saved = node.grad, [p.grad for p in parents]
        try:
            node.grad = 1.0
            for p in parents:
                p.grad = 0.0
            try:
                self.closure()
            except Exception as exc:
                raise OpError(f"backward of {self!s}", xs,
                              f"its _backward closure raised {type(exc).__name__}: {exc}") from exc
            ds, seen = [], set()
            for i, p in enumerate(parents):
                # a parent passed twice (x * x) gets its whole partial at its first position
                d = 0.0 if id(p) in seen else p.grad
                seen.add(id(p))
                if type(d) is not float:
                    if not isinstance(d, numbers.Real):
                        raise CustomOpError(
                            f"backward of {self!s}", xs, f"its _backward closure left input {i}'s "
                            f"grad at {d!r}; it must add a number to each input's .grad"
                        )
                    d = float(d)
                ds.append(d)
        finally:
            node.grad = saved_out
            for p, g in zip(parents, saved, strict=True):
                p.grad = g
        return tuple(ds)


def _no_forward(label: str) -> Callable[..., Any]:
    def forward(m: Any, *xs: Any) -> Any:
        raise CustomOpError(
            str(label), xs, "a custom op has no forward rule (its value was computed by hand "
            "before Value(...) was called), so it cannot be replayed; declare a Primitive and "
            "build the node with autograd.apply"
        )

    return forward


def _no_partials(m: Any, out: Any, *xs: Any) -> tuple:
    raise CustomOpError("custom op", xs, "its partials are found by probing its node's closure")
