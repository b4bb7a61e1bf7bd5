"""``fit``: the training loop of the course, with a progress bar and a history.

One *epoch* is a pass over the whole training set; it is cut into
*batches* of ``batch_size`` samples (the last one may be smaller), and one
*iteration* is one batch: forward pass, loss, ``backward()``, optimizer
step. So an epoch has ceil(n / batch_size) iterations; ``batch_size=None``
means full-batch gradient descent (one iteration per epoch).

``fit(..., compiled=True)`` computes the same iterations through tapes
(``autograd.trace``): the model and the loss of one sample are traced once
and replayed on each batch as numpy arrays, so an epoch costs a few numpy
calls per layer instead of thousands of Python objects per sample.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from autograd import OpError, TapeCache, Value

from .data import DataLoader
from .module import Module
from .optim.lr_scheduler import ReduceLROnPlateau
from .optim.optimizer import NonFiniteStepError
from .regularization import BatchNorm1d, Dropout


class NonFiniteLossError(ArithmeticError):
    """The loss, or a step, became inf or nan; training stopped before that step was applied."""

    def __init__(self, message: str, history: dict[str, list[float]]):
        super().__init__(message)
        self.history = history


def _progress(total: int, enabled: bool) -> Any:
    if not enabled:
        return None
    from tqdm.auto import tqdm  # notebook widget in Jupyter, text bar in a terminal

    return tqdm(total=total, unit="epoch", leave=True, dynamic_ncols=True)


def fit(
    model: Module,
    loss_fn: Callable[[Any, Any], Value],
    optimizer: Any,
    data: DataLoader | tuple[Sequence, Sequence],
    epochs: int,
    batch_size: int | None = None,
    scheduler: Any = None,
    metrics: Mapping[str, Callable[[list, list], float]] | None = None,
    regularization: Callable[[], Value] | None = None,
    shuffle: bool = False,
    generator: Any = None,
    progress: bool = True,
    compiled: bool = False,
    snapshots: int | None = None,
) -> dict[str, list]:
    """Train ``model`` and return the history: per-epoch ``loss``, ``lr`` and each metric.

    ``data`` is ``(X, y)`` or a ``DataLoader``. Each iteration computes
    ``loss_fn(predictions, targets)`` (plus ``regularization()`` if given,
    e.g. ``lambda: 1e-4 * l2_penalty(model.parameters())``), zeroes the
    gradients, backpropagates and steps the optimizer. The epoch's loss is
    the mean of its batches' losses. ``scheduler.step()`` runs once per epoch
    (``ReduceLROnPlateau`` gets the epoch loss). ``metrics`` maps names to
    ``f(predictions, targets)`` over the epoch's samples. If the loss becomes
    non-finite, or a step would make a parameter non-finite (``lr=1e308``),
    training stops before applying that step and ``NonFiniteLossError``
    says where (its ``history`` holds what was done); the model stays finite.

    ``compiled=True`` trains through tapes (``autograd.TapeCache``): the same
    losses, gradients and steps to rounding, much faster on many samples. Its
    contract: the loss of a batch is the mean or the sum of per-sample losses
    ``loss_fn([model(x)], [y])``, and ``loss_fn`` says which by declaring its
    ``reduction``: the attribute of the losses of ``nn`` (``nn.MSELoss()``,
    reduction 'mean' or 'sum'), the default of the ``reduction`` keyword of
    those of ``nn.functional`` (``F.mse_loss``), or one you set on your own
    function (``my_loss.reduction = 'mean'``). A loss without one is a
    ``TypeError``, reduction 'none' a ``ValueError``; the declaration is
    checked once, on the first batch. The per-sample loss is traced once,
    with the target as an input of the tape: targets with at most 16
    distinct values (labels) enter as one indicator per label, the loss being
    sum_c [y = c] loss_fn([model(x)], [c]), so any loss works with them;
    other targets enter as Values, so the loss must accept Value targets
    (``mse_loss``, ``l1_loss``, ``huber_loss``, ``smooth_l1_loss`` and
    ``binary_cross_entropy_with_logits`` do). The model must not have
    ``Dropout``/``BatchNorm1d`` in training mode. Metrics get the predictions
    as new leaf Values.

    ``snapshots=k`` also records the model every ``k`` epochs and after the
    last: ``history["snapshots"]`` is a list of ``{"epoch": e, "state":
    model.state_dict(), "grads": {name: p.grad}}``, the gradients being those
    of the epoch's last backward pass (what ``viz.training_view`` draws).
    Without it the history has no ``"snapshots"`` key.
    """
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f"fit: epochs must be a non-negative integer, got {epochs!r}")
    if isinstance(data, DataLoader):
        loader = data
    else:
        if not (isinstance(data, (tuple, list)) and len(data) == 2):
            raise TypeError("fit: data must be (X, y) or a DataLoader")
        X, y = data
        loader = DataLoader(X, y, batch_size=batch_size or len(X), shuffle=shuffle,
                            generator=generator)
    metrics = dict(metrics or {})
    if snapshots is not None:
        if isinstance(snapshots, bool) or not isinstance(snapshots, int) or snapshots < 1:
            raise ValueError(f"fit: snapshots must be None or a positive integer (record the "
                             f"model every that many epochs), got {snapshots!r}")
        if "snapshots" in metrics:
            raise ValueError("fit: a metric named 'snapshots' would clash with the snapshots "
                             "the history records; rename the metric")
    step = _CompiledStep(model, loss_fn, loader.y) if compiled else None
    history: dict[str, list] = {"loss": [], "lr": [], **{name: [] for name in metrics}}
    if snapshots is not None:
        history["snapshots"] = []
    bar = _progress(epochs, progress)
    try:
        for epoch in range(1, epochs + 1):
            total, batches = 0.0, 0
            all_preds: list = []
            all_targets: list = []
            for i, (xb, yb) in enumerate(loader, start=1):
                loss: Value | _CompiledLoss  # both have .data and .backward()
                try:
                    if step is not None:
                        preds, loss = step(xb, yb, regularization, bool(metrics))
                    else:
                        preds = [model(x) for x in xb]
                        loss = loss_fn(preds, list(yb))
                        if regularization is not None:
                            loss = loss + regularization()
                except OpError as exc:  # the engine refused to overflow: same story, said sooner
                    raise NonFiniteLossError(
                        f"fit: the loss could not be computed at epoch {epoch}, iteration {i} "
                        f"({exc}); training stopped before this step (try a smaller learning rate)",
                        history,
                    ) from exc
                if not math.isfinite(loss.data):
                    raise NonFiniteLossError(
                        f"fit: the loss became {loss.data} at epoch {epoch}, iteration {i}; "
                        "training stopped before this step (try a smaller learning rate)",
                        history,
                    )
                optimizer.zero_grad()
                loss.backward()
                try:
                    optimizer.step()
                except NonFiniteStepError as exc:  # the optimizer refused and changed nothing
                    raise NonFiniteLossError(
                        f"fit: the step at epoch {epoch}, iteration {i} was refused, so the "
                        f"model is as it was before it ({exc})",
                        history,
                    ) from exc
                total += loss.data
                batches += 1
                if metrics:
                    all_preds.extend(preds)
                    all_targets.extend(yb)
            epoch_loss = total / max(batches, 1)
            history["loss"].append(epoch_loss)
            history["lr"].append(optimizer.param_groups[0]["lr"])
            for name, fn in metrics.items():
                history[name].append(float(fn(all_preds, all_targets)))
            if snapshots is not None and (epoch % snapshots == 0 or epoch == epochs):
                history["snapshots"].append(_snapshot(model, epoch))
            if scheduler is not None:
                if isinstance(scheduler, ReduceLROnPlateau):
                    scheduler.step(epoch_loss)
                else:
                    scheduler.step()
            if bar is not None:
                shown = {"loss": f"{epoch_loss:.4g}"}
                shown.update({n: f"{v[-1]:.4g}" for n, v in history.items()
                              if n not in ("loss", "lr", "snapshots")})
                bar.set_postfix(shown)
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    return history


def _snapshot(model: Module, epoch: int) -> dict[str, Any]:
    """The model after ``epoch``: its state and its parameters' gradients (plain floats)."""
    grads = {name: float(p.grad) for name, p in model.named_parameters()}
    return {"epoch": epoch, "state": model.state_dict(), "grads": grads}


class _CompiledLoss:
    """A batch loss computed on tapes: ``data`` and ``backward()``, all ``fit`` needs of a Value."""

    def __init__(self, data: float, parts: list, extra: Value | None) -> None:
        self.data, self._parts, self._extra = data, parts, extra

    def backward(self) -> None:
        for cache, seed in self._parts:
            cache.backward(seed)
        if self._extra is not None:
            self._extra.backward()


class _CompiledStep:
    """``fit(compiled=True)``: the loss of one sample traced once (a ``TapeCache``), replayed per batch.

    The contract (see ``fit``): ``loss_fn`` declares its ``reduction``,
    'mean' or 'sum', and the batch loss is that reduction of the per-sample
    losses ``loss_fn([model(x_s)], [y_s])``. The per-sample loss is traced
    once, the target being an input of the tape: its value(s) if the
    targets take many values, or, for labels (at most ``MAX_LABELS``
    values), one indicator input per label c, the loss being
    sum_c [y = c] loss_fn([model(x)], [c]) (exact: the other terms are 0).
    The declared reduction is checked once, on the first batch, against
    ``loss_fn`` on the scalar engine.
    """

    MAX_LABELS = 16

    def __init__(self, model: Module, loss_fn: Callable, targets: Sequence) -> None:
        for m in model.modules():
            if m.training and (isinstance(m, BatchNorm1d)
                               or (isinstance(m, Dropout) and m.p > 0)):
                raise ValueError(
                    f"fit(compiled=True): {type(m).__name__} in training mode draws random masks "
                    "or mixes the samples of a batch, which one traced sample cannot replay; "
                    "train with compiled=False"
                )
        self.model, self.loss_fn = model, loss_fn
        self.reduction = _declared_reduction(loss_fn)
        labels = list(dict.fromkeys(_key(t) for t in targets))
        self.labels = labels if len(labels) <= self.MAX_LABELS else None
        self.index = {label: c for c, label in enumerate(labels)} if self.labels else {}
        self.list_targets = isinstance(targets[0], (list, tuple))
        self.cache: TapeCache | None = None
        self.checked = False
        self.width: int | None = None  # outputs per sample (None: the model returns one Value)

    def _function(self, d: int, numbers: bool) -> Callable:
        """The per-sample loss (and the model's outputs) of the columns x_1..x_d, then targets."""
        labels = self.labels

        def f(*cols):
            x = cols[0] if numbers else list(cols[:d])
            out = self.model(x)
            self.width = len(out) if isinstance(out, (list, tuple)) else None
            outs = list(out) if isinstance(out, (list, tuple)) else [out]
            if labels is None:
                y = list(cols[d:]) if self.list_targets else cols[d]
                return [self.loss_fn([out], [y]), *outs]
            loss = None
            for indicator, label in zip(cols[d:], labels, strict=True):
                term = indicator * self.loss_fn([out], [list(label) if isinstance(label, tuple)
                                                        else label])
                loss = term if loss is None else loss + term
            return [loss, *outs]

        return f

    def _targets(self, yb: Sequence, n: int) -> np.ndarray:
        """The target columns of a batch: indicators of the labels, or the targets themselves."""
        if self.labels is None:
            return np.asarray(yb, dtype=float).reshape(n, -1)
        T = np.zeros((n, len(self.labels)))
        for s, t in enumerate(yb):
            c = self.index.get(_key(t))
            if c is None:
                raise ValueError(f"fit(compiled=True): target {t!r} of this batch is none of the "
                                 f"labels of the training set ({self.labels})")
            T[s, c] = 1.0
        return T

    def __call__(self, xb: Sequence, yb: Sequence, regularization: Callable | None,
                 want_preds: bool) -> tuple[list, _CompiledLoss]:
        X = np.asarray(xb, dtype=float)
        if X.shape[:1] == (0,):
            raise ValueError(
                f"fit(compiled=True): got an empty batch (inputs of shape {X.shape}); the loss "
                "tape has no sample to reduce, so there is no loss"
            )
        numbers = X.ndim == 1
        X = X.reshape(len(xb), -1)
        n, d = X.shape
        if self.cache is None:
            self.cache = TapeCache(self._function(d, numbers))
        try:
            values = self.cache.forward(np.hstack([X, self._targets(yb, n)])).reshape(n, -1)
        except TypeError as exc:
            if self.labels is not None:
                raise
            raise TypeError(
                f"fit(compiled=True): the targets take more than {self.MAX_LABELS} values, "
                f"so they are inputs of the tape (Values), and the loss refused them: {exc}"
            ) from exc
        losses = values[:, 0]
        if not self.checked:
            self._check_reduction(xb, yb, losses)
        mean = self.reduction == "mean"
        total = float(np.sum(losses))
        if mean and n > 1:
            total /= n  # as the losses of nn do: (l_1 + ... + l_n) / n
        seed = np.zeros(values.shape[1])
        seed[0] = 1.0 / n if mean and n > 1 else 1.0
        extra = regularization() if regularization is not None else None
        if extra is not None:
            total += extra.data
        loss = _CompiledLoss(total, [(self.cache, seed)], extra)
        preds: list = []
        if want_preds:
            outs = values[:, 1:].tolist()
            preds = ([Value(row[0]) for row in outs] if self.width is None
                     else [[Value(v) for v in row] for row in outs])
        return preds, loss

    def _check_reduction(self, xb: Sequence, yb: Sequence, losses: np.ndarray) -> None:
        """The declared reduction, checked once: loss_fn on the first samples, by the scalar engine."""
        m = min(len(xb), 3)
        reference = self.loss_fn([self.model(x) for x in xb[:m]], list(yb[:m])).data
        total = float(np.sum(losses[:m]))
        expected = total / m if self.reduction == "mean" and m > 1 else total
        if not abs(reference - expected) <= 1e-9 * (1.0 + abs(reference)):
            raise ValueError(
                "fit(compiled=True): the loss of a batch must be the mean or the sum of the losses "
                f"of its samples, as its reduction {self.reduction!r} says; loss_fn gives "
                f"{reference!r} for {m} samples whose own losses add up to {total!r}"
            )
        self.checked = True


def _declared_reduction(loss_fn: Callable) -> str:
    """'mean' or 'sum': the loss's ``reduction`` attribute, or its ``reduction`` keyword's default.

    The losses of ``nn`` (``nn.MSELoss()``) have the attribute, those of
    ``nn.functional`` (``F.mse_loss``) the keyword. Anything else is refused:
    a compiled fit cannot tell how a batch loss is made of per-sample losses.
    """
    reduction = getattr(loss_fn, "reduction", None)
    if reduction is None:
        try:
            parameter = inspect.signature(loss_fn).parameters.get("reduction")
        except (TypeError, ValueError):  # a builtin or a callable without a signature
            parameter = None
        if parameter is not None and parameter.default is not inspect.Parameter.empty:
            reduction = parameter.default
    if reduction is None:
        raise TypeError(
            f"fit(compiled=True): the loss {getattr(loss_fn, '__name__', loss_fn)!r} declares no "
            "reduction, so the batch loss cannot be split into per-sample losses. Declare it: "
            "set loss_fn.reduction = 'mean' (or 'sum') if the loss of a batch is the mean (or "
            "the sum) of its samples' losses, use a loss of nn (nn.MSELoss(), ...), or train "
            "with compiled=False"
        )
    if reduction not in ("mean", "sum"):
        raise ValueError(
            f"fit(compiled=True): the loss's reduction must be 'mean' or 'sum' (one number per "
            f"batch), got {reduction!r}"
        )
    return str(reduction)


def _key(target: Any) -> Any:
    """A target as a dictionary key: lists become tuples."""
    return tuple(target) if isinstance(target, (list, tuple)) else target


def accuracy(predictions: list, targets: list, threshold: float | None = None) -> float:
    """Share of samples classified right.

    A list of scores per sample is right when its argmax is the target class.
    A single score is right when it falls on the target's side of
    ``threshold``: 0 for ±1 targets (micrograd's demo), 0.5 for 0/1 targets
    (probabilities; pass ``threshold=0.0`` for logits).
    """
    if len(predictions) != len(targets):
        raise ValueError(f"accuracy: {len(predictions)} predictions but {len(targets)} targets")
    if not targets:
        return 0.0
    right = 0
    if threshold is None:
        threshold = 0.0 if any(t == -1 for t in targets) else 0.5
    for p, t in zip(predictions, targets, strict=True):
        if isinstance(p, (list, tuple)):
            scores = [v.data if isinstance(v, Value) else v for v in p]
            right += scores.index(max(scores)) == t
        else:
            s = p.data if isinstance(p, Value) else p
            right += (s > threshold) == (t > threshold)
    return right / len(targets)
