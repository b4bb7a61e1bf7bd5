"""What each drawn node stands for: one Value, a collapsed module, or the folded rest.

A drawing maps every node of the graph (by topological index ``i``) to a
*key*: ``i`` itself when the node is drawn alone, a group name when it is
inside a collapsed neuron or layer, or ``...`` when it is folded into the one
"earlier values" node of a graph cut down to ``max_nodes``. Keys become DOT
names: ``n{i}``, ``g0, g1, ...`` (in module order) and ``rest``.
"""

from __future__ import annotations

from typing import Any

from .groups import COLLAPSE_LEVELS, Groups, units


def choose_keys(
    n: int, groups: Groups | None, collapse: str | None, max_nodes: int | None
) -> tuple[list[Any], str]:
    """A key per node, and a note for the picture when the graph had to be cut down.

    ``collapse`` is what the caller asked for. When more than ``max_nodes``
    nodes would be drawn, the next coarser level that fits is used (neuron,
    then layer); when none fits, or there is no model to group by, the nodes
    nearest the output are kept (by their last position in topological
    order) and the rest, on the inputs' side, are folded into one.
    """

    def keyed(level: str | None) -> list[Any]:
        if level is None or groups is None:
            return list(range(n))
        return [i if u is None else u for i, u in enumerate(units(groups, level))]

    keys = keyed(collapse)
    wanted = count(keys)
    if max_nodes is None or wanted <= max_nodes:
        return keys, ""
    start = COLLAPSE_LEVELS.index(collapse) if collapse else 0
    for level in COLLAPSE_LEVELS[start:] if groups is not None else ():
        candidate = keyed(level)
        if count(candidate) <= max_nodes:
            return candidate, (
                f"{n} values would be {wanted} nodes, more than max_nodes={max_nodes}: "
                f"collapsed by {level} (max_nodes=None draws every node)"
            )
        if count(candidate) < count(keys):
            keys = candidate
    last = {k: i for i, k in enumerate(keys)}  # a unit's last node: how near the output it is
    drawn = sorted(last, key=last.__getitem__)
    kept = set(drawn[len(drawn) - (max_nodes - 1):])
    folded = [k if k in kept else ... for k in keys]
    hidden = sum(1 for k in folded if k is ...)
    how = " even collapsed" if groups is not None else ""
    advice = "max_nodes=None draws every node" + ("" if groups else "; model= groups by module")
    return folded, (
        f"{n} values would be {len(drawn)} nodes{how}, more than max_nodes={max_nodes}: "
        f"the {hidden} values farthest from the output are folded into one node ({advice})"
    )


def count(keys: list[Any]) -> int:
    """How many nodes a list of keys draws."""
    return len(dict.fromkeys(keys))


def dot_names(keys: list[Any]) -> list[str]:
    """The DOT name drawing each node: ``n{i}`` alone, ``rest``, and ``g0, g1, ...`` for groups
    numbered in module order (``layers.2`` before ``layers.10``)."""
    groups = sorted({k for k in keys if isinstance(k, str)}, key=natural_key)
    names: dict[Any, str] = {name: f"g{k}" for k, name in enumerate(groups)}
    names[...] = "rest"
    return [f"n{k}" if isinstance(k, int) else names[k] for k in keys]


def natural_key(name: str) -> tuple:
    """Sort key for dotted names with numbers in them: ``layers.2`` before ``layers.10``."""
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in name.split(".") if name)
