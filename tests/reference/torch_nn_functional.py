"""Golden values for tests/nn/test_activations.py and tests/nn/test_losses.py, from torch (float64)."""
import sys

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)


def fl(v):
    return repr(float(v.detach() if hasattr(v, "detach") else v))


def lst(t):
    return "[" + ", ".join(fl(v) for v in t.detach().reshape(-1).tolist()) + "]"


def nested(t):
    if t.dim() == 0:
        return fl(t)
    return "[" + ", ".join(nested(r) for r in t) + "]" if t.dim() > 1 else lst(t)


def activations(out):
    p = lambda *a: print(*a, file=out)
    X = [-1000.0, -20.5, -3.0, -2.0, -1.0, -0.3, 0.0, 0.7, 1.0, 2.0, 2.5, 3.0, 25.0, 1000.0]
    ELEMENTWISE = {
        "sigmoid": "torch.sigmoid(x)",
        "tanh": "torch.tanh(x)",
        "hardsigmoid": "F.hardsigmoid(x)",
        "hardtanh": "F.hardtanh(x)",
        "hardtanh_m2_2p5": "F.hardtanh(x, -2.0, 2.5)",
        "relu": "F.relu(x)",
        "leaky_relu": "F.leaky_relu(x)",
        "leaky_relu_0p2": "F.leaky_relu(x, 0.2)",
        "elu": "F.elu(x)",
        "elu_0p5": "F.elu(x, alpha=0.5)",
        "softplus": "F.softplus(x)",
        "softplus_b2_t5": "F.softplus(x, beta=2.0, threshold=5.0)",
        "silu": "F.silu(x)",
        "gelu": "F.gelu(x)",
        "gelu_tanh": "F.gelu(x, approximate='tanh')",
        "logsigmoid": "F.logsigmoid(x)",
        "gelu_sigmoid": "x * torch.sigmoid(1.702 * x)",
        "hard_logistic": "F.hardtanh(0.25 * x + 0.5, 0.0, 1.0)",
        "hard_tanh": "F.hardtanh(x, -1.0, 1.0)",
        "swish": "x * torch.sigmoid(x)",
        "swish_2": "x * torch.sigmoid(2.0 * x)",
    }
    p("X =", X)
    p("ELEMENTWISE = {")
    for name, expr in ELEMENTWISE.items():
        x = torch.tensor(X, requires_grad=True)
        y = eval(expr)
        (g,) = torch.autograd.grad(y.sum(), x)
        p(f"    {name!r}: ({expr!r},\n        {lst(y)},\n        {lst(g)}),")
    p("}")
    xs = [-2.0, 0.0, 1.5, -0.5]
    x = torch.tensor([xs], requires_grad=True)
    w = torch.tensor([0.25, -0.1, 0.3, 2.0], requires_grad=True)
    y = F.prelu(x, w)
    gx, gw = torch.autograd.grad(y.sum(), [x, w])
    p("PRELU_X =", xs)
    p(f"PRELU_PER_UNIT = ({lst(w)}, {lst(y)}, {lst(gx)}, {lst(gw)})")
    x = torch.tensor(xs, requires_grad=True)
    w = torch.tensor([0.25], requires_grad=True)
    y = F.prelu(x, w)
    gx, gw = torch.autograd.grad(y.sum(), [x, w])
    p(f"PRELU_SHARED = ({lst(w)}, {lst(y)}, {lst(gx)}, {lst(gw)})")
    x = torch.tensor(xs, requires_grad=True)
    b = torch.tensor(1.5, requires_grad=True)
    y = x * torch.sigmoid(b * x)
    gx, gb = torch.autograd.grad(y.sum(), [x, b])
    p(f"SWISH_BETA = (1.5, {lst(y)}, {lst(gx)}, {fl(gb)})")
    VECS = [[1.0, 2.0, 3.0], [1000.0, -1000.0, 0.0], [-0.5, 0.25, 0.25, 3.0]]
    for name, fn in [("SOFTMAX", lambda v: F.softmax(v, dim=-1)),
                     ("LOG_SOFTMAX", lambda v: F.log_softmax(v, dim=-1))]:
        p(f"{name} = [")
        for v in VECS:
            t = torch.tensor(v)
            jac = torch.autograd.functional.jacobian(fn, t)
            p(f"    ({v!r}, {lst(fn(t))},\n     {nested(jac)}),")
        p("]")
    p("MAXOUT = [")
    for v in [[0.5, -1.0, 2.0], [1.5, 1.5, -3.0], [-7.0]]:
        t = torch.tensor(v, requires_grad=True)
        y = t.amax()
        (g,) = torch.autograd.grad(y, t)
        p(f"    ({v!r}, {fl(y)}, {lst(g)}),")
    p("]")


def losses(out):
    p = lambda *a: print(*a, file=out)
    P = [0.5, -1.2, 3.0, 2.0, 0.25, -4.0]
    Y = [1.0, -1.2, 0.5, 3.0, 0.75, 1.0]
    PB = [0.1, 0.5, 0.999, 0.0, 1.0, 0.3]
    YB = [0.0, 1.0, 1.0, 0.3, 1.0, 0.3]
    XL = [-1000.0, -2.0, 0.0, 0.5, 30.0, 1000.0]
    YL = [1.0, 1.0, 0.5, 0.0, 1.0, 0.0]
    S = [2.0, 0.5, -0.3, 1.0, -1000.0, 1000.0, -1.0]
    L = [1.0, 1.0, -1.0, 1.0, 1.0, -1.0, -1.0]

    def max_margin(s, y, reduction):
        o = torch.relu(1 - y * s)
        return o.mean() if reduction == "mean" else o.sum() if reduction == "sum" else o

    LOSSES = {
        "mse_loss": ("F.mse_loss(p, y, reduction=r)", P, Y, True),
        "l1_loss": ("F.l1_loss(p, y, reduction=r)", P, Y, True),
        "huber_loss": ("F.huber_loss(p, y, reduction=r)", P, Y, True),
        "huber_loss_0p5": ("F.huber_loss(p, y, reduction=r, delta=0.5)", P, Y, True),
        "smooth_l1_loss": ("F.smooth_l1_loss(p, y, reduction=r)", P, Y, True),
        "smooth_l1_loss_2": ("F.smooth_l1_loss(p, y, reduction=r, beta=2.0)", P, Y, True),
        "smooth_l1_loss_0": ("F.smooth_l1_loss(p, y, reduction=r, beta=0.0)", P, Y, True),
        "binary_cross_entropy": ("F.binary_cross_entropy(p, y, reduction=r)", PB, YB, False),
        "binary_cross_entropy_with_logits":
            ("F.binary_cross_entropy_with_logits(p, y, reduction=r)", XL, YL, True),
        "max_margin_loss": ("torch.relu(1 - y * p), reduced", S, L, False),
    }
    p("P, Y =", P, ",", Y)
    p("PB, YB =", PB, ",", YB)
    p("XL, YL =", XL, ",", YL)
    p("S, L =", S, ",", L)
    p("LOSSES = {")
    for name, (expr, pv, yv, tgrad) in LOSSES.items():
        p(f"    # {expr}")
        for r in ["mean", "sum", "none"]:
            pt = torch.tensor(pv, requires_grad=True)
            yt = torch.tensor(yv, requires_grad=tgrad)
            if name == "max_margin_loss":
                o = max_margin(pt, yt, r)
            else:
                o = eval(expr, {"F": F, "p": pt, "y": yt, "r": r})
            gs = torch.autograd.grad(o.sum(), [pt, yt] if tgrad else [pt])
            val = fl(o) if r != "none" else lst(o)
            gy = lst(gs[1]) if tgrad else "None"
            p(f"    ({name!r}, {r!r}): ({val},\n        {lst(gs[0])},\n        {gy}),")
    p("}")
    LOGITS = [[1.0, 2.0, 3.0], [1000.0, -1000.0, 0.0], [0.5, 0.5, -0.5], [-2.0, 0.0, 2.0]]
    TARGETS = [2, 1, 0, 1]
    p("LOGITS, TARGETS =", LOGITS, ",", TARGETS)
    p("CROSS_ENTROPY = {")
    for r in ["mean", "sum", "none"]:
        x = torch.tensor(LOGITS, requires_grad=True)
        o = F.cross_entropy(x, torch.tensor(TARGETS), reduction=r)
        (g,) = torch.autograd.grad(o.sum(), x)
        val = fl(o) if r != "none" else lst(o)
        p(f"    {r!r}: ({val},\n        {nested(g)}),")
    p("}")
    x = torch.tensor(LOGITS[0], requires_grad=True)
    o = F.cross_entropy(x, torch.tensor(TARGETS[0]))
    (g,) = torch.autograd.grad(o, x)
    p(f"CROSS_ENTROPY_ONE = ({fl(o)}, {lst(g)})")
    W = [0.5, -1.5, 0.0, 2.0, -0.25]
    w = torch.tensor(W, requires_grad=True)
    l1 = w.abs().sum()
    (g1,) = torch.autograd.grad(l1, w)
    l2 = w.pow(2).sum()
    (g2,) = torch.autograd.grad(l2, w)
    p("W =", W)
    p(f"PENALTIES = {{'l1_penalty': ({fl(l1)}, {lst(g1)}), 'l2_penalty': ({fl(l2)}, {lst(g2)})}}")


if __name__ == "__main__":
    print("torch", torch.__version__, file=sys.stderr)
    activations(sys.stdout)  # paste into tests/nn/test_activations.py
    losses(sys.stdout)  # paste into tests/nn/test_losses.py
