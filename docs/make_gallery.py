"""Redraw the README's gallery: ``.venv/bin/python docs/make_gallery.py`` (from the repository root).

- ``graph_neuron.png``: the README's ten-line example, tanh(x w + b), after ``backward()``;
- ``graph_mlp_layers.png``: micrograd's ``MLP(2, [16, 16, 1])`` on one sample with its
  max-margin loss, collapsed by layer;
- ``decision_boundary.png``: the demo's trained network on two moons (as ``make demo`` draws it);
- ``activations.png``: four activations and their engine-computed derivatives.

Every picture is drawn from the engine's numbers at the moment it is drawn; nothing is random.
"""

from __future__ import annotations

import os
import sys

import nn
import viz
from autograd import Value

HERE = os.path.dirname(os.path.abspath(__file__))


def neuron() -> None:
    x, w, b = Value(0.5, label="x"), Value(-3.0, label="w"), Value(2.0, label="b")
    y = (x * w + b).tanh()
    y.label = "y"
    y.backward()
    viz.render(y, os.path.join(HERE, "graph_neuron.png"), title="y = tanh(x w + b)")


def mlp_layers() -> None:
    model = nn.MLP(2, [16, 16, 1], generator=0)
    loss = nn.functional.max_margin_loss([model([0.5, -1.2])], [-1])
    loss.backward()
    viz.render(loss, os.path.join(HERE, "graph_mlp_layers.png"), model=model, collapse="layer",
               title="MLP(2, [16, 16, 1]) and its max-margin loss on one sample")


def decision_boundary_and_activations() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import demo  # the main job, docs/demo.py: this script's directory is first on sys.path
    import matplotlib.pyplot as plt

    from viz import plots

    model, X, y, _ = demo.train(progress=False)
    ax = plots.decision_boundary(model, X, y, resolution=50)
    ax.figure.savefig(os.path.join(HERE, "decision_boundary.png"), dpi=150, bbox_inches="tight")

    fig, axes = plt.subplots(1, 4, figsize=(20, 4.5))
    for name, ax in zip(("sigmoid", "hard_logistic", "gelu", "elu"), axes, strict=True):
        plots.activation(name, ax=ax)
    fig.savefig(os.path.join(HERE, "activations.png"), dpi=100, bbox_inches="tight")


def main() -> int:
    neuron()
    mlp_layers()
    decision_boundary_and_activations()
    for name in ("graph_neuron.png", "graph_mlp_layers.png", "decision_boundary.png",
                 "activations.png"):
        print(os.path.join(HERE, name))
    return 0


if __name__ == "__main__":
    sys.exit(main())
