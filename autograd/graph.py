"""Walking a recorded graph: the topological order every sweep uses.

No recursion anywhere: a graph a million nodes deep is walked with an
explicit stack, so Python's recursion limit never matters. The order is a
function of the graph alone (parents are visited in argument order), so the
same graph always gives the same order, the same node numbers and the same
drawing.
"""

from __future__ import annotations

from .value import Value


class Order(list):
    """A topological order (a ``list``), noting the first stale edge met on the way.

    ``stale`` is ``(node, parent)`` for the first edge whose parent's ``.data``
    was assigned after ``node`` was made from it, or None: ``backward``
    refuses such a graph (``VersionError``); drawings and other walks ignore it.
    """

    stale: tuple[Value, Value] | None = None


def topological_order(*roots: Value) -> list[Value]:
    """Every node the roots depend on, each after all of its parents; roots come last.

    Kahn's algorithm, run from the outputs: a first walk counts each node's
    consumers, then a node is emitted once all of its consumers have been,
    which gives the order the backward sweep needs; it is returned reversed
    (inputs first). Each node appears once, however often it is reused.
    Two flat loops with one dict: unlike a depth-first stack of iterators,
    nothing per node is allocated, so a million-node chain does not wake
    Python's garbage collector over and over.

    The list returned is an ``Order``: on the way it notes, in ``stale``, an
    edge whose parent's data was assigned after the edge was made.
    """
    for root in roots:
        if not isinstance(root, Value):
            raise TypeError(f"topological_order: expected a Value, got {type(root).__name__}")
    consumers: dict[Value, int] = dict.fromkeys(roots, 0)
    get = consumers.get
    stack = list(consumers)
    stale = None
    while stack:
        node = stack.pop()
        version = node._version
        for p in node._prev:
            if p._version > version and stale is None:  # version stamps: see autograd.value
                stale = (node, p)
            count = get(p)
            if count is None:
                consumers[p] = 1
                if p._prev:
                    stack.append(p)
            else:
                consumers[p] = count + 1
    order = Order()
    order.stale = stale
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
