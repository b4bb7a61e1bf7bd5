"""The main job (``make demo``): train, check, draw, report.

1. Train micrograd's demo network, ``MLP(2, [16, 16, 1])``, on 100 two-moons
   points with the max-margin loss plus an L2 term (SGD with momentum), with
   a progress bar.
2. Check gradients: ``gradcheck`` of the trained model's score with respect
   to its inputs, and the backward pass's parameter gradients against central
   differences of the loss.
3. Write to ``out/``: the loss curve and the decision boundary (PNG), the
   computation graph of one neuron on one sample (SVG), a backward stepper
   for that neuron (HTML), and a short text report; print where each is.

Exits with status 1 if a gradient check fails or training falls short.
"""

from __future__ import annotations

import os
import sys
import time

import nn
import viz
from autograd import Value, gradcheck, no_grad

OUT = "out"


def hinge_l2(model: nn.Module, alpha: float = 1e-4):
    """The loss of micrograd's demo: mean max-margin loss plus alpha * ||w||^2."""
    hinge = nn.MaxMarginLoss()

    def loss(predictions, targets):
        return hinge(predictions, targets) + alpha * nn.functional.l2_penalty(model.parameters())

    return loss


def check_parameter_gradients(model, loss_fn, X, y, count=8, eps=1e-6) -> list[tuple]:
    """Central differences of the loss for ``count`` parameters against backward's ``grad``."""
    params = model.parameters()
    picks = [params[i] for i in range(0, len(params), max(1, len(params) // count))][:count]

    def loss_value() -> float:
        with no_grad():
            return loss_fn([model(x) for x in X], y).data

    model.zero_grad()
    loss_fn([model(x) for x in X], y).backward()
    rows = []
    for p in picks:
        original = p.data
        p.data = original + eps
        plus = loss_value()
        p.data = original - eps
        minus = loss_value()
        p.data = original
        numeric = (plus - minus) / (2 * eps)
        rows.append((p.grad, numeric, abs(p.grad - numeric) <= 1e-6 + 1e-4 * abs(numeric)))
    return rows


def main() -> int:
    os.makedirs(OUT, exist_ok=True)
    nn.manual_seed(0)
    X, labels = nn.data.two_moons(100, noise=0.1, generator=0)
    y = [2 * t - 1 for t in labels]
    model = nn.MLP(2, [16, 16, 1])
    loss_fn = hinge_l2(model)
    optimizer = nn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scheduler = nn.optim.lr_scheduler.StepLR(optimizer, step_size=25, gamma=0.5)

    print("training MLP(2, [16, 16, 1]) on two moons (100 points, hinge + L2, SGD momentum 0.9)")
    start = time.perf_counter()
    history = nn.fit(model, loss_fn, optimizer, (X, y), epochs=60, scheduler=scheduler,
                     metrics={"accuracy": nn.accuracy})
    seconds = time.perf_counter() - start
    accuracy = history["accuracy"][-1]

    input_check = all(
        gradcheck(lambda a, b: model([a, b]), x, raise_exception=False) for x in X[:10]
    )
    param_rows = check_parameter_gradients(model, loss_fn, X, y)
    params_ok = all(ok for _, _, ok in param_rows)

    from viz import plots

    files = {}
    ax = plots.loss_history(history)
    files["loss curve"] = os.path.join(OUT, "loss_curve.png")
    ax.figure.savefig(files["loss curve"], dpi=120, bbox_inches="tight")
    ax = plots.decision_boundary(model, X, y, resolution=50)
    files["decision boundary"] = os.path.join(OUT, "decision_boundary.png")
    ax.figure.savefig(files["decision boundary"], dpi=120, bbox_inches="tight")

    neuron = model.layers[0].neurons[0]
    sample = [Value(X[0][0], label="x0"), Value(X[0][1], label="x1")]
    for i, w in enumerate(neuron.w):
        w.label = f"w{i}"
    neuron.b.label = "b"
    out = neuron(sample)
    out.label = "out"
    out.backward()
    files["neuron graph"] = os.path.join(OUT, "neuron.svg")
    viz.render(out, files["neuron graph"], format="svg")
    files["backward stepper"] = os.path.join(OUT, "backward_stepper.html")
    viz.step_backward(out).to_html(files["backward stepper"])
    model.zero_grad()

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
