"""``fit``: the training loop of the course, with a progress bar and a history.

One *epoch* is a pass over the whole training set; it is cut into
*batches* of ``batch_size`` samples (the last one may be smaller), and one
*iteration* is one batch: forward pass, loss, ``backward()``, optimizer
step. So an epoch has ceil(n / batch_size) iterations; ``batch_size=None``
means full-batch gradient descent (one iteration per epoch).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from autograd import OpError, Value

from .data import DataLoader
from .module import Module
from .optim.lr_scheduler import ReduceLROnPlateau


class NonFiniteLossError(ArithmeticError):
    """The loss became inf or nan; training stopped before that step was applied."""

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
) -> dict[str, list[float]]:
    """Train ``model`` and return the history: per-epoch ``loss``, ``lr`` and each metric.

    ``data`` is ``(X, y)`` or a ``DataLoader``. Each iteration computes
    ``loss_fn(predictions, targets)`` (plus ``regularization()`` if given,
    e.g. ``lambda: 1e-4 * l2_penalty(model.parameters())``), zeroes the
    gradients, backpropagates and steps the optimizer. The epoch's loss is
    the mean of its batches' losses. ``scheduler.step()`` runs once per epoch
    (``ReduceLROnPlateau`` gets the epoch loss). ``metrics`` maps names to
    ``f(predictions, targets)`` over the epoch's samples. If the loss becomes
    non-finite, training stops before applying that step and
    ``NonFiniteLossError`` says where (its ``history`` holds what was done).
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
    history: dict[str, list[float]] = {"loss": [], "lr": [], **{name: [] for name in metrics}}
    bar = _progress(epochs, progress)
    try:
        for epoch in range(1, epochs + 1):
            total, batches = 0.0, 0
            all_preds: list = []
            all_targets: list = []
            for i, (xb, yb) in enumerate(loader, start=1):
                try:
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
                optimizer.step()
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
            if scheduler is not None:
                if isinstance(scheduler, ReduceLROnPlateau):
                    scheduler.step(epoch_loss)
                else:
                    scheduler.step()
            if bar is not None:
                shown = {"loss": f"{epoch_loss:.4g}"}
                shown.update({n: f"{v[-1]:.4g}" for n, v in history.items()
                              if n not in ("loss", "lr")})
                bar.set_postfix(shown)
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    return history


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
