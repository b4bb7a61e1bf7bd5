"""Small graphs shared by the viz tests."""

from autograd import Value


def micrograd_example(backward: bool = False) -> Value:
    """micrograd's README graph, L = (a*b + c) * f, with every node labelled."""
    a, b, c = Value(2.0, label="a"), Value(-3.0, label="b"), Value(10.0, label="c")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    f = Value(-2.0, label="f")
    out = d * f
    out.label = "L"
    if backward:
        out.backward()
    return out


def mlp_with_loss():
    """MLP(2, [16, 16, 1]) (seed 0) on one sample (0.5, -1.0), and its loss (out - 1)^2 labelled."""
    import nn

    model = nn.MLP(2, [16, 16, 1], generator=0)
    out = model([Value(0.5, label="x0"), Value(-1.0, label="x1")])
    loss = (out - 1.0) ** 2
    loss.label = "loss"
    return model, loss
