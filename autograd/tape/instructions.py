"""The instructions of a tape: one per node of the recorded graph, in topological order.

Node ``%i`` of a tape is made by instruction ``i``:

- ``Input(k)``: the k-th input of the traced function (column k of a batch);
- ``Param(j)``: the j-th parameter, a leaf ``Value`` read afresh at each
  replay (a weight, or a constant such as the 2.0 of ``2 * x``);
- ``StopGradient(prog)``: a number computed from other nodes by a postfix
  program (``autograd.tape.expr``) that gets no gradient (``x.detach()``,
  ``Value(x.data)``, a node made under ``no_grad()``);
- ``Step(out, op, args)``: ``%out = op(%args...)``, one row of the primitive
  table with its constant parameters bound in ``op``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from ..errors import TraceError
from ..primitives import CustomOp, Op
from ..value import Value
from .expr import Decision, Program, prog_map, prog_nodes, prog_text


class Input(NamedTuple):
    """Node = input ``column`` of the traced function (column ``column`` of a batch)."""

    column: int

    def __repr__(self) -> str:
        return f"Input({self.column})"


class Param(NamedTuple):
    """Node = parameter ``position`` of the tape (a leaf ``Value``, referenced)."""

    position: int

    def __repr__(self) -> str:
        return f"Param({self.position})"


class StopGradient(NamedTuple):
    """Node = ``prog`` evaluated on other nodes, with no gradient flowing back through it."""

    prog: Program

    def __repr__(self) -> str:
        return f"StopGradient({prog_text(self.prog)})"


class Step(NamedTuple):
    """One primitive step of a tape: node ``out`` = ``op``(nodes ``args``)."""

    out: int
    op: Op
    args: tuple[int, ...]

    def __repr__(self) -> str:
        return f"Step(%{self.out} = {self.op}({', '.join(f'%{a}' for a in self.args)}))"


Instruction = Input | Param | StopGradient | Step


def describe(ins: Instruction) -> str:
    """An instruction as a tape listing shows it: ``input 0``, ``parameter 3``, ``*(%2, %0)``."""
    if isinstance(ins, Input):
        return f"input {ins.column}"
    if isinstance(ins, Param):
        return f"parameter {ins.position}"
    if isinstance(ins, StopGradient):
        return f"stop_gradient({prog_text(ins.prog)})"
    return f"{ins.op}({', '.join(f'%{a}' for a in ins.args)})"


def _node_order(inputs: Sequence[Value], roots: Sequence[Value],
                derived: dict[Value, Program]) -> list[Value]:
    """Inputs first, then every node the roots need, each after what it reads (no recursion).

    A depth-first post-order that visits parents in argument order, so nodes
    come in the order the program made them (a layer's neurons stay in order).
    """
    order = list(inputs)
    seen = set(order)

    def needs(v: Value) -> Sequence[Value]:
        prog = derived.get(v)
        return prog_nodes(prog) if prog is not None else v._prev

    for root in roots:
        if root in seen:
            continue
        seen.add(root)
        stack = [(root, iter(needs(root)))]
        while stack:
            node, parents = stack[-1]
            for p in parents:
                if p not in seen:
                    seen.add(p)
                    stack.append((p, iter(needs(p))))
                    break
            else:
                stack.pop()
                order.append(node)
    return order


def from_graph(inputs: Sequence[Value], outputs: Sequence[Value], derived: dict[Value, Program],
               decided: Sequence[tuple[Program, str, Program, bool, str]]
               ) -> tuple[list[Instruction], list[Value], tuple[int, ...], tuple[Decision, ...]]:
    """(instructions, parameters, output nodes, decisions) of a graph recorded by ``trace``.

    ``derived`` maps each stop-gradient node to the program it stands for,
    ``decided`` lists the comparisons made, over Values; in what is returned
    nodes are numbers (``%i``), inputs first.
    """
    index: dict[Value, int] = {}
    refs = [v for d in decided for v in prog_nodes(d[0]) + prog_nodes(d[2])]
    order = _node_order(inputs, list(outputs) + refs, derived)
    params: list[Value] = []
    instructions: list[Instruction] = []
    for i, v in enumerate(order):
        index[v] = i
        if i < len(inputs):
            instructions.append(Input(i))
        elif v in derived:
            instructions.append(StopGradient(prog_map(derived[v], index.__getitem__)))
        elif not v._prev:
            instructions.append(Param(len(params)))
            params.append(v)
        else:
            op = v._op
            if not isinstance(op, Op) or isinstance(op, CustomOp):
                raise TraceError(
                    f"trace: op {str(op)!r} has no array rule: it is not a row of the primitive "
                    "table (autograd.primitives.TABLE); build the node from Value operations"
                )
            instructions.append(Step(i, op, tuple(index[p] for p in v._prev)))
    decisions = tuple(Decision(prog_map(lp, index.__getitem__), op, prog_map(rp, index.__getitem__),
                               outcome, site)
                      for lp, op, rp, outcome, site in decided)
    return instructions, params, tuple(index[o] for o in outputs), decisions
