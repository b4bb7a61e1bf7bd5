"""The main job: ``make demo`` (or ``.venv/bin/python docs/demo.py`` from the repository root).

An application of the three packages, not part of any of them: it uses ``autograd`` for the
engine and its gradient checks, ``nn`` for the network and its training, and ``viz`` for the
pictures and pages, as a reader's own script would. It lives in ``docs/`` beside the other
scripts that produce what people look at (``make_course.py``, ``make_gallery.py``,
``make_screenshots.py``), which import its ``train`` to draw the same trained network.
It imports only the installed packages, so it runs from any directory, and writes into
``out/`` under the current one. In order:

1. Train micrograd's demo network, ``MLP(2, [16, 16, 1])``, on 100 two-moons
   points with the mean max-margin loss plus an L2 term (SGD with momentum),
   with a progress bar. Training runs on tapes (``nn.fit(..., compiled=True)``),
   so it takes a fraction of a second instead of half a minute.
2. Check gradients: ``gradcheck`` of the trained model's score with respect
   to its inputs, and the backward pass's parameter gradients against central
   differences of the loss. The checks leave every parameter's ``grad`` as
   they found it.
3. Write to ``out/``: the loss curve and the decision boundary (PNG), the
   computation graph of one neuron on one sample (SVG), a backward stepper
   for that neuron and one for the whole network on one sample, neuron by
   neuron (HTML), the training view (HTML: an epoch slider over the decision
   boundary, the curves and the network coloured by its gradients, from a
   snapshot every 2 epochs), and a short text report; print where each is. The
   neuron is drawn after one backward pass from zeroed gradients, so every
   number in the picture obeys the chain rule with the numbers beside it.

Exits with status 1 if a gradient check fails or training falls short.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import nn
import viz
from autograd import Value, gradcheck, no_grad

OUT = "out"


def l2_term(model: nn.Module, alpha: float = 1e-4) -> Callable[[], Value]:
    """micrograd's regulariser alpha * ||w||^2, as ``nn.fit``'s ``regularization=``."""
    return lambda: alpha * nn.functional.l2_penalty(model.parameters())


@contextmanager
def grads_kept(params: Sequence[Value]) -> Iterator[None]:
    """Give every parameter back the ``grad`` it had on entry, however the block ends."""
    found = [p.grad for p in params]
    try:
        yield
    finally:
        for p, g in zip(params, found, strict=True):
            p.grad = g


def check_parameter_gradients(
    model: nn.Module, loss: Callable[[], Value], count: int = 8, eps: float = 1e-6
) -> list[tuple[float, float, bool]]:
    """Central differences of ``loss()`` for ``count`` parameters against backward's ``grad``.

    ``loss()`` computes the training loss afresh from the model. Returns one
    ``(backward, numeric, agree)`` row per parameter checked. The model's
    gradients (and its parameters' data) are as they were before the call.
    """
    params = model.parameters()
    picks = [params[i] for i in range(0, len(params), max(1, len(params) // count))][:count]

    def loss_value() -> float:
        with no_grad():
            return loss().data

    rows = []
    with grads_kept(params):
        model.zero_grad()
        loss().backward()
        for p in picks:
            backward, original = p.grad, p.data
            try:
                p.data = original + eps
                plus = loss_value()
                p.data = original - eps
                minus = loss_value()
            finally:
                p.data = original
            numeric = (plus - minus) / (2 * eps)
            rows.append((backward, numeric, abs(backward - numeric) <= 1e-6 + 1e-4 * abs(numeric)))
    return rows


def train(progress: bool = True) -> tuple[nn.MLP, list, list[int], dict[str, list]]:
    """micrograd's demo on tapes: (model, X, y, history); the same numbers on every run."""
    nn.manual_seed(0)
    X, labels = nn.data.two_moons(100, noise=0.1, generator=0)
    y = [2 * t - 1 for t in labels]
    model = nn.MLP(2, [16, 16, 1])
    optimizer = nn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scheduler = nn.optim.lr_scheduler.StepLR(optimizer, step_size=25, gamma=0.5)
    history = nn.fit(model, nn.MaxMarginLoss(), optimizer, (X, y), epochs=60,
                     scheduler=scheduler, metrics={"accuracy": nn.accuracy},
                     regularization=l2_term(model), compiled=True, progress=progress,
                     snapshots=2)
    return model, X, y, history


def main() -> int:
    os.makedirs(OUT, exist_ok=True)
    print("training MLP(2, [16, 16, 1]) on two moons (100 points, hinge + L2, SGD momentum 0.9)")
    start = time.perf_counter()
    model, X, y, history = train()
    seconds = time.perf_counter() - start
    accuracy = history["accuracy"][-1]
    hinge, l2 = nn.MaxMarginLoss(), l2_term(model)

    with grads_kept(model.parameters()):
        input_check = all(
            gradcheck(lambda a, b: model([a, b]), x, raise_exception=False) for x in X[:10]
        )
    param_rows = check_parameter_gradients(model, lambda: hinge([model(x) for x in X], y) + l2())
    params_ok = all(ok for _, _, ok in param_rows)

    from viz import plots

    files = {}
    ax = plots.loss_history(history)
    files["loss curve"] = os.path.join(OUT, "loss_curve.png")
    ax.figure.savefig(files["loss curve"], dpi=150, bbox_inches="tight")
    ax = plots.decision_boundary(model, X, y, resolution=50)
    files["decision boundary"] = os.path.join(OUT, "decision_boundary.png")
    ax.figure.savefig(files["decision boundary"], dpi=150, bbox_inches="tight")

    neuron = model.layers[0].neurons[0]
    sample = [Value(X[0][0], label="x0"), Value(X[0][1], label="x1")]
    for i, w in enumerate(neuron.w):
        w.label = f"w{i}"
    neuron.b.label = "b"
    out = neuron(sample)
    out.label = "out"
    model.zero_grad()  # training left its last step's gradients: draw this backward pass alone
    out.backward()
    files["neuron graph"] = os.path.join(OUT, "neuron.svg")
    viz.render(out, files["neuron graph"],
               title="layers.0.neurons.0 on sample 0, after training")
    files["backward stepper"] = os.path.join(OUT, "backward_stepper.html")
    viz.step_backward(out).to_html(files["backward stepper"])
    model.zero_grad()
    files["network stepper"] = os.path.join(OUT, "network_stepper.html")
    sample_loss = hinge([model(X[0])], [y[0]])
    viz.step_backward(sample_loss, model=model, by="neuron").to_html(files["network stepper"])
    files["training view"] = os.path.join(OUT, "training_view.html")
    viz.training_view(history, (X, y), model, path=files["training view"])

    report = [
        "backprop-course demo report",
        f"model: {model!r}, {model.num_parameters()} parameters",
        (f"training: {len(history['loss'])} epochs in {seconds:.1f} s, "
         f"final loss {history['loss'][-1]:.4f}, training accuracy {accuracy:.0%}"),
        f"gradcheck of the score w.r.t. the inputs on 10 points: {'ok' if input_check else 'FAILED'}",
        "parameter gradients (backward vs central differences):",
        *[f"  {g:+.8f} vs {n:+.8f}  {'ok' if ok else 'MISMATCH'}" for g, n, ok in param_rows],
    ]
    files["report"] = os.path.join(OUT, "report.txt")
    with open(files["report"], "w") as f:
        f.write("\n".join(report) + "\n")
    print("\n".join(report))
    print()
    for name, path in files.items():
        print(f"{name:>17}: {os.path.abspath(path)}")
    ok = input_check and params_ok and accuracy >= 0.95
    if not ok:
        print("demo FAILED: see the report above", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
