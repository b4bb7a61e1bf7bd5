"""Which module made each node: grouping a graph by a model's parameter names, and collapsing.

A model is anything with ``named_parameters()`` (an ``nn.Module``), whose
dotted names (``layers.1.neurons.3.w.0``) say where each parameter lives.
The module of a parameter is the longest module name that prefixes it (from
``named_modules()`` when the model has it; otherwise the name without its
trailing indices and its attribute: ``layers.1.neurons.3``).

Every other node is placed by one pass in topological order:

- a node with parameter parents belongs to their module (``w * x``);
- otherwise to the group its parents share (the sums and the activation
  that follow inside a neuron), or, when they differ, to the longest module
  name that prefixes all of their groups (a loss that combines several
  outputs lands at the top level, ``''``);
- a constant among the parents counts as top-level code, so the ``out - y``
  of a loss leaves the model's last neuron; but when every node that reads
  the result is inside a module, the constant was part of that module's own
  computation (GELU's ``0.5 * x``), and the node stays with its parents;
- a constant or input (a leaf that is not a parameter) belongs to its
  consumer's group when exactly one node consumes it, else to the top level.

Collapsing draws a whole group as one node: ``"neuron"`` collapses each
group that owns parameters (a neuron of micrograd's MLP, a ``Linear``),
``"layer"`` each top-level child of the model (``layers.0``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from autograd import Value

COLLAPSE_LEVELS = ("neuron", "layer")


@dataclass
class Groups:
    """The grouping of one graph: a group name per node, and what is known of the modules."""

    names: list[str]  # per node (topological index): its group, '' for the top level
    params: dict[Value, str]  # parameter -> its dotted name
    modules: dict[str, str]  # module name -> type name ('' for unknown), '' is the model
    owners: set[str]  # groups that own parameters: what collapse="neuron" draws as one node

    def layer_of(self, group: str) -> str:
        """The top-level child of the model that contains ``group`` ('' for the top level)."""
        if not group:
            return ""
        for name in reversed(_prefixes(group)):
            if name in self.modules:
                return name
        return _first_module(group)


def parameter_names(model: Any, fn: str = "draw_graph") -> dict[Value, str]:
    """``{parameter: dotted name}`` from ``model.named_parameters()``; errors name ``fn``."""
    named = getattr(model, "named_parameters", None)
    if not callable(named):
        raise TypeError(
            f"{fn}: model must have named_parameters() (an nn.Module), "
            f"got {type(model).__name__}"
        )
    names: dict[Value, str] = {}
    for name, p in named():
        if not isinstance(p, Value):
            raise TypeError(
                f"{fn}: model.named_parameters() gave {type(p).__name__} for {name!r}, "
                "expected a Value"
            )
        names.setdefault(p, str(name))
    return names


def module_types(model: Any, params: dict[Value, str]) -> dict[str, str]:
    """Module names and types, from ``named_modules()``, or inferred from ``params``."""
    named = getattr(model, "named_modules", None)
    if callable(named):
        return {str(name): type(m).__name__ for name, m in named()}
    modules = {"": type(model).__name__}
    for name in params.values():
        prefix = _strip_attribute(name)
        while prefix and prefix not in modules:
            modules[prefix] = ""
            prefix = _strip_attribute(prefix)
    return modules


def assign_groups(order: list[Value], model: Any) -> Groups:
    """Group every node of ``order`` (a topological order) by the module that made it."""
    params = parameter_names(model)
    modules = module_types(model, params)
    module_of = {p: _module_of(name, modules) for p, name in params.items()}
    index = {v: i for i, v in enumerate(order)}
    consumers: list[list[int]] = [[] for _ in order]
    for i, v in enumerate(order):
        for p in v._prev:
            consumers[index[p]].append(i)
    # by_parents: the group the parents share, constants ignored (the sums inside a neuron);
    # outside: the same, but a constant counts as top-level code (the `out - y` of a loss)
    by_parents: list[str] = [""] * len(order)
    outside: list[str] = [""] * len(order)
    for i, v in enumerate(order):
        if v in module_of:
            by_parents[i] = outside[i] = module_of[v]
            continue
        if not v._prev:
            continue  # a constant or input: placed with its consumer, below
        owned = [module_of[p] for p in v._prev if p in module_of]
        if owned:
            by_parents[i] = outside[i] = _common(owned, modules)
            continue
        inner = [index[p] for p in v._prev if p._prev or p in module_of]
        constant = len(inner) < len(v._prev)
        by_parents[i] = _common([by_parents[k] for k in inner], modules) if inner else ""
        outer = [outside[k] for k in inner] + ([""] if constant else [])
        outside[i] = _common(outer, modules) if outer else ""
    # A node that mixes a module's value with a constant stays inside the module when
    # everything that reads it is inside a module (GELU's 0.5, a Linear's sum from 0.0).
    names = outside
    for i in range(len(order) - 1, -1, -1):
        readers = consumers[i]
        if names[i] != by_parents[i] and readers and all(names[c] for c in readers):
            names[i] = by_parents[i]
    for i, v in enumerate(order):
        if not v._prev and v not in module_of and len(consumers[i]) == 1:
            names[i] = names[consumers[i][0]]
    owners = set(module_of.values())
    return Groups(names, params, modules, owners)


def units(groups: Groups, level: str) -> list[str | None]:
    """Per node, the group drawn as one node at ``level`` that holds it, or None (drawn alone)."""
    out: list[str | None] = []
    for name in groups.names:
        if not name:
            out.append(None)  # the model itself is never collapsed
        elif level == "neuron":
            out.append(name if name in groups.owners else None)
        else:
            layer = groups.layer_of(name)
            out.append(layer or None)
    return out


def cluster_chain(group: str, modules: dict[str, str]) -> list[str]:
    """The clusters that enclose a node of ``group``, outermost first (module names only)."""
    return [name for name in reversed(_prefixes(group)) if name in modules and name]


def _prefixes(name: str) -> list[str]:
    """``a.b.c`` -> ['a.b.c', 'a.b', 'a'] (longest first)."""
    parts = name.split(".")
    return [".".join(parts[:k]) for k in range(len(parts), 0, -1)]


def _strip_attribute(name: str) -> str:
    """The owning module's name without ``named_modules``: drop the indices, then the attribute."""
    parts = name.split(".")
    while parts and parts[-1].isdigit():
        parts.pop()
    return ".".join(parts[:-1])


def _module_of(param_name: str, modules: dict[str, str]) -> str:
    """The longest module name that prefixes ``param_name`` (the module holding the parameter)."""
    for name in _prefixes(param_name)[1:]:
        if name in modules:
            return name
    return ""


def _first_module(group: str) -> str:
    """The top-level child a group is in, modules unknown: ``layers.0`` of ``layers.0.x``."""
    parts = group.split(".")
    keep = 1
    while keep < len(parts) and parts[keep].isdigit():
        keep += 1
    return ".".join(parts[:keep])


def _common(groups: Iterable[str], modules: dict[str, str]) -> str:
    """The shared group, or the longest module name that prefixes every one of them."""
    groups = list(groups)
    first = groups[0]
    if all(g == first for g in groups):
        return first
    split = [g.split(".") if g else [] for g in groups]
    shared: list[str] = []
    for parts in zip(*split, strict=False):  # up to the shortest name
        if any(p != parts[0] for p in parts):
            break
        shared.append(parts[0])
    prefix = ".".join(shared)
    for name in _prefixes(prefix) if prefix else []:
        if name in modules:
            return name
    return ""
