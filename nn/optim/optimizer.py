"""``Optimizer``: the base class of every optimizer, as ``torch.optim.Optimizer``.

An optimizer holds ``param_groups``: a list of dicts, each with ``'params'``
(a list of ``Value`` leaves) and the hyperparameters for those parameters
(``'lr'``, ``'momentum'``, ...); a key a group does not give comes from the
optimizer's ``defaults``. So one optimizer can train a network's biases
with one learning rate and its weights with another.

``step()`` reads every parameter's ``grad`` and writes its ``data``. Both are
plain floats, so an update builds no graph. What an optimizer remembers about
a parameter between steps (a momentum buffer, running averages, the step
count ``t``) lives in ``state``, a dict keyed by the parameter itself
(Values hash by identity).

Training must not destroy the model. Hyperparameters must be finite numbers
in their ranges (PyTorch's checks, e.g. ``lr >= 0``, ``0 <= beta < 1``, plus
finiteness, which PyTorch does not check); they are checked when an
optimizer is made, when a group is added or loaded, and again at every
``step()``, which so also sees edits of ``param_groups``. A step is
all-or-nothing: every new value is computed first, and if one would be inf
or nan (a parameter or a number in ``state``) ``step()`` raises
``NonFiniteStepError`` naming that parameter and changes nothing.

``state_dict()`` swaps each parameter for its position in the order the
groups list them (0, 1, 2, ... across the groups), as PyTorch does. The
result holds only numbers, strings, booleans, lists, tuples and dicts, so
``json.dumps`` can write it. ``load_state_dict()`` maps those positions back
onto this optimizer's parameters: create the optimizer the same way, then
load, and training continues as if it had never stopped.
"""

from __future__ import annotations

import copy
import math
import numbers
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import Any, cast

from autograd import Value, enable_grad

ParamsT = Iterable[Value] | Iterable[tuple[str, Value]] | Iterable[Mapping[str, Any]]
"""What an optimizer accepts as ``params``: Values, ``(name, Value)`` pairs, or group dicts."""

_UNORDERED = (
    "{name}: parameters must be given in an ordered collection (a list), not a set: "
    "the order of a set changes between runs, and state_dict() numbers them in order"
)


class NonFiniteStepError(ArithmeticError):
    """A step would have written inf or nan into a parameter or its state; nothing was changed.

    ``group`` and ``index`` locate the parameter (its position in
    ``param_groups[group]['params']``), ``name`` is its name when the
    optimizer was given names (``module.named_parameters()``) or its label,
    else None; ``key`` is ``'data'`` or the state entry that went bad and
    ``value`` what it would have become.
    """

    def __init__(self, message: str, group: int, index: int, name: str | None, key: str,
                 value: float) -> None:
        super().__init__(message)
        self.group, self.index, self.name, self.key, self.value = group, index, name, key, value


class Optimizer:
    """Base class: holds ``param_groups``, ``defaults``, ``state``; subclasses define ``_update``.

    ``params`` is an iterable of Values (one group), of ``(name, Value)``
    pairs such as ``module.named_parameters()`` (one group that also records
    ``'param_names'``), or of dicts, one per group, each with ``'params'``
    and any hyperparameters that differ from ``defaults``.
    """

    def __init__(self, params: ParamsT, defaults: dict[str, Any]) -> None:
        name = type(self).__name__
        if isinstance(params, Value):
            raise TypeError(
                f"{name}: params should be an iterable of Values or of dicts, "
                "got a single Value; pass [value]"
            )
        if isinstance(params, (set, frozenset)):
            raise TypeError(_UNORDERED.format(name=name))
        if isinstance(params, (Mapping, str)) or not isinstance(params, Iterable):
            raise TypeError(
                f"{name}: params should be an iterable of Values or of dicts, "
                f"got {type(params).__name__}"
            )
        self._check_group(defaults)
        self.defaults = dict(defaults)
        self.state: defaultdict[Value, dict[str, float]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        groups: list[Any] = list(params)  # add_param_group checks each
        if not groups:
            raise ValueError(f"{name}: got an empty parameter list")
        if not isinstance(groups[0], Mapping):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # --- what subclasses define ---------------------------------------------------------------
    def _validate(self, group: Mapping[str, Any]) -> None:
        """Raise if a hyperparameter in ``group`` is out of range (subclasses check their own)."""

    def _update(self, p: Value, group: dict[str, Any]) -> tuple[float, dict[str, float]]:
        """``(new data, new state)`` of one parameter ``p`` of ``group``, from ``p.grad``.

        Subclasses define the rule. It must change nothing (neither ``p`` nor
        ``self.state``): ``step()`` checks what it returns for every
        parameter before it writes any of it.
        """
        raise NotImplementedError(f"{type(self).__name__} does not define _update()")

    def _check_group(self, group: Mapping[str, Any]) -> None:
        """``_validate`` plus the keys every optimizer shares (``initial_lr``, set by schedulers)."""
        self._validate(group)
        if "initial_lr" in group:
            self._check_nonnegative(group, "initial_lr")

    # --- the training loop --------------------------------------------------------------------
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every parameter; returns what ``closure`` returned (else None).

        ``closure``, if given, is called first (with gradients enabled): it
        should zero the gradients, recompute the loss, call ``backward()`` and
        return the loss.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for i, group in enumerate(self.param_groups):
            try:  # param_groups may have been edited since the last step
                self._check_group(group)
            except (TypeError, ValueError) as exc:
                raise type(exc)(
                    f"{exc}; found in param_groups[{i}] at step(), which changed nothing"
                ) from None
        updates = []
        for i, group in enumerate(self.param_groups):
            for j, p in enumerate(group["params"]):
                if p.grad is None:  # zero_grad(set_to_none=True) and no backward since: skipped
                    continue
                updates.append((p, *self._checked_update(p, group, i, j)))
        for p, data, state in updates:
            p.data = data
            if state or p in self.state:
                self.state[p] = state
        return loss

    def _checked_update(self, p: Value, group: dict[str, Any], i: int,
                        j: int) -> tuple[float, dict[str, float]]:
        """``_update(p, group)``, refused with ``NonFiniteStepError`` if anything becomes inf or nan."""
        try:
            result = self._update(p, group)
        except ArithmeticError as exc:  # x / 0 or an overflow in the rule: no finite update
            failed = True
            bad: tuple[str, float] = ("data", math.nan)
            reason = f"its update failed ({type(exc).__name__}: {exc})"
        else:
            if not (isinstance(result, tuple) and len(result) == 2
                    and isinstance(result[1], dict)):
                raise TypeError(
                    f"{type(self).__name__}._update must return (new data, new state dict), "
                    f"got {type(result).__name__}"
                )
            data, state = result
            found = None if math.isfinite(data) else ("data", data)
            for key, value in state.items():
                if found is None and not math.isfinite(value):
                    found = (key, value)
            if found is None:
                return data, state
            failed, bad = False, found
            what = "it" if bad[0] == "data" else f"its state[{bad[0]!r}]"
            reason = f"{what} would become {bad[1]!r}"
        names = group.get("param_names")
        name = names[j] if names else (p.label or None)
        shown = f" ({name!r})" if name else ""
        grad = p.grad
        if not math.isfinite(grad):
            hint = "; the gradient itself is not finite"
        elif bad[0] == "data" and not failed:
            hint = f", lr {group['lr']!r}; try a smaller learning rate"
        else:
            hint = ""
        raise NonFiniteStepError(
            f"{type(self).__name__}.step: parameter {j} of param_groups[{i}]{shown}: {reason} "
            f"(data {p.data!r}, grad {grad!r}{hint}). The step was not applied: "
            "no parameter and no optimizer state changed",
            i, j, name, bad[0], bad[1],
        )

    def zero_grad(self, set_to_none: bool = False) -> None:
        """Reset every parameter's gradient (gradients accumulate otherwise).

        ``set_to_none=False`` (our default) sets each ``grad`` to 0.0;
        ``set_to_none=True`` sets it to ``None`` as PyTorch does by default:
        the next ``backward()`` writes the gradient fresh, and ``step()``
        leaves a parameter whose ``grad`` is still ``None`` alone (no weight
        decay, no momentum, no change to its state), as PyTorch does. See
        ``Module.zero_grad`` for why our default differs.
        """
        if not isinstance(set_to_none, bool):
            raise TypeError(f"{type(self).__name__}.zero_grad: set_to_none must be True or False, "
                            f"got {set_to_none!r}")
        for group in self.param_groups:
            for p in group["params"]:
                p.grad = None if set_to_none else 0.0

    def add_param_group(self, param_group: Mapping[str, Any]) -> None:
        """Add a group of parameters with its own hyperparameters (missing ones from ``defaults``).

        The dict is copied, not changed. A parameter may belong to one group
        only, and only once.
        """
        name = type(self).__name__
        if not isinstance(param_group, Mapping):
            raise TypeError(
                f"{name}: a parameter group must be a dict, got {type(param_group).__name__}"
            )
        if "params" not in param_group:
            raise ValueError(f"{name}: a parameter group needs a 'params' entry")
        group = dict(param_group)
        items = group["params"]
        if isinstance(items, Value):
            items = [items]
        elif isinstance(items, (set, frozenset)):
            raise TypeError(_UNORDERED.format(name=name))
        elif isinstance(items, (str, Mapping)) or not isinstance(items, Iterable):
            raise TypeError(
                f"{name}: a group's 'params' must be an iterable of Values, "
                f"got {type(items).__name__}"
            )
        params: list[Value] = []
        names: list[str] = []
        for item in items:
            if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str):
                names.append(item[0])
                item = item[1]
            if not isinstance(item, Value):
                raise TypeError(
                    f"{name}: can only optimize Values, "
                    f"but one of the params is {type(item).__name__}"
                )
            if item._prev:
                raise ValueError(
                    f"{name}: can't optimize a non-leaf Value ({item!r}): "
                    "optimize the leaves it was computed from"
                )
            params.append(item)
        if names and len(names) != len(params):
            raise ValueError(f"{name}: either every parameter in a group has a name or none does")
        if len(set(params)) != len(params):
            raise ValueError(f"{name}: a parameter group lists the same parameter twice")
        for other in self.param_groups:
            if ("param_names" in other) != bool(names):
                raise ValueError(
                    f"{name}: all parameter groups must be given with names or all without"
                )
            if not set(other["params"]).isdisjoint(params):
                raise ValueError(f"{name}: some parameters appear in more than one parameter group")
        group["params"] = params
        if names:
            group["param_names"] = names
        for key, default in self.defaults.items():
            group.setdefault(key, default)
        self._check_group(group)
        self.param_groups.append(group)

    # --- saving and resuming ------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """``{'state': {index: {...}}, 'param_groups': [{..., 'params': [index, ...]}]}``, a copy.

        ``index`` is a parameter's position counting across the groups in
        order, as in PyTorch; the state itself is plain floats.
        """
        index: dict[Value, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {key: copy.deepcopy(v) for key, v in group.items() if key != "params"}
            packed["params"] = [index.setdefault(p, len(index)) for p in group["params"]]
            groups.append(packed)
        state = {index[p]: dict(s) for p, s in self.state.items() if p in index}
        return {"state": dict(sorted(state.items())), "param_groups": groups}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore hyperparameters and state from ``state_dict()`` (also after a JSON round trip).

        The groups must have as many parameters as the saved ones, in the same
        order. Everything is checked before anything changes, so a mismatched
        or corrupted state leaves the optimizer as it was.
        """
        name = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"{name}: expected a dict, got {type(state_dict).__name__}")
        saved_groups = state_dict.get("param_groups")
        saved_state = state_dict.get("state")
        if not isinstance(saved_groups, list) or not isinstance(saved_state, Mapping):
            raise TypeError(
                f"{name}: expected a dict with 'state' (a dict) and 'param_groups' (a list)"
            )
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"{name}: the saved state has {len(saved_groups)} parameter groups, "
                f"this optimizer has {len(self.param_groups)}"
            )
        owner: dict[int, Value] = {}
        groups = []
        for i, (group, saved) in enumerate(zip(self.param_groups, saved_groups, strict=True)):
            ids = saved.get("params") if isinstance(saved, Mapping) else None
            if not isinstance(ids, list) or len(ids) != len(group["params"]):
                raise ValueError(
                    f"{name}: saved parameter group {i} does not match this optimizer's group "
                    f"of {len(group['params'])} parameters"
                )
            for key, p in zip(ids, group["params"], strict=True):
                owner[_index(key, name)] = p
            new = {key: _restored(v, group.get(key)) for key, v in saved.items() if key != "params"}
            for key, value in group.items():
                new.setdefault(key, value)
            new["params"] = group["params"]
            self._check_group(new)
            groups.append(new)
        state: defaultdict[Value, dict[str, float]] = defaultdict(dict)
        for key, entry in saved_state.items():
            index = _index(key, name)
            if index not in owner:
                raise ValueError(f"{name}: state for parameter {key!r}, which no group lists")
            if not isinstance(entry, Mapping):
                raise TypeError(f"{name}: state for parameter {key!r} must be a dict")
            values = {}
            for k, v in entry.items():
                if isinstance(v, bool) or not isinstance(v, numbers.Real) or not math.isfinite(v):
                    raise ValueError(
                        f"{name}: state[{key!r}][{k!r}] must be a finite number, got {v!r}"
                    )
                values[str(k)] = float(v)
            state[owner[index]] = values
        self.state = state
        self.param_groups = groups

    # --- printing -----------------------------------------------------------------------------
    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {key}: {group[key]}" for key in sorted(group) if key != "params"]
        return "\n".join(lines) + "\n)"

    # --- checks for subclasses' _validate -----------------------------------------------------
    def _check_real(self, group: Mapping[str, Any], key: str) -> float:
        """``group[key]`` if it is a finite real number; else TypeError or ValueError naming it."""
        value = group[key]
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(
                f"{type(self).__name__}: {key} must be a real number, "
                f"got {type(value).__name__} {value!r}"
            )
        if not math.isfinite(value):
            raise ValueError(f"{type(self).__name__}: invalid {key}={value!r} (must be finite)")
        return cast(float, value)  # kept as given (an int stays an int); any Real does as a float

    def _check_nonnegative(self, group: Mapping[str, Any], *keys: str) -> None:
        for key in keys:
            if self._check_real(group, key) < 0.0:
                raise ValueError(
                    f"{type(self).__name__}: invalid {key}={group[key]!r} (must be >= 0)"
                )

    def _check_flags(self, group: Mapping[str, Any], *keys: str) -> None:
        for key in keys:
            if not isinstance(group[key], bool):
                raise TypeError(
                    f"{type(self).__name__}: {key} must be True or False, got {group[key]!r}"
                )


def _index(key: Any, where: str) -> int:
    """A parameter index from a state dict: an int, or its digits after a JSON round trip."""
    if isinstance(key, int) and not isinstance(key, bool):
        return key
    if isinstance(key, str) and key.isdigit():
        return int(key)
    raise ValueError(f"{where}: parameter indices must be ints, got {key!r}")


def _restored(saved: Any, current: Any) -> Any:
    """A copy of a saved hyperparameter; a list becomes a tuple where the group has one (betas)."""
    if isinstance(current, tuple) and isinstance(saved, list):
        return tuple(saved)
    return copy.deepcopy(saved)


def lerp(start: float, end: float, weight: float) -> float:
    """``start + weight (end - start)``, evaluated as ``torch.lerp`` does.

    For ``weight >= 0.5`` it is computed from the far end,
    ``end - (end - start)(1 - weight)``, which is exact at ``weight = 1``;
    the two forms differ only in rounding.
    """
    if abs(weight) < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (1.0 - weight)
