"""The operator surface shared by ``Value`` (graph nodes) and ``Dual`` (dual numbers).

Both kinds of scalar support the same arithmetic and the same functions, and
both evaluate them through the one table in ``autograd.primitives``; they
differ only in what they keep: a ``Value`` records its parents for the reverse
sweep, a ``Dual`` carries its tangent forward. Each subclass implements
``_unary(op)``, ``_binary(op, other)`` and ``_rbinary(op, other)``.

The methods themselves (``exp``, ``__add__``, ``softplus``, ...) are made from
the rows by one factory, ``row_methods``, and installed on ``Scalar`` and on
every subclass that brings its own ``Factories`` (``Value``: node builders
that skip a call); ``primitives.register`` installs a new row's at once.

Comparisons (``<``, ``<=``, ``>``, ``>=``) compare ``data`` and return a
``bool``; ``==`` and ``hash`` stay by identity, so scalars can key dicts and
sets (``a == b`` is ``a is b``; compare ``a.data == b.data`` for values).
"""

from __future__ import annotations

import inspect
import math
import numbers
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

if TYPE_CHECKING:  # typing.Self is Python 3.11+; annotations are never evaluated here
    from typing_extensions import Self

from .errors import DomainError, NumericOverflow, OpError
from .primitives import FLOATS, OPS, REFLECTED, TABLE, Op, Primitive, op_with, subscribe


def describe(x: object) -> str:
    """A short ``type 'value'`` description of an offending operand for error messages."""
    text = repr(x)
    if len(text) > 40:
        text = text[:37] + "..."
    return f"{type(x).__name__} {text}"


def as_float(x: object, op: str) -> float:
    """``x`` as a float if it is a real number (int, float, bool, numpy scalar), else a TypeError.

    A number too large for a float (``10**400``) is a ``NumericOverflow`` naming ``op``.
    """
    if type(x) is float:
        return x
    if isinstance(x, numbers.Real):
        return _real(x, op)
    raise TypeError(
        f"{op}: expected a real number or a Value, got {describe(x)}"
    )


def _real(x: numbers.Real, op: str) -> float:
    """float(x), or a NumericOverflow naming ``op`` where Python's would name nothing."""
    try:
        return float(x)
    except OverflowError:
        kind = "integer" if isinstance(x, numbers.Integral) else type(x).__name__
        raise NumericOverflow(
            op, (x,),
            f"this {kind} is too large for a float (the largest is {sys.float_info.max!r})"
        ) from None


def param(x: object, op: str, name: str) -> float:
    """A constant parameter of ``op`` (an exponent, a slope, a bound) as a finite float.

    Not a real number: TypeError; inf or nan: ValueError naming ``op`` and
    ``name``. A parameter is no graph input, so the forward rule "finite in,
    non-finite out is an overflow" could not say what went wrong.
    """
    c = as_float(x, op)
    if not math.isfinite(c):
        raise ValueError(f"{op}: {name} must be a finite number, got {c!r}")
    return c


def _is_operator(op: object) -> bool:
    """Whether Python reaches ``op`` through an operator (``x + arr``, ``arr ** x``): a row with
    a reflected method. For a numpy array those return NotImplemented, so that numpy maps the op
    over its elements; a named op (``x.maximum(arr)``) has no reflected form, so NotImplemented
    would reach the caller as a value."""
    prim = getattr(op, "prim", None)
    return prim is not None and any(name in REFLECTED for name in prim.method_names)


def operand(x: object, op: str, kind: type) -> Any:
    """The float a non-``kind`` operand stands for, or NotImplemented for arrays under an operator.

    Numbers become constants (one too large for a float is a ``NumericOverflow``
    naming the op); a numpy array gets NotImplemented from an operator
    (``+ - * / **``), so that numpy maps the op over its elements, and a
    TypeError from a named op (``maximum``, ``prelu``); anything else is a
    TypeError naming the op.
    """
    if isinstance(x, Scalar):
        raise TypeError(f"{op}: cannot combine a {kind.__name__} with a {type(x).__name__}")
    if isinstance(x, numbers.Real):
        return _real(x, op)
    if hasattr(x, "__array_ufunc__"):
        if _is_operator(op):
            return NotImplemented
        raise TypeError(
            f"{op}: unsupported operand {describe(x)}; {op} takes one scalar at a time, "
            "so apply it to each element (a list comprehension, or np.vectorize)"
        )
    raise TypeError(
        f"{op}: unsupported operand {describe(x)}; operands must be {kind.__name__}s or real numbers"
    )


def evaluate(op: Op, xs: tuple) -> float:
    """Run ``op``'s forward function on floats, turning every failure into an ``OpError``.

    The row's domain predicate is checked first, so ``log(-1)`` reports the
    domain rather than ``math domain error``; a finite input that overflows to
    an infinite result raises ``NumericOverflow``.
    """
    prim = op.prim
    if prim.domain is not None and not prim.domain(*xs, *op.params):
        raise prim.domain_error(op, xs, prim.domain_text)
    try:
        out = op.forward(FLOATS, *xs)
    except OverflowError:
        raise NumericOverflow(op, xs, "result overflows a float") from None
    except (ArithmeticError, ValueError) as exc:
        raise DomainError(op, xs, str(exc)) from None
    if out - out != 0.0 and all(math.isfinite(x) for x in xs):  # inf - inf and nan - nan are nan
        raise NumericOverflow(op, xs, f"finite inputs gave {out!r}")
    return out


class Factories(NamedTuple):
    """How a class builds the method for an op without parameters: one factory per kind.

    Each takes an ``Op`` and returns the method: ``unary(op)`` gives ``f(self)``,
    ``binary(op)`` gives ``f(self, other)`` for ``self (op) other``, ``reflected(op)``
    gives ``f(self, other)`` for ``other (op) self``.
    """

    unary: Callable[[Op], Callable[..., Any]]
    binary: Callable[[Op], Callable[..., Any]]
    reflected: Callable[[Op], Callable[..., Any]]


class Scalar:
    """Arithmetic and elementwise functions, each dispatched to one row of the primitive table.

    The methods of the rows (``exp``, ``__add__``, ``softplus``...) are not
    written here: ``row_methods`` makes them from each row of
    ``autograd.primitives.TABLE`` and installs them on this class, through the
    three hooks ``_unary``, ``_binary`` and ``_rbinary`` that subclasses
    implement (``Dual`` does), and on every subclass that brings its own
    ``_factories`` (``Value``, whose methods build nodes without the extra
    call). What is written here is what no single row says: ``+x``, ``x ** c``
    against ``x ** y``, ``leaky_relu``, comparisons. A method written by hand
    in a class body is never replaced by a generated one.
    """

    __slots__ = ()
    data: float

    if TYPE_CHECKING:
        # The checker cannot see the methods installed at import: to it, any other name is a
        # method, and the operators (which it never looks up through __getattr__) are these.
        def __getattr__(self, name: str) -> Callable[..., Any]: ...
        def __add__(self, other: Any) -> Self: ...
        def __radd__(self, other: Any) -> Self: ...
        def __sub__(self, other: Any) -> Self: ...
        def __rsub__(self, other: Any) -> Self: ...
        def __mul__(self, other: Any) -> Self: ...
        def __rmul__(self, other: Any) -> Self: ...
        def __truediv__(self, other: Any) -> Self: ...
        def __rtruediv__(self, other: Any) -> Self: ...
        def __rpow__(self, other: Any) -> Self: ...
        def __neg__(self) -> Self: ...
        def __abs__(self) -> Self: ...

    # The methods of rows without params call the three hooks below; Value brings faster ones.
    _factories: ClassVar[Factories] = Factories(
        unary=lambda op: lambda self: self._unary(op),
        binary=lambda op: lambda self, other: self._binary(op, other),
        reflected=lambda op: lambda self, other: self._rbinary(op, other),
    )

    # subclasses provide these three
    def _unary(self, op: Op) -> Any:
        raise NotImplementedError

    def _binary(self, op: Op, other: Any) -> Any:
        raise NotImplementedError

    def _rbinary(self, op: Op, other: Any) -> Any:
        raise NotImplementedError

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "_factories" in cls.__dict__:
            _SURFACES.append(cls)
            for row in TABLE:
                _install(cls, row)

    # what no single row says -----------------------------------------------------------------
    def __pos__(self) -> Any:
        return self

    def __pow__(self, other: Any) -> Any:
        """``x ** c`` for a number c (the row ``**``, drawn '**c'); ``x ** y`` for a scalar y.

        The second is the row ``pow``, which needs x > 0.
        """
        if isinstance(other, Scalar):
            return self._binary(OPS["pow"], other)
        if hasattr(other, "__array_ufunc__"):
            return NotImplemented
        return self._unary(op_with("**", param(other, "**", "the exponent")))

    def leaky_relu(self, negative_slope: float = 0.01) -> Any:
        """self if self > 0 else negative_slope * self (``torch.nn.functional.leaky_relu``).

        The row ``prelu`` with a constant slope.
        """
        return self._binary(OPS["prelu"], param(negative_slope, "leaky_relu", "negative_slope"))

    # comparisons compare data; equality stays identity ---------------------------------------
    def __lt__(self, other: Any) -> bool:
        return self.data < _data(other, "<")

    def __le__(self, other: Any) -> bool:
        return self.data <= _data(other, "<=")

    def __gt__(self, other: Any) -> bool:
        return self.data > _data(other, ">")

    def __ge__(self, other: Any) -> bool:
        return self.data >= _data(other, ">=")

    __eq__ = object.__eq__
    __hash__ = object.__hash__

    def item(self) -> float:
        """The plain float value, as ``torch.Tensor.item``."""
        return self.data



# --------------------------------------------------------------------------- methods from rows
#
# The one factory: ``row_methods(row, factories)`` is every method a row gives a class. Rows
# without parameters get the class's own factory-made method for the row's one ``Op`` (for
# Value, the fast node builder); rows with parameters get a method that checks them, finds the
# ``Op`` for their values (``op_with``) and calls the class's hook.

_SURFACES: list[type[Scalar]] = [Scalar]


def row_methods(row: Primitive, factories: Factories) -> dict[str, Callable[..., Any]]:
    """The methods ``row`` provides, by name, built with ``factories`` (see ``Factories``)."""
    methods = {}
    for name in row.method_names:
        reflected = name in REFLECTED
        if row.params:
            fn = _param_method(row, name, reflected)
        elif row.arity == 1:
            fn = factories.unary(OPS[row.name])
        else:
            fn = (factories.reflected if reflected else factories.binary)(OPS[row.name])
        fn.__name__ = fn.__qualname__ = name
        where = "other (op) self, a number on the left: " if reflected else ""
        fn.__doc__ = f"{where}{row.doc or row.name} (the row {row.name!r} of autograd.primitives)."
        fn.__row__ = row.name  # type: ignore[attr-defined]  # marks the method as generated
        methods[name] = fn
    return methods


def _param_method(row: Primitive, name: str, reflected: bool) -> Callable[..., Any]:
    """A method taking the row's other input (if any), then its params (with their defaults)."""
    if reflected:
        raise TypeError(f"{row.name!r}: a row with params cannot be a reflected operator ({name})")
    inputs = row.arity - 1
    count = len(row.params)
    first_default = count - len(row.defaults)
    parameters = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_ONLY)]
    parameters += [inspect.Parameter("other", inspect.Parameter.POSITIONAL_OR_KEYWORD)] * inputs
    parameters += [
        inspect.Parameter(p, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                          default=row.defaults[i - first_default] if i >= first_default
                          else inspect.Parameter.empty)
        for i, p in enumerate(row.params)
    ]
    signature = inspect.Signature(parameters)

    def method(self: Scalar, *args: Any, **kwargs: Any) -> Any:
        if kwargs or len(args) != inputs + count:
            bound = signature.bind(self, *args, **kwargs)
            bound.apply_defaults()
            args = bound.args[1:]
        values = tuple(param(c, name, p) for c, p in zip(args[inputs:], row.params, strict=True))
        if row.params_valid is not None and not row.params_valid(*values):
            named = dict(zip(row.params, values, strict=True))
            raise ValueError(f"{name}: {row.params_text.format(**named)}")
        op = op_with(row.name, *values)
        return self._unary(op) if inputs == 0 else self._binary(op, args[0])

    method.__signature__ = signature  # type: ignore[attr-defined]  # what help() shows
    return method


def _handwritten(cls: type, name: str) -> bool:
    """Whether ``name`` is written by hand in a class body from ``cls`` up to ``Scalar``."""
    for klass in cls.__mro__:
        fn = klass.__dict__.get(name)
        if fn is not None and not hasattr(fn, "__row__"):
            return True
        if klass is Scalar:
            break
    return False


def _install(cls: type, row: Primitive) -> None:
    factories: Factories = cls.__dict__["_factories"]
    for name, fn in row_methods(row, factories).items():
        if not _handwritten(cls, name):
            setattr(cls, name, fn)


def _uninstall(cls: type, row: Primitive) -> None:
    for name in row.method_names:
        if getattr(cls.__dict__.get(name), "__row__", None) == row.name:
            delattr(cls, name)


def _taken(row: Primitive) -> str:
    """``Class.name`` for a method of ``row`` that a scalar class has already, not made from a
    row (``Value.backward``, ``Value.data``, ``Scalar.__pow__``); '' if there is none."""
    classes, k = [Scalar], 0
    while k < len(classes):  # Scalar and every subclass of it, Dual and Value among them
        classes.extend(classes[k].__subclasses__())
        k += 1
    for cls in classes:
        for name in row.method_names:
            attr = next((c.__dict__[name] for c in cls.__mro__ if name in c.__dict__), None)
            if attr is not None and not hasattr(attr, "__row__"):
                return f"{cls.__name__}.{name}"
    return ""


def _on_table_change(row: Primitive, added: bool) -> None:
    """Keep every class's methods in step with the table (``primitives.register``).

    A new row may not hide what a class has already: that raises before anything is installed.
    """
    if added:
        taken = _taken(row)
        if taken:
            raise ValueError(f"register: the row {row.name!r} would replace {taken}, which is "
                             "not made from a row; give the row another method name")
    for cls in _SURFACES:
        if added:
            _install(cls, row)
        else:
            _uninstall(cls, row)


for _row in TABLE:
    _install(Scalar, _row)
del _row
subscribe(_on_table_change)


def _data(other: object, op: str) -> float:
    """What a comparison compares: a scalar's data, an int as it is (exact past 1e308), a float."""
    if isinstance(other, Scalar):
        return other.data
    return other if type(other) is int else as_float(other, op)


__all__ = ["Factories", "OpError", "Scalar", "as_float", "describe", "evaluate", "param",
           "row_methods"]
