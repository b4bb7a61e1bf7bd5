"""The command line: ``python -m viz "tanh(x*w + b)" x=0.5 w=-3 b=2 --backward -o graph.svg``.

Builds the expression's graph on leaves labelled with their names (parsed by
``viz.expression``, never ``eval``: see that module for what is allowed),
optionally runs ``backward()`` (``--backward``) and pushes a tangent
d/d name = 1 forward from one leaf (``--forward name``), then writes the
drawing with ``viz.render`` (``--format`` svg, png, pdf or dot) or a
stepper page (``--format html``): the forward-mode stepper
``viz.step_forward(root, {name: 1.0})`` with ``--forward name``, else the
backward stepper ``viz.step_backward(root)``.
The format defaults to the output file's suffix, else svg; the output
defaults to ``graph.<format>``. It prints the value, the gradients or the
tangent it computed, and where the file was written.

An expression that starts with ``-`` would read as an option: put the
options first and the expression after ``--`` (``python -m viz --backward --
"-x*x" x=2``), or start it with a space (``" -x*x"``).

Exit status:

- 0: the file was written;
- 2: a usage error, argparse style (usage line and message on stderr): an
  unknown option, a bad or missing binding, an expression ``viz.expression``
  refuses (the message names the construct and its column);
- 1: the expression is well formed but its numbers fail: the engine's
  ``ArithmeticError`` (overflow as in ``exp(x)`` at x = 1000, ``log`` of a
  negative number, division by zero, an infinite derivative in backward),
  or the file cannot be written (no Graphviz ``dot``, a missing directory:
  the output's directory must exist, it is never created).
  One line on stderr, ``python -m viz: error: ...``, no traceback.
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
from collections.abc import Sequence

from autograd import Value, forward_tangents, topological_order

from .expression import ExpressionError, check_name, functions, parse

PROG = "python -m viz"
GRAPH_FORMATS = ("svg", "png", "pdf", "dot")
FORMATS = (*GRAPH_FORMATS, "html")
RANKDIRS = ("LR", "TB", "RL", "BT")

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _functions_text() -> str:
    """The functions an expression may call, from the primitive table: ``exp log ... max(a, b)``."""
    return " ".join(name if arity == 1 else f"{name}(a, b)"
                    for name, (_, arity) in functions().items())


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m viz``."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Draw the computation graph of a scalar expression, with its gradients.",
        epilog=(
            'example: python -m viz "tanh(x*w + b)" x=0.5 w=-3 b=2 --backward -o graph.svg. '
            "Allowed: numbers, bound names, + - * / **, unary - +, and the functions "
            f"{_functions_text()}. Exit status: 0 written, 1 the numbers "
            "failed (overflow, domain) or the file could not be written, 2 usage error."
        ),
    )
    parser.add_argument("expression", help='the expression, e.g. "tanh(x*w + b)"')
    parser.add_argument("bindings", nargs="*", metavar="name=value",
                        help="a finite number for each name in the expression")
    parser.add_argument("-o", "--output", metavar="PATH",
                        help="the file to write (default: graph.<format>)")
    parser.add_argument("--format", choices=FORMATS,
                        help="svg, png, pdf, dot (the graph) or html (the stepper: forward mode "
                             "with --forward, else backward); default: the output's suffix, "
                             "else svg")
    parser.add_argument("--backward", action="store_true",
                        help="run backward() from the result, so the drawing shows gradients")
    parser.add_argument("--forward", metavar="NAME",
                        help="push the tangent d/dNAME = 1 forward through the graph")
    parser.add_argument("--rankdir", choices=RANKDIRS,
                        help="graph direction for Graphviz (default: the drawing's own)")
    return parser


def parse_bindings(tokens: Sequence[str]) -> dict[str, float]:
    """``["x=0.5", "w=-3"]`` as ``{"x": 0.5, "w": -3.0}``; a ValueError says what is wrong.

    Each token is ``name=value`` with a valid identifier (not a keyword or a
    function name), a finite number, and each name bound once.
    """
    bindings: dict[str, float] = {}
    for token in tokens:
        name, sep, text = token.partition("=")
        if not sep:
            raise ValueError(f"binding {token!r} must be name=value, e.g. x=0.5")
        try:
            check_name(name)
        except ExpressionError as exc:
            raise ValueError(f"binding {token!r}: {name!r} is not a usable name ({exc})") from None
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"binding {token!r}: {text!r} is not a number") from None
        if not math.isfinite(value):
            raise ValueError(f"binding {token!r}: the value must be finite, got {text!r}")
        if name in bindings:
            raise ValueError(f"binding {token!r}: {name!r} is bound twice")
        bindings[name] = value
    return bindings


def _output(args: argparse.Namespace) -> tuple[str, str]:
    """(path, format): the format from --format, else the output's suffix, else svg."""
    fmt = args.format
    if fmt is None and args.output:
        suffix = os.path.splitext(args.output)[1].lstrip(".").lower()
        fmt = suffix if suffix in FORMATS else None
    fmt = fmt or "svg"
    return args.output or f"graph.{fmt}", fmt


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _write(root: Value, path: str, fmt: str, rankdir: str | None, seed: Value | None) -> str:
    """Write the drawing (or the stepper page) and return the path written.

    The page steps forward mode from ``seed`` (tangent 1) when one is given,
    else the backward sweep. The output's directory must already exist.
    """
    import viz

    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"the directory {directory} does not exist (it is not created)")
    options = {"rankdir": rankdir} if rankdir is not None else {}
    if fmt == "html" and seed is not None:
        written = viz.step_forward(root, {seed: 1.0}, **options).to_html(path)
    elif fmt == "html":
        written = viz.step_backward(root, **options).to_html(path)
    else:
        written = viz.render(root, path, format=fmt, **options)
    return os.fspath(written) if isinstance(written, (str, os.PathLike)) else path


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line on ``argv`` (default ``sys.argv[1:]``); return the exit status.

    Usage errors go through argparse, which prints them and raises
    ``SystemExit(2)``; numeric and file errors print one line and return 1.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        bindings = parse_bindings(args.bindings)
    except ValueError as exc:
        parser.error(str(exc))
    leaves = {name: Value(value, label=name) for name, value in bindings.items()}
    if args.forward is not None and args.forward not in leaves:
        parser.error(f"--forward {args.forward}: no binding {args.forward}=<number> given")
    path, fmt = _output(args)
    try:
        root = parse(args.expression, leaves)
    except ExpressionError as exc:
        parser.error(str(exc))
    except ArithmeticError as exc:
        return _fail(exc)
    graph = set(topological_order(root))
    used = [leaf for leaf in leaves.values() if leaf in graph]
    if args.forward is not None and leaves[args.forward] not in used:
        parser.error(f"--forward {args.forward}: {args.forward} does not appear in the expression")

    lines = [f"{args.expression.strip()} = {root.data!r}"]
    try:
        if args.backward:
            root.backward()
            lines += [f"d/d{leaf.label} = {leaf.grad!r}" for leaf in used]
        if args.forward is not None:
            tangent = forward_tangents(root, {leaves[args.forward]: 1.0})
            lines.append(f"forward d/d{args.forward} = {tangent!r}")
    except ArithmeticError as exc:
        return _fail(exc)
    seed = leaves[args.forward] if args.forward is not None else None
    try:
        written = _write(root, path, fmt, args.rankdir, seed)
    except ArithmeticError as exc:  # the stepper runs the sweep itself (sqrt'(0) in backward)
        return _fail(exc)
    except (OSError, RuntimeError, ValueError, subprocess.SubprocessError) as exc:
        return _fail(exc, f"could not write {path}: ")
    lines.append(f"wrote {written}")
    print("\n".join(lines))
    return EXIT_OK


def _fail(exc: BaseException, prefix: str = "") -> int:
    print(f"{PROG}: error: {prefix}{_one_line(exc)}", file=sys.stderr)
    return EXIT_FAILED


__all__ = ["EXIT_FAILED", "EXIT_OK", "EXIT_USAGE", "FORMATS", "build_parser", "main",
           "parse_bindings"]
