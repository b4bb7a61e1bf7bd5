"""``summary``: a table of a model's layers, output sizes and parameter counts."""

from __future__ import annotations

from typing import Any

from autograd import Value, no_grad

from . import module as module_state
from .module import Module


def _size(out: Any) -> int:
    if isinstance(out, Value):
        return 1
    if isinstance(out, (list, tuple)):
        return sum(_size(o) for o in out)
    return 0


def summary(model: Module, input_size: int, file: Any = None) -> dict[str, Any]:
    """Run one sample of ``input_size`` zeros through ``model`` and print a row per layer.

    The rows are the model's direct children (the layers of an ``MLP`` or a
    ``Sequential``), in the order they were called, each with its dotted name,
    type, output size and number of parameters (everything below it). A model
    without children is its own single row. Returns
    ``{"layers": [(name, type, output size, parameters), ...], "total_params": n}``.
    """
    if not isinstance(model, Module):
        raise TypeError(f"summary: expected a Module, got {type(model).__name__}")
    if isinstance(input_size, bool) or not isinstance(input_size, int) or input_size < 1:
        raise ValueError(f"summary: input_size must be a positive integer, got {input_size!r}")
    children = {id(m): name for name, m in model.named_children()}
    log: list = []
    token = module_state._call_log.set(log)  # this call's log, in this thread only
    try:
        with no_grad():
            model([0.0] * input_size)
    finally:
        module_state._call_log.reset(token)
    rows = []
    seen: set[int] = set()
    for m, out in log:
        if id(m) in children and id(m) not in seen:
            seen.add(id(m))
            rows.append((children[id(m)], type(m).__name__, _size(out), m.num_parameters()))
    if not rows:  # a model without children (a lone Neuron or Linear) is its own row
        rows.append(("", type(model).__name__, _size(log[-1][1]), model.num_parameters()))
    total = model.num_parameters()
    width = max([len("layer")] + [len(r[0]) for r in rows])
    lines = [f"{'layer':<{width}}  {'type':<14} {'output':>7} {'params':>7}",
             "-" * (width + 32)]
    lines += [f"{n:<{width}}  {t:<14} {o:>7} {p:>7}" for n, t, o, p in rows]
    lines += ["-" * (width + 32), f"total parameters: {total}"]
    print("\n".join(lines), file=file)
    return {"layers": rows, "total_params": total}
