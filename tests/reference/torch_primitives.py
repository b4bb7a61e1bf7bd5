"""Regenerate the PyTorch reference numbers in tests/autograd/test_torch_reference.py.

Not part of the test suite (the suite does not need torch): run it with a
Python that has torch installed, and paste its output into the test file.

    python tests/reference/torch_primitives.py
"""

import torch
import torch.nn.functional as F

CASES = {
    "exp": (lambda x: torch.exp(x), [-2.5, 0.0, 3.0]),
    "log": (lambda x: torch.log(x), [0.01, 1.0, 7.5]),
    "log1p": (lambda x: torch.log1p(x), [-0.5, 1e-10, 3.0]),
    "expm1": (lambda x: torch.expm1(x), [-3.0, 1e-10, 2.0]),
    "sqrt": (lambda x: torch.sqrt(x), [0.04, 2.0, 9.0]),
    "sin": (lambda x: torch.sin(x), [-2.0, 0.5, 4.0]),
    "cos": (lambda x: torch.cos(x), [-2.0, 0.5, 4.0]),
    "tanh": (lambda x: torch.tanh(x), [-3.0, 0.3, 20.0]),
    "sigmoid": (lambda x: torch.sigmoid(x), [-40.0, -1.5, 0.0, 2.0, 40.0]),
    "relu": (lambda x: torch.relu(x), [-1.0, 0.0, 2.0]),
    "abs": (lambda x: torch.abs(x), [-1.0, 0.0, 2.0]),
    "erf": (lambda x: torch.erf(x), [-1.2, 0.1, 2.5]),
    "softplus": (lambda x: F.softplus(x), [-30.0, -1.0, 0.0, 5.0, 19.9, 20.0, 25.0]),
    "softplus_b2_t5": (lambda x: F.softplus(x, beta=2.0, threshold=5.0), [-3.0, 1.0, 2.6, 3.0]),
    "logsigmoid": (lambda x: F.logsigmoid(x), [-50.0, -1.0, 0.0, 2.0, 50.0]),
    "hardtanh": (lambda x: F.hardtanh(x), [-2.0, -1.0, 0.3, 1.0, 2.0]),
    "leaky_relu": (lambda x: F.leaky_relu(x, 0.1), [-2.0, 0.0, 3.0]),
    "elu": (lambda x: F.elu(x, 1.5), [-2.0, 0.0, 3.0]),
    "bce_t1": (lambda x: F.binary_cross_entropy(x, torch.ones_like(x), reduction="none"),
               [1e-50, 0.2, 0.9]),
    "bce_t025": (lambda x: F.binary_cross_entropy(x, torch.full_like(x, 0.25), reduction="none"),
                 [0.2, 0.5, 0.9]),
    "pow2": (lambda x: x**2, [-1.5, 0.0, 3.0]),
    "pow_half": (lambda x: x**0.5, [0.25, 4.0]),
    "pow_m1": (lambda x: x**-1, [-2.0, 0.5]),
}
BINARY = {
    "maximum": (torch.maximum, [(1.0, 2.0), (3.0, 3.0), (-1.0, -4.0)]),
    "minimum": (torch.minimum, [(1.0, 2.0), (3.0, 3.0), (-1.0, -4.0)]),
    "div": (torch.div, [(1.0, 3.0), (-2.0, 0.7)]),
    "pow": (torch.pow, [(2.0, 0.5), (0.3, -1.7)]),
    "prelu": (lambda x, a: F.prelu(x.reshape(1), a.reshape(1)), [(-2.0, 0.25), (0.0, 0.25), (3.0, 0.25)]),
}

print("UNARY = {")
for name, (f, xs) in CASES.items():
    rows = []
    for x in xs:
        t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
        y = f(t).sum()
        y.backward()
        rows.append((x, y.item(), t.grad.item()))
    print(f"    {name!r}: {rows!r},")
print("}")
print("BINARY = {")
for name, (f, pairs) in BINARY.items():
    rows = []
    for a, b in pairs:
        ta = torch.tensor(a, dtype=torch.float64, requires_grad=True)
        tb = torch.tensor(b, dtype=torch.float64, requires_grad=True)
        y = f(ta, tb).sum()
        y.backward()
        rows.append((a, b, y.item(), ta.grad.item(), tb.grad.item()))
    print(f"    {name!r}: {rows!r},")
print("}")
