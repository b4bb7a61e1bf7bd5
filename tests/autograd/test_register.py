"""``register`` and ``unregister`` under misuse: what a row may not be, and what a failure leaves.

Every refusal is checked to leave the table and everything generated from it
exactly as it was (``surface``): a registration is all or nothing.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator

import pytest

from autograd import Dual, Primitive, RuleError, Value, apply, grad, jvp, scalar
from autograd import primitives as prims
from autograd import testing as agt
from autograd.primitives import OPS, PRIMITIVES, TABLE, register, unregister
from viz.expression import ExpressionError, functions, parse


def identity(name: str, arity: int = 1, **fields: object) -> Primitive:
    """A harmless row: the sum of its inputs, each partial 1."""
    return Primitive(name, arity, lambda m, *xs: sum(xs), lambda m, out, *xs: (1.0,) * len(xs),
                     **fields)  # type: ignore[arg-type]


def surface() -> tuple:
    """Everything a row can leave a trace in."""
    classes = (scalar.Scalar, Value, Dual)
    return (tuple(r.name for r in TABLE), sorted(PRIMITIVES), sorted(OPS),
            *(sorted(vars(cls)) for cls in classes), sorted(agt.OPS), sorted(functions()))


@pytest.fixture
def unchanged() -> Iterator[None]:
    """The test must leave the surface as it found it."""
    before = surface()
    yield
    assert surface() == before


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize("name", ["backward", "data", "grad", "detach", "item", "leaky_relu",
                                  "label", "tangent"])
def test_a_method_name_the_classes_have_already_is_refused(name):
    # before: the row was registered, Scalar got a method of that name and the command line
    # offered it, calling Value.backward (or the float Value.data) on the user's input
    with pytest.raises(ValueError, match=rf"'{name}' would replace (Value|Scalar|Dual)\.{name}"):
        register(identity(name))


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize(("row", "words"), [
    (identity("if"), "Python keyword"),
    (identity("_hidden"), "public identifier"),
    (identity("\uff54\uff41\uff4e"), "NFKC"),  # fullwidth "tan": x.<that>() looks up x.tan
    (identity("truthy", methods=("__bool__",)), "numeric operator"),
    (identity("sub", methods=("__init_subclass__",)), "numeric operator"),
    (identity("cls", methods=("ok_name", "__class__")), "numeric operator"),
    (identity("r1", methods=("__radd2__",)), "numeric operator"),
    (identity("neg2", 2, methods=("__invert__",)), "takes one operand"),
    (identity("mod1", 1, methods=("__mod__",)), "takes two"),
    (identity("rmod1", 1, methods=("__rmod__",)), "takes two"),
])
def test_a_method_name_python_cannot_reach_or_would_misuse_is_refused(row, words):
    with pytest.raises(TypeError, match=words):
        register(row)


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize(("fields", "words"), [
    ({"name": 5}, "name must be a non-empty str"),
    ({"name": ""}, "name must be a non-empty str"),
    ({"arity": 0}, "arity 0; the engine builds nodes of 1 or 2"),
    ({"arity": 3, "methods": ()}, "arity 3"),
    ({"arity": "1"}, "arity '1'"),
    ({"arity": True}, "arity True"),
    ({"methods": "abc"}, "give a tuple of names"),
])
def test_a_malformed_row_is_a_type_error_naming_it(fields, words):
    row = Primitive(**{"name": "odd", "arity": 1, "forward": lambda m, x: x,
                       "partials": lambda m, out, x: (1.0,), **fields})
    with pytest.raises(TypeError, match=words):
        register(row)


def test_apply_names_the_arity_it_cannot_build():
    fma = Primitive("fma", 3, lambda m, a, b, c: a * b + c, lambda m, out, a, b, c: (b, a, 1.0))
    with pytest.raises(TypeError, match="'fma' has arity 3; the engine builds nodes of 1 or 2"):
        apply(fma, Value(1.0), Value(2.0), Value(3.0))  # before: "takes 3 input(s), got 3"


def test_every_reflected_operator_computes_other_op_self():
    floordiv = Primitive("//", 2, lambda m, a, b: a // b, lambda m, out, a, b: (0.0, 0.0),
                         methods=("__floordiv__", "__rfloordiv__"))
    register(floordiv)
    try:
        assert (Value(7.0) // 2).data == 3.0
        assert (7 // Value(2.0)).data == 3.0  # before: 0.0, that is Value(2) // 7
        assert (2 // Value(7.0)).data == 0.0
        assert (7 // Dual(2.0, 1.0)).data == 3.0
    finally:
        unregister("//")


@pytest.mark.usefixtures("unchanged")
def test_a_listener_failing_half_way_is_told_and_nothing_is_left(monkeypatch):
    heard = []

    def failing(row, added):
        heard.append(added)
        if added:
            raise RuntimeError("listener failed")

    monkeypatch.setattr(prims, "_listeners", [*prims._listeners, failing])
    with pytest.raises(RuntimeError, match="listener failed"):
        register(identity("fine_name"))
    assert heard == [True, False]  # the failing listener undoes its own part too
    assert not hasattr(Value(1.0), "fine_name")


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize("name", ["exp", "+", "**", "pow", "prelu", "hardtanh"])
def test_the_librarys_own_rows_cannot_be_unregistered(name):
    with pytest.raises(ValueError, match=f"'{re.escape(name)}' is one of the library's own rows"):
        unregister(name)
    assert (Value(3.0) ** 2).data == 9.0 and Value(-1.0).leaky_relu(0.5).data == -0.5


def test_unregister_of_an_unknown_name_is_a_value_error():
    with pytest.raises(ValueError, match="no row named 'nope'"):
        unregister("nope")
    with pytest.raises(ValueError, match=r"no row named \['exp'\]"):
        unregister(["exp"])  # type: ignore[arg-type]


SINH = Primitive("sinh", 1, lambda m, x: m.sinh(x), lambda m, out, x: (m.cosh(x),),
                 doc="hyperbolic sine; d/dx = cosh x (a function no row provides as a method)")


def test_a_node_made_before_unregister_can_still_be_differentiated():
    register(SINH)
    try:
        x = Value(0.5)
        y = x.sinh()
    finally:
        unregister("sinh")
    assert not hasattr(Value, "sinh")
    y.backward()  # before: m.cosh was taken off the backends with the row
    assert x.grad == math.cosh(0.5)
    assert grad(y, [x]) == [math.cosh(0.5)]


def test_a_rule_using_a_function_values_lack_names_it_under_create_graph():
    register(SINH)
    try:
        x = Value(0.5)
        assert jvp(lambda v: v.sinh(), [0.5], [1.0])[1] == math.cosh(0.5)
        with pytest.raises(RuleError, match=r"m\.cosh.*register a row named 'cosh'"):
            grad(x.sinh(), [x], create_graph=True)
    finally:
        unregister("sinh")


def test_a_row_named_like_an_alias_is_called_by_its_own_name_on_the_command_line():
    register(identity("mymax", methods=("max",)))
    try:
        assert functions()["max"] == ("max", 1)
        assert parse("max(x)", {"x": 2.0}).data == 2.0  # before: max took maximum's 2 inputs
    finally:
        unregister("mymax")
    assert functions()["max"] == ("maximum", 2)


@pytest.mark.parametrize("name", ["backward", "zero_grad", "data", "grad", "item", "detach",
                                  "leaky_relu", "__import__", "_unary", "__add__"])
def test_the_command_line_calls_no_method_that_is_not_a_rows(name):
    with pytest.raises(ExpressionError, match=f"a call to '{name}'"):
        parse(f"{name}(x)", {"x": 1.0})
