"""A safe parser for the one-line expressions of ``python -m viz``: text in, ``Value`` graph out.

``parse("tanh(x*w + b)", {"x": 0.5, "w": -3.0, "b": 2.0})`` builds the same
graph as ``(x * w + b).tanh()`` on leaves labelled ``x``, ``w`` and ``b``.

The text is read with Python's ``ast`` module (``ast.parse``, which only
builds a syntax tree) and the tree is walked against a whitelist; nothing is
ever handed to ``eval``, ``exec`` or compiled to code. Allowed are:

- number literals (``2``, ``0.5``, ``1e-3``), finite; a sign written
  directly before a literal is part of the constant (``-3`` is one leaf);
- names bound by the caller (``x=0.5`` on the command line); every name used
  must be bound, and each becomes one leaf, shared wherever it appears
  (``x * x`` has parents ``(x, x)``);
- the operators ``+ - * / **`` and unary ``-`` / ``+``;
- calls, by plain name and with positional arguments only, to the engine's
  functions: every row of the primitive table (``autograd.primitives``) whose
  method has a plain name and whose constant parameters all have defaults
  (``exp log sqrt sin tanh sigmoid relu abs erf softplus ...``, one argument;
  ``maximum``, ``minimum``, two), each evaluated by the ``Value`` method of
  that name with the defaults, and ``max`` / ``min`` for ``maximum`` /
  ``minimum``. The list is read from the table when an expression is parsed,
  so a row added with ``autograd.primitives.register`` can be called at once;
  ``functions()`` gives it.

``x ** c`` with a literal exponent ``c`` is the engine's constant power (a
node drawn ``**c``); any other exponent is a ``Value`` (``x ** y``, which
needs x > 0).

Everything else raises ``ExpressionError`` (a ``ValueError``) with one line
naming what was found and its column (1-based): attribute access, calls to
any other name, subscripts, lambdas, comprehensions, strings, keyword or
starred arguments, comparisons, boolean operators, f-strings, ``:=``, and so
on. Limits keep the parser and the evaluation (which recurses once per level
of the tree) cheap: at most ``MAX_LENGTH`` characters and ``MAX_DEPTH``
levels of nested sub-expressions, a literal exponent of at most
``MAX_EXPONENT`` in absolute value, a product of at most ``MAX_EXPONENT`` for
a power of a power with literal exponents (``(x ** a) ** b`` is x ** (a b)),
and no power inside an exponent (``x ** y ** z``), whose size cannot be
bounded before it is computed.

Numbers that still overflow (``exp(x)`` at x = 1000) are the engine's
business: it raises its own ``ArithmeticError`` (``NumericOverflow``,
``DomainError``, ``DivisionByZero``) naming the op, and ``parse`` lets it
through unchanged.
"""

from __future__ import annotations

import ast
import keyword
import math
import numbers
import unicodedata
from collections.abc import Callable, Mapping

from autograd import Value
from autograd.primitives import TABLE

MAX_LENGTH = 2000
MAX_DEPTH = 100
MAX_EXPONENT = 1000.0

#: Python's spelling of two of the engine's functions.
ALIASES: dict[str, str] = {"max": "maximum", "min": "minimum"}


def functions() -> dict[str, tuple[str, int]]:
    """Every function an expression may call: name -> (the ``Value`` method, number of arguments).

    Made from the table: each plain method name of a row whose constant
    parameters all have defaults, in table order, then the ``ALIASES``.
    """
    table: dict[str, tuple[str, int]] = {}
    for row in TABLE:
        if len(row.defaults) == len(row.params):
            for method in row.method_names:
                if not method.startswith("_"):
                    table[method] = (method, row.arity)
    for alias, method in ALIASES.items():
        if method in table and alias not in table:  # a row's own method of that name comes first
            table[alias] = table[method]
    return table


_OPERATORS: dict[type, tuple[str, Callable[[Value, Value], Value]]] = {
    ast.Add: ("+", lambda a, b: a + b),
    ast.Sub: ("-", lambda a, b: a - b),
    ast.Mult: ("*", lambda a, b: a * b),
    ast.Div: ("/", lambda a, b: a / b),
    ast.Pow: ("**", lambda a, b: a ** b),
}
_OTHER_OPERATORS = {
    ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@", ast.LShift: "<<", ast.RShift: ">>",
    ast.BitOr: "|", ast.BitXor: "^", ast.BitAnd: "&", ast.Not: "not", ast.Invert: "~",
    ast.And: "and", ast.Or: "or", ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=",
    ast.Gt: ">", ast.GtE: ">=", ast.Is: "is", ast.IsNot: "is not", ast.In: "in",
    ast.NotIn: "not in",
}
# What a forbidden node is called in a message, when it is not worked out from the node itself.
_NODE_NAMES = {
    "Subscript": "a subscript", "Slice": "a slice", "Lambda": "a lambda",
    "ListComp": "a list comprehension", "SetComp": "a set comprehension",
    "DictComp": "a dict comprehension", "GeneratorExp": "a generator expression",
    "JoinedStr": "an f-string", "FormattedValue": "an f-string field",
    "NamedExpr": "an assignment expression (:=)", "IfExp": "a conditional expression",
    "Tuple": "a tuple", "List": "a list", "Set": "a set", "Dict": "a dict",
    "Starred": "a starred argument", "Await": "an await expression",
    "Yield": "a yield expression", "YieldFrom": "a yield expression",
}


_BLANKS = str.maketrans("\t\n\r\f\v", "     ")


class ExpressionError(ValueError):
    """An expression that ``parse`` refuses; ``column`` is 1-based, or None when it has none."""

    def __init__(self, message: str, column: int | None = None) -> None:
        super().__init__(message)
        self.column = column


def _fail(what: str, column: int | None, hint: str = "") -> ExpressionError:
    where = f" at column {column}" if column is not None else ""
    return ExpressionError(f"parse: {what}{where} is not allowed{hint}", column)


def _name_key(name: str) -> str:
    """The identifier Python's parser sees for ``name``: it normalises identifiers to NFKC."""
    return unicodedata.normalize("NFKC", name)


def check_name(name: object) -> str:
    """``name`` if it can be bound in an expression, else an ``ExpressionError`` saying why.

    A binding name must be a Python identifier, not a keyword and not one of
    the function names (``exp`` is always the function).
    """
    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
        raise ExpressionError(f"parse: binding name {name!r} is not a valid identifier")
    if _name_key(name) in functions():
        raise ExpressionError(
            f"parse: binding name {name!r} is a function name; choose another name"
        )
    return name


def check_number(name: str, value: object) -> float:
    """``value`` as a finite float (a Value's ``data`` for a Value), else an ``ExpressionError``."""
    data = value.data if isinstance(value, Value) else value
    if isinstance(data, bool) or not isinstance(data, numbers.Real):
        raise ExpressionError(
            f"parse: binding {name}={value!r} is not a number ({type(value).__name__})"
        )
    if not math.isfinite(data):
        raise ExpressionError(f"parse: binding {name}={data!r} is not a finite number")
    return float(data)


class _Source:
    """Turns the parser's byte offsets into 1-based character columns of the user's text.

    The parser sees the text on one line with the leading blanks cut off
    (``lead`` characters), so every column is shifted by ``lead``.
    """

    def __init__(self, text: str, lead: int) -> None:
        self.text = text
        self.encoded = text.encode("utf-8")
        self.lead = lead

    def _column(self, byte_offset: int) -> int:
        return len(self.encoded[:byte_offset].decode("utf-8", errors="replace")) + 1 + self.lead

    def start(self, node: ast.AST) -> int:
        return self._column(node.col_offset)

    def end(self, node: ast.AST) -> int:
        return self._column(node.end_col_offset)

    def operator_after(self, node: ast.AST) -> int:
        """The column of the operator that follows ``node`` (skipping spaces and ``)``)."""
        i = self.end(node) - 1 - self.lead
        while i < len(self.text) and self.text[i] in " )":
            i += 1
        return i + 1 + self.lead

    def segment(self, node: ast.AST) -> str:
        """The source text of ``node``, cut to 40 characters."""
        text = self.text[self.start(node) - 1 - self.lead:self.end(node) - 1 - self.lead]
        return text if len(text) <= 40 else text[:37] + "..."


def _literal(node: ast.AST) -> float | None:
    """The value of a number literal, with any signs written directly before it; else None."""
    sign = 1.0
    while isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        if isinstance(node.op, ast.USub):
            sign = -sign
        node = node.operand
    if isinstance(node, ast.Constant) and _is_number(node.value):
        return sign * float(node.value)
    return None


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class _Checker:
    """Walks the tree once, refusing the first construct outside the whitelist."""

    def __init__(self, source: _Source, bound: Mapping[str, object]) -> None:
        self.src = source
        self.bound = bound
        self.functions = functions()

    def check(self, tree: ast.Expression) -> None:
        # Iterative: the tree has at most MAX_LENGTH nodes but is not yet known to be shallow.
        stack: list[tuple[ast.AST, int]] = [(tree.body, 1)]
        while stack:
            node, depth = stack.pop()
            if depth > MAX_DEPTH:
                raise ExpressionError(
                    f"parse: the expression nests deeper than {MAX_DEPTH} levels "
                    f"(at column {self.src.start(node)}); split it up",
                    self.src.start(node),
                )
            self.check_node(node)
            # a call's function name was checked with the call: only its arguments remain
            kids = node.args if isinstance(node, ast.Call) else ast.iter_child_nodes(node)
            children = [c for c in kids if isinstance(c, ast.expr)]
            stack.extend((c, depth + 1) for c in reversed(children))

    def check_node(self, node: ast.AST) -> None:
        src = self.src
        if isinstance(node, ast.Constant):
            self.check_constant(node)
        elif isinstance(node, ast.Name):
            if node.id in self.functions:
                raise _fail(f"the function {node.id!r} used without a call", src.start(node),
                            f"; write {node.id}(...)")
            if node.id not in self.bound:
                known = ", ".join(sorted(self.bound)) or "none"
                raise ExpressionError(
                    f"parse: the name {node.id!r} at column {src.start(node)} is not bound; "
                    f"bind it as {node.id}=<number> (bound: {known})",
                    src.start(node),
                )
        elif isinstance(node, ast.BinOp):
            if type(node.op) not in _OPERATORS:
                raise _fail(f"the operator {_OTHER_OPERATORS.get(type(node.op), '?')!r}",
                            src.operator_after(node.left), "; use + - * / **")
            if isinstance(node.op, ast.Pow):
                self.check_power(node)
        elif isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, (ast.USub, ast.UAdd)):
                raise _fail(f"the operator {_OTHER_OPERATORS.get(type(node.op), '?')!r}",
                            src.start(node), "; use + - * / **")
        elif isinstance(node, ast.Call):
            self.check_call(node)
        elif isinstance(node, ast.Attribute):
            column = src.end(node) - len(node.attr)
            raise _fail(f"attribute access '.{node.attr}'", column)
        elif isinstance(node, ast.Compare):
            op = _OTHER_OPERATORS.get(type(node.ops[0]), "?")
            raise _fail(f"the comparison {op!r}", src.operator_after(node.left))
        elif isinstance(node, ast.BoolOp):
            op = _OTHER_OPERATORS.get(type(node.op), "?")
            raise _fail(f"the boolean operator {op!r}", src.operator_after(node.values[0]))
        else:
            name = type(node).__name__
            what = _NODE_NAMES.get(name, f"a {name} expression")
            raise _fail(f"{what} {src.segment(node)!r}", src.start(node))

    def check_constant(self, node: ast.Constant) -> None:
        value, column = node.value, self.src.start(node)
        if isinstance(value, (str, bytes)):
            raise _fail(f"a string {self.src.segment(node)!r}", column)
        if not _is_number(value):
            raise _fail(f"the constant {self.src.segment(node) or repr(value)!r}", column,
                        "; only real numbers are allowed")
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):
            raise ExpressionError(
                f"parse: the number {self.src.segment(node)!r} at column {column} does not fit "
                "in a float", column)

    def check_power(self, node: ast.BinOp) -> None:
        src = self.src
        column = src.operator_after(node.left)
        exponent = _literal(node.right)
        if exponent is None:
            for sub in ast.walk(node.right):
                if isinstance(sub, ast.BinOp) and isinstance(sub.op, ast.Pow):
                    raise ExpressionError(
                        f"parse: a power in the exponent ('{src.segment(node)}' at column "
                        f"{column}) could overflow; give the exponent as one number or name",
                        column)
            return
        if abs(exponent) > MAX_EXPONENT:
            raise ExpressionError(
                f"parse: the exponent {exponent:g} at column {column} is too large "
                f"(at most {MAX_EXPONENT:g} in absolute value)", column)
        base = node.left
        while isinstance(base, ast.BinOp) and isinstance(base.op, ast.Pow):
            inner = _literal(base.right)
            if inner is None:
                break
            exponent *= inner
            if abs(exponent) > MAX_EXPONENT:
                raise ExpressionError(
                    f"parse: the power of a power '{src.segment(node)}' at column {column} "
                    f"raises to {exponent:g} in all, which could overflow "
                    f"(at most {MAX_EXPONENT:g} in absolute value)", column)
            base = base.left

    def check_call(self, node: ast.Call) -> None:
        src = self.src
        if not isinstance(node.func, ast.Name):
            # the callee is an attribute, a subscript, a call...: report that construct
            self.check_node(node.func)
            raise _fail("a call of a computed function", src.start(node.func))
        name = node.func.id  # the parser has already normalised it (NFKC)
        known = self.functions
        if name not in known:
            raise _fail(f"a call to {name!r}", src.start(node.func),
                        f"; the functions are {', '.join(known)}")
        if node.keywords:
            kw = node.keywords[0]
            what = "a '**' argument" if kw.arg is None else f"the keyword argument '{kw.arg}='"
            raise _fail(what, src.start(kw))
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise _fail("a starred argument", src.start(arg))
        wanted = known[name][1]
        if len(node.args) != wanted:
            raise ExpressionError(
                f"parse: {name}() at column {src.start(node)} takes {wanted} "
                f"argument{'s' if wanted > 1 else ''}, got {len(node.args)}",
                src.start(node))


def _evaluate(node: ast.AST, leaves: Mapping[str, Value]) -> Value:
    """The Value of a checked tree (recursion depth at most MAX_DEPTH)."""
    constant = _literal(node)
    if constant is not None:
        return Value(constant)
    if isinstance(node, ast.Name):
        return leaves[node.id]
    if isinstance(node, ast.UnaryOp):
        operand = _evaluate(node.operand, leaves)
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.BinOp):
        left = _evaluate(node.left, leaves)
        if isinstance(node.op, ast.Pow):
            exponent = _literal(node.right)
            if exponent is not None:  # the engine's constant power, drawn '**c'
                return left ** exponent
        right = _evaluate(node.right, leaves)
        return _OPERATORS[type(node.op)][1](left, right)
    if isinstance(node, ast.Call):
        method, _ = functions()[node.func.id]
        args = [_evaluate(a, leaves) for a in node.args]
        return getattr(args[0], method)(*args[1:])
    raise AssertionError(f"unchecked node {type(node).__name__}")  # the checker refuses it


def parse(text: str, bindings: Mapping[str, float | Value]) -> Value:
    """The ``Value`` that ``text`` computes, with each name taken from ``bindings``.

    A binding to a number becomes a leaf ``Value(number, label=name)``; a
    binding to a ``Value`` is used as that leaf itself (so the caller keeps a
    handle on it, e.g. to seed a tangent). Only names the expression uses
    become nodes. Raises ``ExpressionError`` for text outside the whitelist
    (see the module docstring), bad binding names, non-finite or non-number
    bindings; the engine's ``ArithmeticError`` s pass through unchanged.
    """
    if not isinstance(text, str):
        raise ExpressionError(f"parse: the expression must be a str, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(
            f"parse: the expression has {len(text)} characters, more than the {MAX_LENGTH} allowed"
        )
    if not text.strip():
        raise ExpressionError("parse: the expression is empty")
    if not isinstance(bindings, Mapping):
        raise ExpressionError(
            f"parse: bindings must be a mapping of names to numbers, got {type(bindings).__name__}"
        )
    bound: dict[str, float | Value] = {}
    labels: dict[str, str] = {}
    for name, value in bindings.items():
        check_name(name)
        check_number(name, value)
        key = _name_key(name)
        if key in bound:
            raise ExpressionError(f"parse: the name {name!r} is bound twice")
        bound[key] = value
        labels[key] = name
    # one line (line breaks and tabs read as spaces), leading blanks cut: eval mode needs both
    flat = text.translate(_BLANKS)
    body = flat.lstrip()
    lead = len(flat) - len(body)
    try:
        tree = ast.parse(body, mode="eval")
    except SyntaxError as exc:
        column = exc.offset + lead if exc.offset else None
        where = f" at column {column}" if column else ""
        raise ExpressionError(f"parse: invalid syntax{where}: {exc.msg}", column) from None
    except ValueError as exc:  # a NUL character
        raise ExpressionError(f"parse: invalid text: {exc}") from None
    except (RecursionError, MemoryError):
        raise ExpressionError("parse: the expression is too deeply nested") from None
    _Checker(_Source(body, lead), bound).check(tree)
    called = {id(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    leaves: dict[str, Value] = {}
    for node in ast.walk(tree):  # one leaf per name used, in the order the names appear
        if isinstance(node, ast.Name) and id(node) not in called and node.id not in leaves:
            value = bound[node.id]
            if not isinstance(value, Value):
                value = Value(float(value), label=labels[node.id])
            leaves[node.id] = value
    return _evaluate(tree.body, leaves)


__all__ = [
    "ALIASES",
    "MAX_DEPTH",
    "MAX_EXPONENT",
    "MAX_LENGTH",
    "ExpressionError",
    "check_name",
    "check_number",
    "functions",
    "parse",
]
