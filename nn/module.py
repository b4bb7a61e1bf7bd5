"""``Module``: the base class of every layer, activation and loss with state.

A module's parameters are the ``Value`` s it holds in its attributes: directly
(``self.b``), in lists or tuples (``self.w[3]``), or inside child modules,
also in lists (``self.layers[0]``). They are found by walking the
attributes in the order they were assigned, so ``named_parameters()`` gives
stable dotted names such as ``layers.0.neurons.3.w.1`` (micrograd's MLP),
which the viz package uses to group a drawing by module.

Mirrors ``torch.nn.Module`` where the concept is the same: ``parameters``,
``named_parameters``, ``children``, ``modules``, ``apply``, ``zero_grad``,
``train`` / ``eval`` (the ``training`` flag), ``state_dict`` /
``load_state_dict``. Calling a module with a numpy array passes it on as
nested lists (``X.tolist()``), so ``model(X)`` takes a batch of shape
``(n, features)`` as PyTorch code passes one.
Buffers (running statistics, not learned) are attributes listed in
``_buffers``; they go into ``state_dict`` but not into ``parameters``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

import numpy as np

from autograd import Value

if TYPE_CHECKING:
    from typing_extensions import Self  # typing.Self is Python 3.11+

# (module, output) of each call, while nn.summary listens: per thread/task, so that a summary
# never collects the calls of a model running elsewhere at the same time.
_call_log: ContextVar[list[tuple[Module, Any]] | None] = ContextVar("nn_call_log", default=None)


class Module:
    """Base class: subclasses set parameters and submodules as attributes and define ``forward``."""

    training: bool = True
    _buffers: tuple[str, ...] = ()
    _init_args: tuple[tuple[Any, ...], dict[str, Any]]

    def __new__(cls, *args: Any, **kwargs: Any) -> Self:
        self = super().__new__(cls)
        # the constructor's arguments, so nn.save can record how to rebuild the model
        self._init_args = (args, kwargs)
        return self

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        for a in args:
            if isinstance(a, np.ndarray):  # a batch as PyTorch code passes it: nested lists here
                args = tuple(x.tolist() if isinstance(x, np.ndarray) else x for x in args)
                break
        out = self.forward(*args, **kwargs)
        log = _call_log.get()
        if log is not None:  # nn.summary is listening
            log.append((self, out))
        return out

    # --- walking the tree -------------------------------------------------------------------
    def _members(self) -> Iterator[tuple[str, Any]]:
        for name, value in vars(self).items():
            if not name.startswith("_") and name != "training":
                yield name, value

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """Direct submodules with their names (``layers.0`` for one inside a list)."""
        for name, value in self._members():
            if isinstance(value, Module):
                yield name, value
            elif isinstance(value, (list, tuple)):
                for i, item in enumerate(value):
                    if isinstance(item, Module):
                        yield f"{name}.{i}", item

    def children(self) -> Iterator[Module]:
        for _, child in self.named_children():
            yield child

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """This module and every module below it, depth-first, with dotted names ('' for self)."""
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            yield name, module
            kids = [(f"{name}.{n}" if name else n, m) for n, m in module.named_children()]
            stack.extend(reversed(kids))

    def modules(self) -> Iterator[Module]:
        for _, module in self.named_modules():
            yield module

    def _own_parameters(self) -> Iterator[tuple[str, Value]]:
        for name, value in self._members():
            if name in self._buffers:
                continue
            if isinstance(value, Value):
                yield name, value
            elif isinstance(value, (list, tuple)):
                for i, item in enumerate(value):
                    if isinstance(item, Value):
                        yield f"{name}.{i}", item
                    elif isinstance(item, (list, tuple)):
                        for j, inner in enumerate(item):
                            if isinstance(inner, Value):
                                yield f"{name}.{i}.{j}", inner

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Value]]:
        """Every parameter with its dotted name, each once, in the order the attributes were set."""
        seen: set[Value] = set()
        for mod_name, module in self.named_modules(prefix):
            for name, p in module._own_parameters():
                if p not in seen:
                    seen.add(p)
                    yield (f"{mod_name}.{name}" if mod_name else name), p

    def parameters(self) -> list[Value]:
        """Every parameter, as a list (micrograd returns a list too)."""
        return [p for _, p in self.named_parameters()]

    def num_parameters(self) -> int:
        return len(self.parameters())

    # --- training state -----------------------------------------------------------------------
    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call ``fn`` on every submodule and then on this module; returns this module.

        The order is PyTorch's: children before their parent, depth first,
        each child's subtree in the order the children were assigned (so
        ``model.apply(init_weights)`` initialises layer by layer). A module
        that appears twice in the tree is visited twice, as in PyTorch.
        """
        if not callable(fn):
            raise TypeError(f"apply: fn must be callable, got {type(fn).__name__}")
        order, stack = [], [self]
        while stack:  # parent first, children pushed in order, so the reverse is post-order
            module = stack.pop()
            order.append(module)
            stack.extend(module.children())
        for module in reversed(order):
            fn(module)
        return self

    def zero_grad(self, set_to_none: bool = False) -> None:
        """Reset every parameter's gradient (gradients accumulate otherwise).

        ``set_to_none=False`` (our default) sets each ``grad`` to 0.0.
        ``set_to_none=True`` sets it to ``None``, PyTorch's semantics (and
        PyTorch's default): the next ``backward()`` writes the gradients
        fresh, optimizers skip a parameter whose ``grad`` is still ``None``
        and clipping ignores it. Our default stays 0.0 because the rest of the
        library (drawings, tapes, ``nn.fit``'s history) reads ``grad`` as a
        number; the two agree whenever every parameter gets a gradient.
        """
        if not isinstance(set_to_none, bool):
            raise TypeError(f"zero_grad: set_to_none must be True or False, got {set_to_none!r}")
        for p in self.parameters():
            p.grad = None if set_to_none else 0.0

    def train(self, mode: bool = True) -> Module:
        """Set training mode on this module and all below it (Dropout and BatchNorm read it)."""
        for module in self.modules():
            module.training = bool(mode)
        return self

    def eval(self) -> Module:
        """Evaluation mode: ``train(False)``."""
        return self.train(False)

    # --- state dicts --------------------------------------------------------------------------
    def _named_buffers(self) -> Iterator[tuple[str, Any]]:
        for mod_name, module in self.named_modules():
            for name in module._buffers:
                yield (f"{mod_name}.{name}" if mod_name else name), getattr(module, name)

    def state_dict(self) -> dict[str, float]:
        """Parameter and buffer values by dotted name, as plain floats (a copy)."""
        state = {name: p.data for name, p in self.named_parameters()}
        for name, value in self._named_buffers():
            if isinstance(value, (list, tuple)):
                for i, v in enumerate(value):
                    state[f"{name}.{i}"] = float(v)
            else:
                state[name] = float(value)
        return state

    def load_state_dict(self, state: Mapping[str, float], strict: bool = True) -> None:
        """Set parameters and buffers from ``state``; all-or-nothing.

        Every key and value is checked before anything is written, so a
        mismatched or corrupted state leaves the module as it was. With
        ``strict`` (the default), missing and unexpected keys are errors.
        """
        if not isinstance(state, Mapping):
            raise TypeError(f"load_state_dict: expected a mapping, got {type(state).__name__}")
        params = dict(self.named_parameters())
        buffers = self._buffer_slots()
        expected = set(params) | set(buffers)
        missing = sorted(expected - set(state))
        unexpected = sorted(set(state) - expected)
        if strict and (missing or unexpected):
            raise KeyError(
                f"load_state_dict: state does not match {type(self).__name__}: "
                f"missing {missing[:5]}{'...' if len(missing) > 5 else ''}, "
                f"unexpected {unexpected[:5]}{'...' if len(unexpected) > 5 else ''}"
            )
        values = {}
        for key in expected & set(state):
            v = state[key]
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise ValueError(f"load_state_dict: {key} must be a finite number, got {v!r}")
            values[key] = float(v)
        for key, v in values.items():
            if key in params:
                params[key].data = v
            else:
                module, attr, index = buffers[key]
                old = getattr(module, attr) if index is None else getattr(module, attr)[index]
                if isinstance(old, int) and v.is_integer():  # counters stay ints
                    v = int(v)
                if index is None:
                    setattr(module, attr, v)
                else:
                    getattr(module, attr)[index] = v

    def _buffer_slots(self) -> dict[str, tuple[Module, str, int | None]]:
        slots: dict[str, tuple[Module, str, int | None]] = {}
        for mod_name, module in self.named_modules():
            for attr in module._buffers:
                name = f"{mod_name}.{attr}" if mod_name else attr
                value = getattr(module, attr)
                if isinstance(value, list):
                    for i in range(len(value)):
                        slots[f"{name}.{i}"] = (module, attr, i)
                else:
                    slots[name] = (module, attr, None)
        return slots

    # --- printing -----------------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The arguments shown inside ``Name(...)``; subclasses override it."""
        return ""

    def __repr__(self) -> str:
        kids = list(self.named_children())
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not kids:
            return head + ")"
        lines = [head]
        for name, child in kids:
            text = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {text}")
        return "\n".join(lines) + "\n)"
