"""micrograd's demo notebook, unchanged but for its imports and its data source.

micrograd takes two moons from scikit-learn; we take the very same 100 points,
vendored in ``tests/clients/micrograd_demo_moons.json``, as a numpy array, so
the code below is the demo's own: numpy scalars, ``map(Value, ...)``, the
max-margin loss with an L2 term, manual SGD with a decaying learning rate. The
model's weights come from Python's ``random`` (seeded 1337), as micrograd's do.
It must reach 100% training accuracy (``test_micrograd_idioms`` compares every
step's printed loss with the notebook's).
"""

import json
import random
from pathlib import Path

import numpy as np

from autograd import Value
from nn import MLP


def test_micrograd_demo_reaches_full_training_accuracy():
    np.random.seed(1337)
    random.seed(1337)
    moons = json.loads((Path(__file__).parent.parent / "clients" / "micrograd_demo_moons.json").read_text())
    X, y = np.array(moons["X"]), np.array(moons["y"])
    y = y * 2 - 1  # make y be -1 or 1

    model = MLP(2, [16, 16, 1])  # 2-layer neural network

    def loss(batch_size=None):
        if batch_size is None:
            Xb, yb = X, y
        else:
            ri = np.random.permutation(X.shape[0])[:batch_size]
            Xb, yb = X[ri], y[ri]
        inputs = [list(map(Value, xrow)) for xrow in Xb]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(yb, scores, strict=True)]
        data_loss = sum(losses) * (1.0 / len(losses))
        alpha = 1e-4
        reg_loss = alpha * sum(p * p for p in model.parameters())
        total_loss = data_loss + reg_loss
        accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(yb, scores, strict=True)]
        return total_loss, sum(accuracy) / len(accuracy)

    for k in range(100):
        total_loss, acc = loss()
        model.zero_grad()
        total_loss.backward()
        learning_rate = 1.0 - 0.9 * k / 100
        for p in model.parameters():
            p.data -= learning_rate * p.grad

    total_loss, acc = loss()
    assert acc == 1.0, f"accuracy {acc:.0%}, loss {total_loss.data:.4f}"
