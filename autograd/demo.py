"""The main job for now: one neuron, forward and backward, every gradient checked.

Builds o = tanh(x1*w1 + x2*w2 + b), runs ``backward()``, prints every node
(label, op, data, grad) in topological order, and checks the gradient of
each leaf against central finite differences. Exits with status 1 if any
gradient disagrees.

Run: make demo   (or python -m autograd.demo)
"""

from __future__ import annotations

import sys

from autograd import Value, numeric_gradient, topological_order


def neuron(x1: Value, x2: Value, w1: Value, w2: Value, b: Value) -> Value:
    x1w1 = x1 * w1
    x1w1.label = "x1*w1"
    x2w2 = x2 * w2
    x2w2.label = "x2*w2"
    s = x1w1 + x2w2
    s.label = "x1*w1 + x2*w2"
    n = s + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o


def main() -> int:
    names = ["x1", "x2", "w1", "w2", "b"]
    point = [2.0, 0.0, -3.0, 1.0, 6.8813735870195432]
    leaves = [Value(v, label=name) for v, name in zip(point, names)]
    o = neuron(*leaves)
    o.backward()

    print("o = tanh(x1*w1 + x2*w2 + b), nodes in topological order:\n")
    print(f"{'node':<16} {'op':<6} {'data':>12} {'grad':>12}")
    for node in topological_order(o):
        print(f"{node.label or '(const)':<16} {node.op:<6} {node.data:>12.6f} {node.grad:>12.6f}")

    numeric = numeric_gradient(neuron, point)[0]
    print("\nleaf gradients against central differences (eps = 1e-6):\n")
    print(f"{'leaf':<6} {'backward':>12} {'numeric':>12} {'|diff|':>10}")
    failed = False
    for leaf, n in zip(leaves, numeric):
        diff = abs(leaf.grad - n)
        ok = diff <= 1e-6 + 1e-4 * abs(n)
        failed |= not ok
        print(f"{leaf.label:<6} {leaf.grad:>12.6f} {n:>12.6f} {diff:>10.2e} {'ok' if ok else 'MISMATCH'}")
    print("\nall gradients agree" if not failed else "\nGRADIENT MISMATCH")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
