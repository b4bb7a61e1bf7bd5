"""Walking a recorded graph: the topological order every sweep uses.

No recursion anywhere: a graph a million nodes deep is walked with an
explicit stack, so Python's recursion limit never matters. The order is a
function of the graph alone (parents are visited in argument order), so the
same graph always gives the same order, the same node numbers and the same
drawing.
"""

from __future__ import annotations

from .value import Value


def topological_order(*roots: Value) -> list[Value]:
    """Every node the roots depend on, each after all of its parents; roots come last.

    Kahn's algorithm, run from the outputs: a first walk counts each node's
    consumers, then a node is emitted once all of its consumers have been,
    which gives the order the backward sweep needs; it is returned reversed
    (inputs first). Each node appears once, however often it is reused.
    Two flat loops with one dict: unlike a depth-first stack of iterators,
    nothing per node is allocated, so a million-node chain does not wake
    Python's garbage collector over and over.
    """
    for root in roots:
        if not isinstance(root, Value):
            raise TypeError(f"topological_order: expected a Value, got {type(root).__name__}")
    consumers: dict[Value, int] = dict.fromkeys(roots, 0)
    get = consumers.get
    stack = list(consumers)
    while stack:
        for p in stack.pop()._prev:
            count = get(p)
            if count is None:
                consumers[p] = 1
                if p._prev:
                    stack.append(p)
            else:
                consumers[p] = count + 1
    order: list[Value] = []
    stack = [r for r in reversed(consumers) if consumers[r] == 0] if len(roots) > 1 else list(roots)
    while stack:
        node = stack.pop()
        order.append(node)
        for p in node._prev:
            count = consumers[p] - 1
            if count:
                consumers[p] = count
            else:
                stack.append(p)
    order.reverse()
    return order
