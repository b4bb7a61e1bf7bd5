"""Stage 2, plan: the tape's instructions grouped into items, each one or a few numpy calls.

A plan says how the steps of a tape run on arrays. Plain (``fuse=False``):
one item per step, in tape order. Fused (the default), two rewrites turn a
layer of neurons into a few numpy calls:

- grouping: steps of the same op whose inputs are ready at the same depth run
  as one call on a 2-D array, one row per step (a layer's 16 ReLUs are one
  ``np.maximum``);
- linear forms: a sum b + w_1 x_1 + ... + w_p x_p of parameter-times-value
  products (a neuron) becomes a row of one matrix product W @ X + b, shared
  by the neurons that read the same x's (``items.Affine``). The terms are
  then added in another order, so such a sum can differ from the scalar
  engine's in the last bits.

Nodes that must keep a value of their own (outputs, nodes read by decisions
or stop-gradients) are never fused away. Each item writes one new block
(``autograd.tape.run``); ``loc[i]`` says which block and row hold node i.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..primitives import PRIMITIVES, Primitive
from ..value import Value
from .expr import Decision, prog_nodes
from .instructions import Input, Instruction, Param, Step, StopGradient, describe
from .items import Affine, Derived, Group, Guard
from .run import Gather, Run

__all__ = ["Plan"]


@dataclass
class _Form:
    """root = bias + sum_k coefs[k] * xs[k]; ``absorbed`` are the nodes it replaces."""

    xs: tuple[int, ...]
    coefs: tuple[int, ...]
    bias: int | None
    absorbed: list[int]


def _analyse(nodes: list[Instruction], outputs: Sequence[int], decisions: Sequence[Decision]
             ) -> tuple[list[bool], list[int], list[int], list[bool]]:
    """Per node: depends on an input?; how many steps consume it, and one of them; is it pinned?

    Pinned nodes (outputs, and nodes read by decisions or stop-gradients) must
    keep a value of their own, so they are never fused away.
    """
    n = len(nodes)
    dep, consumers, consumer, pinned = [False] * n, [0] * n, [-1] * n, [False] * n
    for i, ins in enumerate(nodes):
        if isinstance(ins, Input):
            dep[i] = True
        elif isinstance(ins, StopGradient):
            refs = prog_nodes(ins.prog)
            dep[i] = any(dep[r] for r in refs)
            for r in refs:
                pinned[r] = True
        elif isinstance(ins, Step):
            dep[i] = any(dep[a] for a in ins.args)
            for a in ins.args:
                consumers[a] += 1
                consumer[a] = i
    for o in outputs:
        pinned[o] = True
    for d in decisions:
        for r in prog_nodes(d.lhs) + prog_nodes(d.rhs):
            pinned[r] = True
    return dep, consumers, consumer, pinned


def _linear_forms(nodes: list[Instruction], dep: list[bool], consumers: list[int],
                  pinned: list[bool], consumer: list[int]) -> dict[int, _Form]:
    """Maximal sums of parameter-times-value products (neurons), found bottom-up in one pass.

    A '+' is absorbed into the '+' that consumes it when it has no other
    consumer and is not an output or read by a decision; a product ``p * x``
    (p a parameter, x depending on the inputs) with a single consumer is a
    term; a lone parameter is a bias (at most one per form).
    """
    add, mul = PRIMITIVES["+"], PRIMITIVES["*"]

    def is_op(i: int, prim: Primitive) -> bool:
        ins = nodes[i]
        return isinstance(ins, Step) and ins.op.prim is prim

    def args(i: int) -> tuple[int, ...]:
        ins = nodes[i]
        return ins.args if isinstance(ins, Step) else ()

    def is_param(i: int) -> bool:
        return isinstance(nodes[i], Param)

    def term(i: int) -> tuple[int, int] | None:
        if not is_op(i, mul) or consumers[i] != 1 or pinned[i]:
            return None
        a, b = args(i)
        if is_param(a) and dep[b] and not is_param(b):
            return a, b
        if is_param(b) and dep[a] and not is_param(a):
            return b, a
        return None

    def inner(i: int) -> bool:  # a '+' that belongs to its consumer's sum
        return is_op(i, add) and consumers[i] == 1 and not pinned[i] and is_op(consumer[i], add)

    linear = [False] * len(nodes)
    terms = [0] * len(nodes)
    biases = [0] * len(nodes)
    for i in range(len(nodes)):
        if not is_op(i, add):
            continue
        ok = True
        for a in args(i):
            if term(a) is not None:
                terms[i] += 1
            elif is_param(a):
                biases[i] += 1
            elif inner(a) and linear[a]:
                terms[i] += terms[a]
                biases[i] += biases[a]
            else:
                ok = False
        linear[i] = ok and biases[i] <= 1 and terms[i] >= 1
    forms: dict[int, _Form] = {}
    for root in range(len(nodes)):
        if not linear[root] or (inner(root) and linear[consumer[root]]):
            continue
        xs, coefs, bias, absorbed = [], [], None, []
        stack = [root]
        while stack:  # left to right over the tree of '+', so the x's come in the order of the sum
            i = stack.pop()
            if i == root or (inner(i) and linear[i]):
                if i != root:
                    absorbed.append(i)
                stack.extend(reversed(args(i)))
            elif is_param(i):
                bias = i
            else:
                found = term(i)
                assert found is not None  # a linear '+' reads only terms, sums and a bias
                coefs.append(found[0])
                xs.append(found[1])
                absorbed.append(i)
        if len(set(xs)) == len(xs):
            forms[root] = _Form(tuple(xs), tuple(coefs), bias, absorbed)
    return forms


def _schedule(nodes: list[Instruction], dep: list[bool], forms: dict[int, _Form], fuse: bool
              ) -> tuple[list[float], list[tuple[float, list[int]]]]:
    """Each node's level, and the groups of nodes computed together, in the order they run.

    Fused: a node's level is 1 + the highest level among what it reads, and
    nodes of one level and one kind (same op and parameters, or linear forms
    over the same x's) form one group: they only read lower levels, so one
    numpy call computes them all. Plain: one group per node, in tape order.
    """
    absorbed = {i for form in forms.values() for i in form.absorbed}
    level = [0.0] * len(nodes)
    groups: dict[tuple, list[int]] = {}
    for i, ins in enumerate(nodes):
        if isinstance(ins, (Input, Param)) or i in absorbed:
            continue
        key: tuple
        if isinstance(ins, StopGradient):
            refs, key = prog_nodes(ins.prog), ("derived", i)
        elif i in forms:
            refs, key = list(forms[i].xs), ("affine", forms[i].xs, forms[i].bias is not None)
        else:
            assert isinstance(ins, Step)
            refs = list(ins.args)
            key = ("op", ins.op.prim, ins.op.params, tuple(dep[a] for a in refs), dep[i])
        level[i] = 1 + max((level[r] for r in refs), default=0) if fuse else float(i)
        groups.setdefault((level[i], *key) if fuse else (level[i], i), []).append(i)
    order = sorted(groups.items(), key=lambda kv: (kv[0][0], kv[1][0]))
    return level, [(key[0], members) for key, members in order]


class Plan:
    """How a tape runs on arrays: its instructions as a list of items, each a few numpy calls.

    ``nodes[i]`` is the instruction making node i (``Input``, ``Param``,
    ``StopGradient`` or ``Step``), in topological order; ``params[j]`` are the
    parameter Values (their ``data`` is read at each replay and their ``grad``
    receives the batch sums). ``items`` run in order forward, in reverse
    backward; ``loc[i]`` is (block, row) of node i.
    """

    def __init__(self, n_inputs: int, params: Sequence[Value], nodes: list[Instruction],
                 outputs: Sequence[int], decisions: Sequence[Decision], fuse: bool = True) -> None:
        self.n_inputs, self.params, self.nodes = n_inputs, list(params), nodes
        self.outputs = list(outputs)
        dep, consumers, consumer, pinned = _analyse(nodes, outputs, decisions)
        forms = _linear_forms(nodes, dep, consumers, pinned, consumer) if fuse else {}
        level, order = _schedule(nodes, dep, forms, fuse)

        # blocks: 0 = inputs, 1 = parameters, then one per item, in the order the items run
        self.loc: dict[int, tuple[int, int]] = {}
        self.block_rows = [n_inputs, len(self.params)]
        self.block_dep = [True, False]
        self.nograd: set[int] = set()  # blocks of stop-gradient values
        for i, ins in enumerate(nodes):
            if isinstance(ins, Input):
                self.loc[i] = (0, ins.column)
            elif isinstance(ins, Param):
                self.loc[i] = (1, ins.position)
        timed: list[tuple[float, int, Any]] = []
        for lvl, members in order:
            timed.append((lvl, members[0], self._item(members, dep[members[0]], forms)))
        for d in decisions:
            refs = prog_nodes(d.lhs) + prog_nodes(d.rhs)
            lvl = max((level[r] for r in refs), default=0.0) + 0.5  # right after what it reads
            guard = Guard(d, any(dep[r] for r in refs), self._value, self.describe)
            timed.append((lvl, -1, guard))
        timed.sort(key=lambda t: (t[0], t[1]))
        self.items: list[Any] = [t[2] for t in timed]
        self.out_gathers = [self._gather([self.loc[o]]) for o in outputs]
        self.output_locs = [self.loc[o] for o in outputs]
        self.wanted = self._wanted()
        self.arange = np.arange(0)  # the batch indices of the last batch size (run.forward)

    def _wanted(self) -> tuple[list[bool], list[bool]]:
        """Which blocks backward needs a gradient for: (with the inputs', parameters' only).

        A block wants one if a parameter flows into it (or, for the first
        list, an input); a stop-gradient block never does.
        """
        param = [isinstance(ins, Param) for ins in self.nodes]
        for i, ins in enumerate(self.nodes):
            if isinstance(ins, Step):
                param[i] = any(param[a] for a in ins.args)
        from_params = [False, True] + [False] * (len(self.block_rows) - 2)
        for i, (block, _) in self.loc.items():
            if block > 1 and param[i]:
                from_params[block] = True
        with_inputs = [(p or dep) and b not in self.nograd
                       for b, (p, dep) in enumerate(zip(from_params, self.block_dep, strict=True))]
        params_only = [p and b not in self.nograd for b, p in enumerate(from_params)]
        return with_inputs, params_only

    def _item(self, members: list[int], dep: bool, forms: dict[int, _Form]) -> Any:
        """The plan item computing ``members`` (nodes of one kind), writing a new block."""
        nodes = self.nodes
        block = len(self.block_rows)
        self.block_rows.append(len(members))
        self.block_dep.append(dep)
        first = nodes[members[0]]
        item: Any
        if isinstance(first, StopGradient):
            self.nograd.add(block)
            item = Derived(first.prog, block, dep, self._value)
        elif members[0] in forms:
            form = forms[members[0]]
            widx = np.array([[self._param(c) for c in forms[i].coefs] for i in members])
            bias = (np.array([self._param(forms[i].bias) for i in members])
                    if form.bias is not None else None)
            steps = [self._form_steps(i, forms[i]) for i in members]
            item = Affine(self._gather([self.loc[x] for x in form.xs]), widx, bias, block, steps)
        else:
            assert isinstance(first, Step)
            operands = [self._gather([self.loc[self._step(i).args[p]] for i in members])
                        for p in range(len(first.args))]
            item = Group(first.op, members, operands, block, dep)
        for r, i in enumerate(members):
            self.loc[i] = (block, r)
        return item

    def _param(self, i: Any) -> int:
        ins = self.nodes[i]
        assert isinstance(ins, Param)
        return ins.position

    def _step(self, i: int) -> Step:
        ins = self.nodes[i]
        assert isinstance(ins, Step)
        return ins

    def _form_steps(self, root: int, form: _Form) -> list[tuple]:
        """The steps of the linear form ``root`` in tape order, for ``Affine.steps``."""
        position = {x: k for k, x in enumerate(form.xs)}
        steps = []
        for i in sorted([*form.absorbed, root]):
            step = self._step(i)
            steps.append((i, step.op, tuple(
                ("x", position[a]) if a in position
                else ("p", self._param(a)) if isinstance(self.nodes[a], Param) else ("n", a)
                for a in step.args)))
        return steps

    def describe(self, i: int) -> str:
        """Node i as the tape lists it: ``input 0``, ``parameter 3``, ``*(%2, %0)``."""
        return describe(self.nodes[i])

    def _gather(self, locs: list[tuple[int, int]]) -> Gather:
        return Gather(locs, self.block_rows)

    def _value(self, run: Run, i: int) -> np.ndarray:
        """Node i's value in a chunk: one entry per sample, or a single one if it reads no input."""
        block, row = self.loc[i]
        return run.blocks[block][row]
