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
