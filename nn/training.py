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
    losses, gradients and steps to rounding, much faster on many samples. It
    needs a loss that is the mean or the sum of per-sample losses (every loss
    of ``nn`` with reduction 'mean' or 'sum') and a model without
    ``Dropout``/``BatchNorm1d`` in training mode. Targets with at most 16
    distinct values (class labels) are constants of one tape each; other
    targets are inputs of the tape, so the loss must accept Value targets
    (``mse_loss``, ``l1_loss``, ``huber_loss``, ``smooth_l1_loss`` and
    ``binary_cross_entropy_with_logits`` do). Metrics get the predictions as
    new leaf Values.

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
    """``fit(compiled=True)``: the loss of one sample traced (a ``TapeCache``), replayed per batch.

    The batch loss is reduce_s loss_fn([model(x_s)], [y_s]) with reduce the
    mean or the sum, which holds for every loss of ``nn`` and is checked on
    the first batch against ``loss_fn`` on the whole (first few) samples.
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
        self.labels = len({_key(t) for t in targets}) <= self.MAX_LABELS
        self.list_targets = isinstance(targets[0], (list, tuple))
        self.caches: dict[Any, TapeCache] = {}
        self.reduction: str | None = getattr(loss_fn, "reduction", None)
        self.width: int | None = None  # outputs per sample (None: the model returns one Value)

    def _function(self, label: Any, d: int, numbers: bool) -> Callable:
        def f(*cols):
            x = cols[0] if numbers else list(cols[:d])
            if label is _COLUMNS:
                y = list(cols[d:]) if self.list_targets else cols[d]
            else:
                y = list(label) if isinstance(label, tuple) else label
            out = self.model(x)
            self.width = len(out) if isinstance(out, (list, tuple)) else None
            outs = list(out) if isinstance(out, (list, tuple)) else [out]
            return [self.loss_fn([out], [y]), *outs]

        return f

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
        if self.labels:
            groups: dict[Any, list[int]] = {}
            for s, t in enumerate(yb):
                groups.setdefault(_key(t), []).append(s)
            work = [(label, np.array(rows), X[rows]) for label, rows in groups.items()]
        else:
            Y = np.asarray(yb, dtype=float).reshape(n, -1)
            work = [(_COLUMNS, np.arange(n), np.hstack([X, Y]))]
        values = None
        parts = []
        for label, rows, data in work:
            cache = self.caches.get(label)
            if cache is None:
                cache = self.caches[label] = TapeCache(self._function(label, d, numbers))
            try:
                out = cache.forward(data).reshape(len(rows), -1)
            except TypeError as exc:
                if label is not _COLUMNS:
                    raise
                raise TypeError(
                    f"fit(compiled=True): the targets take more than {self.MAX_LABELS} values, "
                    f"so they are inputs of the tape (Values), and the loss refused them: {exc}"
                ) from exc
            if values is None:
                values = np.empty((n, out.shape[1]))
            values[rows] = out
            parts.append((cache, rows))
        losses = values[:, 0]
        if self.reduction is None and n >= 2:
            self.reduction = self._find_reduction(xb, yb, losses)
        mean = self.reduction != "sum"
        total = float(np.sum(losses))
        if mean and n > 1:
            total /= n  # as the losses of nn do: (l_1 + ... + l_n) / n
        seed = np.zeros(values.shape[1])
        seed[0] = 1.0 / n if mean and n > 1 else 1.0
        extra = regularization() if regularization is not None else None
        if extra is not None:
            total += extra.data
        loss = _CompiledLoss(total, [(cache, seed) for cache, _ in parts], extra)
        preds: list = []
        if want_preds:
            outs = values[:, 1:].tolist()
            preds = ([Value(row[0]) for row in outs] if self.width is None
                     else [[Value(v) for v in row] for row in outs])
        return preds, loss

    def _find_reduction(self, xb: Sequence, yb: Sequence, losses: np.ndarray) -> str:
        """'mean' or 'sum': how loss_fn reduces, from the scalar engine on the first samples."""
        m = min(len(xb), 3)
        reference = self.loss_fn([self.model(x) for x in xb[:m]], list(yb[:m])).data
        total = float(np.sum(losses[:m]))
        for name, value in (("mean", total / m), ("sum", total)):
            if abs(reference - value) <= 1e-9 * (1.0 + abs(reference)):
                return name
        raise ValueError(
            "fit(compiled=True): the loss of a batch must be the mean or the sum of the losses "
            f"of its samples; loss_fn gives {reference!r} for {m} samples whose own losses add "
            f"up to {total!r}"
        )


_COLUMNS = object()  # the group of a TapeCache whose targets are inputs of the tape


def _key(target: Any) -> Any:
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
    for p, t in zip(predictions, targets):
        if isinstance(p, (list, tuple)):
            scores = [v.data if isinstance(v, Value) else v for v in p]
            right += scores.index(max(scores)) == t
        else:
            s = p.data if isinstance(p, Value) else p
            right += (s > threshold) == (t > threshold)
    return right / len(targets)
