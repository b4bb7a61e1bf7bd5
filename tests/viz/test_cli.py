"""Tests for ``python -m viz``: the expression parser against hostile input, and the CLI.

The parser (``viz.expression.parse``) must refuse everything outside its
whitelist with one message naming the construct and its column, and must
build exactly the graph that the same expression written with ``Value`` s
builds (same values, same gradients). The command line is run in a
subprocess, writing DOT, SVG and HTML files; usage errors exit with 2,
failing numbers (overflow) with 1 and a one-line message.
"""

import ast
import builtins
import json
import math
import os
import re
import shutil
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import (
    DivisionByZero,
    DomainError,
    NumericOverflow,
    Value,
    forward_tangents,
    grad,
    jvp,
)
from viz.cli import main, parse_bindings
from viz.expression import MAX_DEPTH, MAX_LENGTH, ExpressionError, parse

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
XWB = {"x": 0.5, "w": -3.0, "b": 2.0}

# --------------------------------------------------------------------------- hostile input

# (text, words the message must contain, column of the construct, 1-based)
HOSTILE = [
    ("x.__class__", "attribute access '.__class__'", 3),
    ("x.__class__.__bases__[0].__subclasses__()", "attribute access '.__subclasses__'", 26),
    ("__import__('os').system('ls')", "attribute access '.system'", 18),
    ("__import__('os')", "a call to '__import__'", 1),
    ("eval('1+1')", "a call to 'eval'", 1),
    ("exec('x=1')", "a call to 'exec'", 1),
    ("open('/etc/passwd')", "a call to 'open'", 1),
    ("x + getattr(x, 'data')", "a call to 'getattr'", 5),
    ("exp(x)(2)", "a call of a computed function", 1),
    ("x[0]", "a subscript", 1),
    ("(lambda: 1)()", "a lambda", 2),
    ("[i for i in (1, 2)]", "a list comprehension", 1),
    ("sum(i for i in x)", "a call to 'sum'", 1),
    ("exp(*[x])", "a starred argument", 5),
    ("{i: i for i in x}", "a dict comprehension", 1),
    ("'abc'", "a string", 1),
    ("x + b'abc'", "a string", 5),
    ("softplus(x, beta=2)", "the keyword argument 'beta='", 13),
    ("exp(**{'x': 1})", "a '**' argument", 5),
    ("x < 1", "the comparison '<'", 3),
    ("x == w", "the comparison '=='", 3),
    ("x and w", "the boolean operator 'and'", 3),
    ("not x", "the operator 'not'", 1),
    ("x // 2", "the operator '//'", 3),
    ("x % 2", "the operator '%'", 3),
    ("~x", "the operator '~'", 1),
    ("f'{x}'", "an f-string", 1),
    ("(y := 2)", "an assignment expression (:=)", 2),
    ("x if w else b", "a conditional expression", 1),
    ("(x, w)", "a tuple", 1),
    ("True + x", "the constant 'True'", 1),
    ("None", "the constant 'None'", 1),
    ("2j * x", "the constant '2j'", 1),
    ("exp", "the function 'exp' used without a call", 1),
    ("x ** 1001", "the exponent 1001", 3),
    ("x ** -1e4", "the exponent -10000", 3),
    ("2 ** 9 ** 9", "a power in the exponent", 3),
    ("x ** w ** 2", "a power in the exponent", 3),
    ("(x ** 100) ** 100", "the power of a power", 12),
    ("((x ** 10) ** 10) ** 11", "raises to 1100 in all", 19),
]


@pytest.mark.parametrize("text, words, column", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_parse_refuses_each_forbidden_construct_naming_it_and_its_column(text, words, column):
    with pytest.raises(ExpressionError) as info:
        parse(text, XWB)
    message = str(info.value)
    assert words in message
    assert f"column {column}" in message and info.value.column == column
    assert "\n" not in message


def test_parse_names_unbound_names_and_lists_the_bound_ones():
    with pytest.raises(ExpressionError, match=r"the name 'y' at column 5 is not bound; "
                                              r"bind it as y=<number> \(bound: b, w, x\)"):
        parse("x + y", XWB)
    with pytest.raises(ExpressionError, match="'__builtins__' at column 1 is not bound"):
        parse("__builtins__", XWB)
    with pytest.raises(ExpressionError, match=r"bound: none"):
        parse("x", {})


def test_parse_limits_length_and_depth():
    with pytest.raises(ExpressionError, match=f"more than the {MAX_LENGTH} allowed"):
        parse("x+" * 1000 + "x", XWB)
    assert parse("-" * (MAX_DEPTH - 1) + "x", XWB).data == -0.5  # 100 levels: allowed
    with pytest.raises(ExpressionError, match=f"deeper than {MAX_DEPTH} levels"):
        parse("-" * MAX_DEPTH + "x", XWB)
    with pytest.raises(ExpressionError, match="deeper than"):
        parse("exp(" * 101 + "x" + ")" * 101, XWB)
    with pytest.raises(ExpressionError, match="deeper than"):
        parse("+".join(["x"] * 150), XWB)  # a long sum is a deep left-leaning tree
    with pytest.raises(ExpressionError, match=r"invalid syntax|nested"):
        parse("(" * 300 + "x" + ")" * 300, XWB)


def test_parse_reports_syntax_errors_and_bad_text():
    with pytest.raises(ExpressionError, match="invalid syntax at column 5"):
        parse("x + * w", XWB)
    with pytest.raises(ExpressionError, match="empty"):
        parse("   ", XWB)
    with pytest.raises(ExpressionError, match="must be a str"):
        parse(b"x", XWB)
    with pytest.raises(ExpressionError, match="does not fit in a float"):
        parse("1e400 * x", XWB)
    with pytest.raises(ExpressionError, match="does not fit in a float"):
        parse("1" * 400, XWB)
    with pytest.raises(ExpressionError):
        parse("x\x00", XWB)


def test_parse_columns_count_characters_not_bytes_and_leading_blanks():
    with pytest.raises(ExpressionError) as info:
        parse("  é + x.real", {"é": 1.0, "x": 2.0})
    assert info.value.column == 9


@pytest.mark.parametrize("bindings, words", [
    ({"1x": 1.0}, "not a valid identifier"),
    ({"lambda": 1.0}, "not a valid identifier"),
    ({"exp": 1.0}, "is a function name"),
    ({"x": math.nan}, "not a finite number"),
    ({"x": math.inf}, "not a finite number"),
    ({"x": "1"}, "is not a number"),
    ({"x": True}, "is not a number"),
    ({"x": Value(math.inf)}, "not a finite number"),
])
def test_parse_rejects_bad_bindings(bindings, words):
    with pytest.raises(ExpressionError, match=words):
        parse("1", bindings)


def test_parse_never_runs_code(monkeypatch, tmp_path):
    """eval and exec are never called; compile only ever builds a syntax tree."""
    real_compile = builtins.compile

    def only_ast(source, filename, mode, flags=0, *args, **kwargs):
        assert flags & ast.PyCF_ONLY_AST, "compile() asked for code"
        return real_compile(source, filename, mode, flags, *args, **kwargs)

    def forbidden(*args, **kwargs):
        raise AssertionError("eval/exec called")

    monkeypatch.setattr(builtins, "compile", only_ast)
    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    marker = tmp_path / "pwned"
    with pytest.raises(ExpressionError):
        parse(f"__import__('os').system('touch {marker}')", XWB)
    assert parse("tanh(x*w + b)", XWB).data == math.tanh(0.5)
    assert not marker.exists()


# --------------------------------------------------------------------------- allowed input

CASES = [
    ("tanh(x*w + b)", lambda x, w, b: (x * w + b).tanh()),
    ("x * x + w / b - 3", lambda x, w, b: x * x + w / b - 3),
    ("-x ** 2 + +w", lambda x, w, b: -(x ** 2) + w),
    ("x ** -2 + b ** x", lambda x, w, b: x ** -2.0 + b ** x),
    ("2 * x - 0.5 / w", lambda x, w, b: 2 * x - 0.5 / w),
    ("exp(x) + log(b) + log1p(x) + expm1(w) + sqrt(b)",
     lambda x, w, b: x.exp() + b.log() + x.log1p() + w.expm1() + b.sqrt()),
    ("sin(x) * cos(w) + sigmoid(b) - relu(w) + abs(w) + erf(x)",
     lambda x, w, b: x.sin() * w.cos() + b.sigmoid() - w.relu() + w.abs() + x.erf()),
    ("softplus(w) + logsigmoid(x)", lambda x, w, b: w.softplus() + x.logsigmoid()),
    ("max(x, w) + maximum(b, 1) + min(x, b) * minimum(2, w)",
     lambda x, w, b: x.maximum(w) + b.maximum(1.0) + x.minimum(b) * Value(2.0).minimum(w)),
    ("((x ** 10) ** 10) ** 10 + x ** w", lambda x, w, b: ((x ** 10) ** 10) ** 10 + x ** w),
    ("(x +\n w) * b", lambda x, w, b: (x + w) * b),
]


@pytest.mark.parametrize("text, build", CASES, ids=[c[0] for c in CASES])
def test_parse_builds_the_same_values_and_gradients_as_the_direct_expression(text, build):
    leaves = {name: Value(v, label=name) for name, v in XWB.items()}
    out = parse(text, leaves)
    direct = [Value(v) for v in XWB.values()]
    expected = build(*direct)
    assert out.data == expected.data
    assert grad(out, list(leaves.values())) == grad(expected, direct)


def test_parse_shares_one_labelled_leaf_per_name_and_keeps_constant_powers():
    out = parse("x * x", {"x": 3.0})
    a, b = out._prev
    assert a is b and a.label == "x" and a.data == 3.0
    assert parse("x ** 2", {"x": 3.0}).op == "**2"
    assert parse("x ** -0.5", {"x": 4.0}).op == "**-0.5"
    assert parse("x ** w", {"x": 2.0, "w": 3.0}).op == "pow"
    assert parse("-3 * x", {"x": 1.0})._prev[0].data == -3.0  # a signed literal is one leaf
    leaf = Value(2.0, label="mine")
    assert parse("exp(v)", {"v": leaf})._prev == (leaf,)  # a Value binding is used as the leaf
    assert parse("2.5", {}).data == 2.5
    ligature = parse("\ufb01 * 2", {"\ufb01": 3.0})  # Python reads the name 'ﬁ' as 'fi' (NFKC)
    assert ligature.data == 6.0 and ligature._prev[0].label == "\ufb01"


def test_parse_lets_the_engine_errors_through():
    with pytest.raises(NumericOverflow, match=r"exp\(1000.0\): result overflows a float"):
        parse("exp(x)", {"x": 1000.0})
    with pytest.raises(NumericOverflow):
        parse("x ** 1000", {"x": 10.0})
    with pytest.raises(DivisionByZero):
        parse("x / (w - w)", XWB)
    with pytest.raises(DomainError, match="log needs x > 0"):
        parse("log(w)", XWB)


@given(st.text(alphabet="xwb0123456789.+-*/()e, _'[]<=!:lambdaexpsqrtmin", max_size=40))
def test_parse_raises_only_its_own_or_the_engine_errors(text):
    try:
        out = parse(text, XWB)
    except (ExpressionError, ArithmeticError):
        return
    assert isinstance(out, Value)


# --------------------------------------------------------------------------- bindings and main


def test_parse_bindings():
    assert parse_bindings(["x=0.5", "w=-3", "b=2e0"]) == XWB
    for tokens, words in [
        (["x"], "must be name=value"),
        (["1x=2"], "is not a usable name"),
        (["sin=2"], "is a function name"),
        (["x=abc"], "'abc' is not a number"),
        (["x=inf"], "must be finite"),
        (["x=nan"], "must be finite"),
        (["x=1", "x=2"], "bound twice"),
    ]:
        with pytest.raises(ValueError, match=words):
            parse_bindings(tokens)


@pytest.mark.parametrize("argv, words", [
    (["x + y", "x=1"], "the name 'y' at column 5 is not bound"),
    (["x + 1", "x=abc"], "'abc' is not a number"),
    (["x + 1", "x=nan"], "must be finite"),
    (["x + 1", "x"], "must be name=value"),
    (["x.__class__", "x=1"], "attribute access '.__class__' at column 3"),
    (["x", "x=1", "--forward", "w"], "--forward w: no binding"),
    (["x", "x=1", "w=2", "--forward", "w"], "w does not appear in the expression"),
    (["x", "x=1", "--format", "gif"], "invalid choice: 'gif'"),
])
def test_main_usage_errors_exit_2_argparse_style(capsys, argv, words):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: python -m viz")
    assert words in err and "Traceback" not in err


def test_main_overflow_is_one_line_and_exit_1(capsys, tmp_path):
    out = tmp_path / "g.dot"
    assert main(["exp(x)", "x=1000", "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert err == "python -m viz: error: exp(1000.0): result overflows a float\n"
    assert not out.exists()
    assert main(["sqrt(x)", "x=0", "--backward", "-o", str(out)]) == 1  # sqrt'(0) is infinite
    err = capsys.readouterr().err
    assert err.startswith("python -m viz: error: ") and err.count("\n") == 1


# --------------------------------------------------------------------------- end to end


def run_cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "viz", *args], check=False, cwd=cwd,
                          capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": ROOT})


def test_cli_writes_dot_with_gradients(tmp_path):
    out = tmp_path / "graph.dot"
    result = run_cli("tanh(x*w + b)", "x=0.5", "w=-3", "b=2", "--backward", "--rankdir", "TB",
                     "-o", str(out), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    leaves = [Value(v) for v in XWB.values()]
    y = (leaves[0] * leaves[1] + leaves[2]).tanh()
    y.backward()
    lines = result.stdout.splitlines()
    assert lines[0] == f"tanh(x*w + b) = {y.data!r}"
    assert lines[1:4] == [f"d/d{n} = {v.grad!r}" for n, v in zip(XWB, leaves, strict=True)]
    assert lines[-1] == f"wrote {out}"
    source = out.read_text()
    assert source.lstrip().startswith("digraph") and "rankdir=TB" in source
    for name in XWB:
        assert name in source


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_cli_writes_svg_and_pushes_a_tangent(tmp_path):
    result = run_cli("x*x + sin(w)", "x=3", "w=0", "--forward", "x", "-o", "g.svg",
                     cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    _, tangent = jvp(lambda x, w: x * x + w.sin(), [3.0, 0.0], [1.0, 0.0])
    assert f"forward d/dx = {tangent!r}" in result.stdout
    assert "<svg" in (tmp_path / "g.svg").read_text()


def test_cli_writes_the_backward_stepper_as_html(tmp_path):
    result = run_cli("relu(x) * w", "x=2", "w=-1", "--format", "html", "--rankdir", "TB",
                     "-o", "steps.html", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "steps.html").read_text()
    assert "<html" in page.lower() and 'data-mode="reverse"' in page
    assert result.stdout.splitlines()[-1] == "wrote steps.html"


def stepper_data(page: str) -> dict:
    """The JSON a stepper page's script reads: its kind and every step's text."""
    found = re.search(r'<script type="application/json" id="[^"]*data">(.*?)</script>', page,
                      re.DOTALL)
    assert found, "no stepper data in the page"
    return json.loads(found.group(1))


def test_cli_forward_html_writes_the_forward_stepper_seeded_at_that_input(tmp_path):
    result = run_cli("x*x*w + sin(w)", "x=3", "w=2", "--forward", "x", "-o", "steps.html",
                     cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    x, w = Value(3.0, label="x"), Value(2.0, label="w")
    expected = forward_tangents(x * x * w + w.sin(), {x: 1.0})
    assert expected == 12.0  # d/dx of x*x*w at x=3, w=2
    page = (tmp_path / "steps.html").read_text()
    assert 'data-mode="forward"' in page and 'data-mode="reverse"' not in page
    assert "Forward mode, step by step" in page
    data = stepper_data(page)
    assert data["kind"] == "tangent"
    texts = [step["x"] for step in data["steps"]]
    assert texts[0] == "x.tangent = 1.0  (seed)"  # the seed is x, not w
    assert texts[-1].endswith(f"= {expected!r}")  # the output's tangent, the last step
    assert f"forward d/dx = {expected!r}" in result.stdout
    assert result.stdout.splitlines()[-1] == "wrote steps.html"


@pytest.mark.parametrize("name", ["g.dot", "steps.html"])
def test_cli_a_missing_output_directory_is_exit_1_and_is_not_created(capsys, tmp_path, name):
    out = tmp_path / "a" / "b" / name
    assert main(["x * w", "x=1", "w=2", "--backward", "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert err == (f"python -m viz: error: could not write {out}: the directory "
                   f"{out.parent} does not exist (it is not created)\n")
    assert not (tmp_path / "a").exists()


def test_cli_a_failing_sweep_in_the_stepper_is_exit_1(capsys, tmp_path):
    out = tmp_path / "steps.html"
    assert main(["sqrt(x)", "x=0", "--format", "html", "-o", str(out)]) == 1  # sqrt'(0)
    err = capsys.readouterr().err
    assert err.startswith("python -m viz: error: ") and err.count("\n") == 1
    assert "sqrt" in err and not out.exists()


def test_cli_errors_in_a_subprocess(tmp_path):
    hostile = run_cli("__import__('os').system('touch pwned')", cwd=tmp_path)
    assert hostile.returncode == 2 and "usage: python -m viz" in hostile.stderr
    assert "attribute access '.system'" in hostile.stderr
    overflow = run_cli("exp(x)", "x=1000", "-o", "g.dot", cwd=tmp_path)
    assert overflow.returncode == 1
    assert overflow.stderr == "python -m viz: error: exp(1000.0): result overflows a float\n"
    assert sorted(os.listdir(tmp_path)) == []


def test_the_callable_functions_have_one_public_name_read_from_the_table():
    from viz import expression

    stale = [n for n in ("UNARY_FUNCTIONS", "BINARY_FUNCTIONS", "FUNCTIONS") if hasattr(expression, n)]
    assert not stale, f"{stale}: functions() is the one list"
    assert expression.functions()["tanh"] == ("tanh", 1)
    assert expression.functions()["max"] == ("maximum", 2)
