"""jacobian and hessian: both modes agree and match finite differences."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given

from autograd import hessian, jacobian, numeric_gradient
from autograd.testing import floats_in


def vector_f(x, y, z):
    return [x * y * z, (x + y).tanh(), z.exp() * x, y**2]


@given(floats_in(-2, 2), floats_in(-2, 2), floats_in(-2, 2))
def test_jacobian_both_modes_agree_with_differences(x, y, z):
    rev = jacobian(vector_f, [x, y, z])
    fwd = jacobian(vector_f, [x, y, z], mode="forward")
    assert rev.shape == (4, 3)
    np.testing.assert_allclose(rev, fwd, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(rev, numeric_gradient(vector_f, [x, y, z]), rtol=1e-5, atol=1e-6)


def scalar_f(x, y):
    return (x * y).sin() + x**3 * y + (y * y + 1).log() * x.exp()


@given(floats_in(-2, 2), floats_in(-2, 2))
def test_hessian_matches_differences_of_the_gradient(x, y):
    h = hessian(scalar_f, [x, y])
    g = lambda a, b: [
        b * (a * b).cos() + 3 * a**2 * b + (b * b + 1).log() * a.exp(),
        a * (a * b).cos() + a**3 + 2 * b / (b * b + 1) * a.exp(),
    ]
    np.testing.assert_allclose(h, numeric_gradient(g, [x, y], eps=1e-5), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(h, h.T, rtol=1e-12, atol=1e-12)


def test_hessian_of_a_quadratic_is_exact():
    h = hessian(lambda x, y: 3 * x * x + 2 * x * y + y * y, [0.3, -0.7])
    assert h.tolist() == [[6.0, 2.0], [2.0, 2.0]]


def test_argument_errors():
    with pytest.raises(ValueError, match="mode must be"):
        jacobian(vector_f, [1.0, 2.0, 3.0], mode="sideways")
    with pytest.raises(ValueError, match="single Value"):
        hessian(vector_f, [1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match="jacobian: expected a real number"):
        jacobian(vector_f, ["a", 2.0, 3.0])
