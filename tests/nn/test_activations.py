"""Activations: ``nn.functional``'s functions and ``nn.activations``' modules.

One row per activation (and per non-default setting) in ``ROWS``: how to
call it, its closed form on floats, its input domain and its kinks. Over all
rows: gradients against central differences (hypothesis inputs away from the
kinks), values against the closed form, dual numbers against reverse mode.
Then PyTorch's own numbers (``GOLDEN``, computed once with torch; the suite
does not import torch), the conventions at kinks, stability at +-1000,
errors, and the modules.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import nn
from autograd import Dual, Value, grad, jacobian, jvp
from autograd.testing import assert_gradients, floats_in
from nn import activations as A
from nn import functional as F
from nn.module import Module

TOL = 1e-12


def close(a: float, b: float, tol: float = TOL) -> bool:
    return abs(a - b) <= tol + tol * abs(b)


@dataclass
class Row:
    call: Callable  # call(x) on one Value (or Dual)
    reference: Callable  # the closed form on a float
    low: float = -10.0
    high: float = 10.0
    kinks: tuple = ()  # points where the derivative jumps


def _sigmoid(x: float, beta: float = 1.0) -> float:
    return 1.0 / (1.0 + math.exp(-beta * x))


def _tanh(x: float) -> float:
    e = math.exp(-2.0 * abs(x))
    return math.copysign((1.0 - e) / (1.0 + e), x)


def _softplus(x: float, beta: float = 1.0, threshold: float = 20.0) -> float:
    return x if beta * x > threshold else math.log(1.0 + math.exp(beta * x)) / beta


def _gelu_tanh(x: float) -> float:
    return 0.5 * x * (1.0 + math.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3)))


ROWS: dict[str, Row] = {
    "sigmoid": Row(F.sigmoid, _sigmoid, -30, 30),
    "tanh": Row(F.tanh, _tanh),
    "hardsigmoid": Row(F.hardsigmoid, lambda x: min(max(x / 6.0 + 0.5, 0.0), 1.0), -5, 5, (-3, 3)),
    "hardtanh": Row(F.hardtanh, lambda x: min(max(x, -1.0), 1.0), -3, 3, (-1, 1)),
    "hardtanh_m2_2p5": Row(lambda x: F.hardtanh(x, -2.0, 2.5), lambda x: min(max(x, -2.0), 2.5),
                           -4, 4, (-2, 2.5)),
    "relu": Row(F.relu, lambda x: x if x > 0 else 0.0, kinks=(0,)),
    "leaky_relu": Row(F.leaky_relu, lambda x: x if x > 0 else 0.01 * x, kinks=(0,)),
    "leaky_relu_0p2": Row(lambda x: F.leaky_relu(x, 0.2), lambda x: x if x > 0 else 0.2 * x,
                          kinks=(0,)),
    "elu": Row(F.elu, lambda x: x if x > 0 else math.exp(x) - 1.0, kinks=(0,)),
    "elu_0p5": Row(lambda x: F.elu(x, alpha=0.5),
                   lambda x: x if x > 0 else 0.5 * (math.exp(x) - 1.0), kinks=(0,)),
    "softplus": Row(F.softplus, _softplus, -30, 30, (20,)),
    "softplus_b2_t5": Row(lambda x: F.softplus(x, beta=2.0, threshold=5.0),
                          lambda x: _softplus(x, 2.0, 5.0), kinks=(2.5,)),
    "silu": Row(F.silu, lambda x: x * _sigmoid(x)),
    "gelu": Row(F.gelu, lambda x: x * 0.5 * math.erfc(-x / math.sqrt(2.0))),
    "gelu_tanh": Row(lambda x: F.gelu(x, approximate="tanh"), _gelu_tanh),
    "gelu_sigmoid": Row(lambda x: F.gelu(x, approximate="sigmoid"),
                        lambda x: x * _sigmoid(x, 1.702)),
    "logsigmoid": Row(F.logsigmoid, lambda x: -math.log(1.0 + math.exp(-x)), -30, 30),
    "hard_logistic": Row(F.hard_logistic, lambda x: max(min(0.25 * x + 0.5, 1.0), 0.0),
                         -4, 4, (-2, 2)),
    "hard_tanh": Row(F.hard_tanh, lambda x: max(min(x, 1.0), -1.0), -3, 3, (-1, 1)),
    "swish": Row(F.swish, lambda x: x * _sigmoid(x)),
    "swish_2": Row(lambda x: F.swish(x, 2.0), lambda x: x * _sigmoid(x, 2.0)),
}

#: The elementwise activations of nn.functional; each needs a row (and golden numbers).
ELEMENTWISE_FUNCTIONS = [
    "sigmoid", "tanh", "hardsigmoid", "hardtanh", "relu", "leaky_relu", "elu", "softplus", "silu",
    "gelu", "logsigmoid", "hard_logistic", "hard_tanh", "swish",
]


def _x(row: Row):
    return floats_in(row.low, row.high, avoid=row.kinks, margin=1e-3)


def test_every_elementwise_activation_has_a_row_and_golden_numbers():
    assert set(ELEMENTWISE_FUNCTIONS) <= set(ROWS)
    assert set(ROWS) == set(GOLDEN)
    for name in ELEMENTWISE_FUNCTIONS:
        assert callable(getattr(F, name))


@pytest.mark.parametrize("name", sorted(ROWS))
@given(data=st.data())
def test_gradient_matches_finite_differences(name, data):
    row = ROWS[name]
    x = data.draw(_x(row), label="x")
    assert_gradients(row.call, [x], dual=False)


@pytest.mark.parametrize("name", sorted(ROWS))
@given(data=st.data())
def test_value_matches_closed_form(name, data):
    row = ROWS[name]
    x = data.draw(_x(row), label="x")
    assert close(row.call(Value(x)).data, row.reference(x))


@pytest.mark.parametrize("name", sorted(ROWS))
@given(data=st.data())
def test_dual_numbers_agree_with_reverse_mode(name, data):
    row = ROWS[name]
    x = data.draw(_x(row), label="x")
    value, tangent = jvp(row.call, [x], [1.0])
    v = Value(x)
    y = row.call(v)
    assert value == y.data and close(tangent, grad(y, [v])[0])
    assert isinstance(row.call(Dual(x, 1.0)), Dual)


# --- vector-valued and learnable-parameter activations ----------------------------------------

VECTOR = st.lists(floats_in(-10, 10), min_size=1, max_size=4)


@given(VECTOR)
def test_softmax_and_log_softmax_gradients(xs):
    assert_gradients(lambda *v: F.softmax(list(v)), xs, dual=False)
    assert_gradients(lambda *v: F.log_softmax(list(v)), xs, dual=False)


@given(VECTOR)
def test_softmax_and_log_softmax_closed_forms(xs):
    total = sum(math.exp(x) for x in xs)
    for got, x in zip(F.softmax(xs), xs, strict=True):
        assert close(got.data, math.exp(x) / total)
    for got, x in zip(F.log_softmax(xs), xs, strict=True):
        assert close(got.data, x - math.log(total), 1e-11)
    assert close(sum(p.data for p in F.softmax(xs)), 1.0)


@given(VECTOR)
def test_maxout_gradient_and_value(xs):
    assume(all(abs(a - b) > 1e-3 for i, a in enumerate(xs) for b in xs[i + 1:]))
    assert F.maxout(xs).data == max(xs)
    assert_gradients(lambda *v: F.maxout(list(v)), xs, dual=False)


@given(st.lists(floats_in(-5, 5, avoid=[0]), min_size=3, max_size=3),
       st.lists(floats_in(-1, 1), min_size=3, max_size=3))
def test_prelu_per_unit_gradients_reach_inputs_and_slopes(xs, slopes):
    def f(*v):
        return F.prelu(list(v[:3]), list(v[3:]))

    assert_gradients(f, xs + slopes, dual=False)
    for got, x, a in zip(f(*map(Value, xs + slopes)), xs, slopes, strict=True):
        assert close(got.data, x if x > 0 else a * x)


@given(floats_in(-5, 5, avoid=[0]), floats_in(-1, 1))
def test_prelu_shared_slope_gradient(x, a):
    assert_gradients(lambda x, a: F.prelu([x, 2.0 * x], a)[1], [x, a], dual=False)


@given(floats_in(-8, 8), floats_in(-3, 3))
def test_swish_with_learnable_beta(x, beta):
    assert_gradients(lambda x, b: F.swish(x, b), [x, beta], dual=False)
    assert close(F.swish(Value(x), Value(beta)).data, x * _sigmoid(x, beta))


# --- PyTorch's numbers ------------------------------------------------------------------------
# Computed with torch 2.13.0 (CPU) in float64: for GOLDEN[name] = (torch expression, values,
# derivatives), x = torch.tensor(X, requires_grad=True), y = <expression>, and the derivatives are
# torch.autograd.grad(y.sum(), x). The rows of our own activations (gelu_sigmoid, hard_logistic,
# hard_tanh, swish) are those formulas composed from torch's functions. The Jacobians of softmax
# and log_softmax are torch.autograd.functional.jacobian; maxout is compared with torch.amax.

# fmt: off
X = [-1000.0, -20.5, -3.0, -2.0, -1.0, -0.3, 0.0, 0.7, 1.0, 2.0, 2.5, 3.0, 25.0, 1000.0]
GOLDEN: dict[str, tuple[str, list[float], list[float]]] = {
    'sigmoid': ('torch.sigmoid(x)',
        [0.0, 1.2501528648238605e-09, 0.04742587317756678, 0.11920292202211755, 0.2689414213699951, 0.425557483188341, 0.5, 0.6681877721681662, 0.7310585786300049, 0.8807970779778823, 0.9241418199787566, 0.9525741268224334, 0.999999999986112, 1.0],
        [0.0, 1.2501528632609782e-09, 0.04517665973091214, 0.1049935854035065, 0.19661193324148185, 0.24445831169074586, 0.25, 0.22171287329310904, 0.19661193324148185, 0.10499358540350662, 0.07010371654510807, 0.045176659730912, 1.3888001859448131e-11, 0.0]),
    'tanh': ('torch.tanh(x)',
        [-1.0, -1.0, -0.9950547536867305, -0.9640275800758169, -0.7615941559557649, -0.2913126124515909, 0.0, 0.6043677771171635, 0.7615941559557649, 0.9640275800758169, 0.9866142981514303, 0.9950547536867305, 1.0, 1.0],
        [0.0, 0.0, 0.009866037165440166, 0.07065082485316443, 0.41997434161402614, 0.9151369618266292, 1.0, 0.6347395899824586, 0.41997434161402614, 0.07065082485316443, 0.02659222668316057, 0.009866037165440166, 0.0, 0.0]),
    'hardsigmoid': ('F.hardsigmoid(x)',
        [0.0, 0.0, 0.0, 0.16666666666666666, 0.3333333333333333, 0.45, 0.5, 0.6166666666666667, 0.6666666666666666, 0.8333333333333334, 0.9166666666666666, 1.0, 1.0, 1.0],
        [0.0, 0.0, 0.0, 0.1666666716337204, 0.1666666716337204, 0.1666666716337204, 0.1666666716337204, 0.1666666716337204, 0.1666666716337204, 0.1666666716337204, 0.1666666716337204, 0.0, 0.0, 0.0]),
    'hardtanh': ('F.hardtanh(x)',
        [-1.0, -1.0, -1.0, -1.0, -1.0, -0.3, 0.0, 0.7, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0],
        [0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]),
    'hardtanh_m2_2p5': ('F.hardtanh(x, -2.0, 2.5)',
        [-2.0, -2.0, -2.0, -2.0, -1.0, -0.3, 0.0, 0.7, 1.0, 2.0, 2.5, 2.5, 2.5, 2.5],
        [0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0]),
    'relu': ('F.relu(x)',
        [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.7, 1.0, 2.0, 2.5, 3.0, 25.0, 1000.0],
        [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]),
    'leaky_relu': ('F.leaky_relu(x)',
        [-10.0, -0.20500000000000002, -0.03, -0.02, -0.01, -0.003, 0.0, 0.7, 1.0, 2.0, 2.5, 3.0, 25.0, 1000.0],
        [0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]),
    'leaky_relu_0p2': ('F.leaky_relu(x, 0.2)',
        [-200.0, -4.1000000000000005, -0.6000000000000001, -0.4, -0.2, -0.06, 0.0, 0.7, 1.0, 2.0, 2.5, 3.0, 25.0, 1000.0],
        [0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]),
    'elu': ('F.elu(x)',
        [-1.0, -0.9999999987498471, -0.950212931632136, -0.8646647167633873, -0.6321205588285577, -0.2591817793182821, 0.0, 0.7, 1.0, 2.0, 2.5, 3.0, 25.0, 1000.0],
        [0.0, 1.2501528663867426e-09, 0.049787068367863944, 0.1353352832366127, 0.36787944117144233, 0.7408182206817179, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]),
    'elu_0p5': ('F.elu(x, alpha=0.5)',
        [-0.5, -0.49999999937492356, -0.475106465816068, -0.43233235838169365, -0.31606027941427883, -0.12959088965914106, 0.0, 0.7, 1.0, 2.0, 2.5, 3.0, 25.0, 1000.0],
        [0.0, 6.250764331933713e-10, 0.024893534183931972, 0.06766764161830635, 0.18393972058572117, 0.37040911034085894, 0.5, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]),
    'softplus': ('F.softplus(x)',
        [0.0, 1.2501528656053015e-09, 0.04858735157374206, 0.1269280110429725, 0.31326168751822286, 0.5543552444685271, 0.6931471805599453, 1.103186048885458, 1.3132616875182228, 2.1269280110429727, 2.5788897342925496, 3.048587351573742, 25.0, 1000.0],
        [0.0, 1.2501528648238603e-09, 0.04742587317756679, 0.11920292202211755, 0.2689414213699951, 0.425557483188341, 0.5, 0.6681877721681662, 0.7310585786300049, 0.8807970779778824, 0.9241418199787564, 0.9525741268224333, 1.0, 1.0]),
    'softplus_b2_t5': ('F.softplus(x, beta=2.0, threshold=5.0)',
        [0.0, 7.814410946674944e-19, 0.0012378425688652247, 0.009074963958904869, 0.06346400552148625, 0.2187439752429428, 0.34657359027997264, 0.8102087049592255, 1.0634640055214863, 2.0090749639589047, 2.503357674244559, 3.0, 25.0, 1000.0],
        [0.0, 1.5628821893349888e-18, 0.0024726231566347748, 0.017986209962091555, 0.11920292202211755, 0.3543436937742045, 0.5, 0.8021838885585817, 0.8807970779778824, 0.9820137900379085, 0.9933071490757152, 1.0, 1.0, 1.0]),
    'silu': ('F.silu(x)',
        [-0.0, -2.562813372888914e-08, -0.14227761953270035, -0.2384058440442351, -0.2689414213699951, -0.1276672449565023, 0.0, 0.46773144051771626, 0.7310585786300049, 1.7615941559557646, 2.3103545499468914, 2.8577223804672998, 24.9999999996528, 1000.0],
        [-0.0, -2.4377980832026195e-08, -0.08810410601516962, -0.09078424878489547, 0.07232948812851325, 0.3522199896811173, 0.5, 0.8233867834733425, 0.9276705118714869, 1.0907842487848955, 1.0994011113415267, 1.0881041060151693, 1.000000000333312, 1.0]),
    'gelu': ('F.gelu(x)',
        [-0.0, -0.0, -0.00404969409489031, -0.04550026389635842, -0.15865525393145702, -0.1146265733433142, 0.0, 0.5306254434438489, 0.841344746068543, 1.9544997361036416, 2.4844758366855597, 2.99595030590511, 25.0, 1000.0],
        [0.0, -4.5345679794316694e-91, -0.01194564720418392, -0.08523180107819692, -0.08331547058768635, 0.26767223317289013, 0.5, 0.9766141011336599, 1.0833154705876864, 1.085231801078197, 1.037611085908145, 1.011945647204184, 1.0, 1.0]),
    'gelu_tanh': ("F.gelu(x, approximate='tanh')",
        [-0.0, -0.0, -0.0036373920817729943, -0.04540230591222494, -0.15880800939172324, -0.11462907645724074, 0.0, 0.5305701347051167, 0.8411919906082768, 1.954597694087775, 2.484915733910001, 2.996362607918227, 25.0, 1000.0],
        [0.0, 0.0, -0.011584166630969648, -0.0860992566236183, -0.08296408384578252, 0.26770454836119817, 0.5, 0.976357218656104, 1.0829640838457826, 1.0860992566236183, 1.037951576212666, 1.0115841666309695, 1.0, 1.0]),
    'logsigmoid': ('F.logsigmoid(x)',
        [-1000.0, -20.500000001250154, -3.048587351573742, -2.1269280110429727, -1.3132616875182228, -0.8543552444685272, -0.6931471805599453, -0.4031860488854579, -0.31326168751822286, -0.1269280110429725, -0.07888973429254963, -0.04858735157374206, -1.3887943864867583e-11, 0.0],
        [1.0, 0.9999999987498471, 0.9525741268224333, 0.8807970779778824, 0.7310585786300049, 0.5744425168116589, 0.5, 0.33181222783183395, 0.2689414213699951, 0.11920292202211755, 0.07585818002124356, 0.04742587317756679, 1.3887943864771146e-11, 0.0]),
    'gelu_sigmoid': ('x * torch.sigmoid(1.702 * x)',
        [-0.0, -1.4414019092116696e-14, -0.01807130970778597, -0.06434137685579186, -0.1542042340671787, -0.11251586461840829, 0.0, 0.5368939517231501, 0.8457957659328212, 1.9356586231442083, 2.46501383495143, 2.981928690292214, 25.0, 1000.0],
        [0.0, -2.3829537612240325e-14, -0.024548323905652352, -0.07381535430854194, -0.06777960655633403, 0.2553742580941275, 0.5, 0.9799131420008385, 1.067779606556334, 1.0738153543085418, 1.0447186660813743, 1.0245483239056525, 1.0, 1.0]),
    'hard_logistic': ('F.hardtanh(0.25 * x + 0.5, 0.0, 1.0)',
        [0.0, 0.0, 0.0, 0.0, 0.25, 0.425, 0.5, 0.675, 0.75, 1.0, 1.0, 1.0, 1.0, 1.0],
        [0.0, 0.0, 0.0, 0.0, 0.25, 0.25, 0.25, 0.25, 0.25, 0.0, 0.0, 0.0, 0.0, 0.0]),
    'hard_tanh': ('F.hardtanh(x, -1.0, 1.0)',
        [-1.0, -1.0, -1.0, -1.0, -1.0, -0.3, 0.0, 0.7, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0],
        [0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]),
    'swish': ('x * torch.sigmoid(x)',
        [-0.0, -2.562813372888914e-08, -0.14227761953270035, -0.2384058440442351, -0.2689414213699951, -0.1276672449565023, 0.0, 0.46773144051771626, 0.7310585786300049, 1.7615941559557646, 2.3103545499468914, 2.8577223804673, 24.9999999996528, 1000.0],
        [0.0, -2.4377980832026195e-08, -0.08810410601516963, -0.09078424878489547, 0.07232948812851325, 0.3522199896811173, 0.5, 0.8233867834733425, 0.9276705118714867, 1.0907842487848955, 1.0994011113415267, 1.0881041060151695, 1.000000000333312, 1.0]),
    'swish_2': ('x * torch.sigmoid(2.0 * x)',
        [-0.0, -3.203908488136727e-17, -0.007417869469904323, -0.03597241992418312, -0.11920292202211755, -0.10630310813226136, 0.0, 0.5615287219910071, 0.8807970779778823, 1.964027580075817, 2.483267872689288, 2.992582130530096, 25.0, 1000.0],
        [0.0, -6.251528757339955e-17, -0.012326432591525513, -0.05266461489107291, -0.09078424878489547, 0.21707314950021017, 0.5, 1.0243427450524423, 1.0907842487848955, 1.0526646148910728, 1.0265474324296655, 1.0123264325915249, 1.0, 1.0]),
}
PRELU_X = [-2.0, 0.0, 1.5, -0.5]
PRELU_PER_UNIT = ([0.25, -0.1, 0.3, 2.0], [-0.5, -0.0, 1.5, -1.0], [0.25, -0.1, 1.0, 2.0], [-2.0, 0.0, 0.0, -0.5])
PRELU_SHARED = ([0.25], [-0.5, 0.0, 1.5, -0.125], [0.25, 0.25, 1.0, 0.25], [-2.5])
SWISH_BETA = (1.5, [-0.09485174635513356, 0.0, 1.3569758026513359, -0.1604106504123035], [-0.08810410601516963, 0.5, 1.0987309100966571, 0.15740005550324648], 0.42926076235986865)
SOFTMAX = [
    ([1.0, 2.0, 3.0], [0.09003057317038045, 0.2447284710547976, 0.6652409557748218],
     [[0.08192506906499322, -0.02203304452017429, -0.059892024544818914], [-0.02203304452017429, 0.18483644650997869, -0.16280340198980436], [-0.059892024544818914, -0.16280340198980436, 0.2226954265346234]]),
    ([1000.0, -1000.0, 0.0], [1.0, 0.0, 0.0],
     [[0.0, -0.0, -0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]),
    ([-0.5, 0.25, 0.25, 3.0], [0.026075991912759403, 0.055202875312503626, 0.055202875312503626, 0.8635182574622333],
     [[0.025396034558525106, -0.0014394697302099102, -0.0014394697302099102, -0.02251709509810529], [-0.0014394697302099102, 0.0521555178697358, -0.003047357442767822, -0.04766869069675807], [-0.0014394697302099102, -0.003047357442767822, 0.0521555178697358, -0.04766869069675807], [-0.02251709509810529, -0.04766869069675807, -0.04766869069675807, 0.11785447649162145]]),
]
LOG_SOFTMAX = [
    ([1.0, 2.0, 3.0], [-2.4076059644443806, -1.4076059644443804, -0.4076059644443804],
     [[0.9099694268296196, -0.24472847105479764, -0.6652409557748218], [-0.09003057317038043, 0.7552715289452023, -0.6652409557748218], [-0.09003057317038043, -0.24472847105479764, 0.3347590442251782]]),
    ([1000.0, -1000.0, 0.0], [0.0, -2000.0, -1000.0],
     [[0.0, 0.0, 0.0], [-1.0, 1.0, 0.0], [-1.0, 0.0, 1.0]]),
    ([-0.5, 0.25, 0.25, 3.0], [-3.646740238061041, -2.896740238061041, -2.896740238061041, -0.1467402380610411],
     [[0.9739240080872406, -0.05520287531250363, -0.05520287531250363, -0.8635182574622333], [-0.026075991912759406, 0.9447971246874963, -0.05520287531250363, -0.8635182574622333], [-0.026075991912759406, -0.05520287531250363, 0.9447971246874963, -0.8635182574622333], [-0.026075991912759406, -0.05520287531250363, -0.05520287531250363, 0.13648174253776668]]),
]
MAXOUT = [
    ([0.5, -1.0, 2.0], 2.0, [0.0, 0.0, 1.0]),
    ([1.5, 1.5, -3.0], 1.5, [0.5, 0.5, 0.0]),
    ([-7.0], -7.0, [1.0]),
]
# fmt: on


#: Where we knowingly differ from PyTorch, with the reason (nowhere, at present).
GRAD_TOL: dict[str, float] = {}


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_values_and_derivatives_match_pytorch(name):
    _, values, derivatives = GOLDEN[name]
    tol = GRAD_TOL.get(name, TOL)
    for x, value, derivative in zip(X, values, derivatives, strict=True):
        v = Value(x)
        y = ROWS[name].call(v)
        assert close(y.data, value), (x, y.data, value)
        assert close(grad(y, [v])[0], derivative, tol), (x, grad(y, [v])[0], derivative)


def test_hardsigmoid_slope_is_pytorchs_float32_sixth():
    float32_sixth = struct.unpack("f", struct.pack("f", 1.0 / 6.0))[0]
    assert GOLDEN["hardsigmoid"][2][6] == float32_sixth  # PyTorch's slope at x = 0
    x = Value(0.0)
    assert grad(F.hardsigmoid(x), [x]) == [float32_sixth]


def test_prelu_matches_pytorch_per_unit_and_shared():
    for weights, values, dx, dw in (PRELU_PER_UNIT, PRELU_SHARED):
        xs = [Value(x) for x in PRELU_X]
        ws = [Value(w) for w in weights]
        out = F.prelu(xs, ws)
        total = sum(out[1:], out[0])
        grads = grad(total, xs + ws)
        assert all(close(a.data, b) for a, b in zip(out, values, strict=True))
        assert all(close(a, b) for a, b in zip(grads, dx + dw, strict=True))


def test_prelu_module_matches_pytorch():
    m = A.PReLU(4)
    for w, value in zip(m.weight, PRELU_PER_UNIT[0], strict=True):
        w.data = value
    xs = [Value(x) for x in PRELU_X]
    out = m(xs)
    sum(out[1:], out[0]).backward()
    assert [x.grad for x in xs] == pytest.approx(PRELU_PER_UNIT[2], rel=TOL, abs=TOL)
    assert [w.grad for w in m.weight] == pytest.approx(PRELU_PER_UNIT[3], rel=TOL, abs=TOL)


def test_swish_with_learnable_beta_matches_pytorch():
    beta, values, dx, dbeta = SWISH_BETA
    m = A.Swish(beta, learnable=True)
    xs = [Value(x) for x in PRELU_X]
    out = m(xs)
    sum(out[1:], out[0]).backward()
    assert [o.data for o in out] == pytest.approx(values, rel=TOL, abs=TOL)
    assert [x.grad for x in xs] == pytest.approx(dx, rel=TOL, abs=TOL)
    assert close(m.beta.grad, dbeta)


@pytest.mark.parametrize("name, fn, cases", [
    ("softmax", F.softmax, SOFTMAX), ("log_softmax", F.log_softmax, LOG_SOFTMAX),
])
def test_softmax_and_log_softmax_match_pytorch(name, fn, cases):
    for xs, values, jac in cases:
        assert all(close(a.data, b) for a, b in zip(fn(xs), values, strict=True)), name
        ours = jacobian(lambda *v: fn(list(v)), xs)
        for row, expected in zip(ours, jac, strict=True):
            assert all(close(a, b) for a, b in zip(row, expected, strict=True)), (name, xs)


def test_maxout_matches_pytorch_amax_without_three_way_ties():
    for pieces, value, grads in MAXOUT:
        vs = [Value(p) for p in pieces]
        out = F.maxout(vs)
        assert out.data == value and grad(out, vs) == grads


# --- conventions at kinks (PyTorch's) ---------------------------------------------------------


def _d(f: Callable, x: float) -> float:
    v = Value(x)
    return grad(f(v), [v])[0]


def test_relu_derivative_at_zero_is_zero():
    assert _d(F.relu, 0.0) == 0.0
    assert _d(A.ReLU(), 0.0) == 0.0


def test_leaky_relu_prelu_and_elu_take_the_negative_branch_at_zero():
    assert _d(F.leaky_relu, 0.0) == 0.01
    assert _d(lambda x: F.leaky_relu(x, 0.2), 0.0) == 0.2
    x, a = Value(0.0), Value(0.25)
    assert grad(F.prelu(x, a), [x, a]) == [0.25, 0.0]
    assert _d(A.PReLU(), 0.0) == 0.25
    assert _d(F.elu, 0.0) == 1.0
    assert _d(lambda x: F.elu(x, alpha=0.5), 0.0) == 0.5


@pytest.mark.parametrize("f, corners, slope", [
    (F.hardtanh, (-1.0, 1.0), 1.0),
    (lambda x: F.hardtanh(x, -2.0, 2.5), (-2.0, 2.5), 1.0),
    (F.hard_tanh, (-1.0, 1.0), 1.0),
    (F.hardsigmoid, (-3.0, 3.0), 0.1666666716337204),  # PyTorch's float32 sixth
    (F.hard_logistic, (-2.0, 2.0), 0.25),
])
def test_hard_activations_have_zero_gradient_at_the_corners(f, corners, slope):
    lo, hi = corners
    assert _d(f, lo) == 0.0 and _d(f, hi) == 0.0
    assert _d(f, lo + 1e-9) == slope and _d(f, hi - 1e-9) == slope
    assert _d(f, lo - 1.0) == 0.0 and _d(f, hi + 1.0) == 0.0


def test_softplus_switches_to_the_identity_above_the_threshold():
    assert _d(F.softplus, 20.0) == pytest.approx(1.0 / (1.0 + math.exp(-20.0)), rel=TOL)
    assert F.softplus(20.5).data == 20.5 and _d(F.softplus, 20.5) == 1.0
    assert F.softplus(3.0, beta=2.0, threshold=5.0).data == 3.0


def test_maxout_ties_split_as_the_fold_of_maximum():
    a, b = Value(1.0), Value(1.0)
    assert grad(F.maxout([a, b, -2.0]), [a, b]) == [0.5, 0.5]
    a, b, c = Value(1.0), Value(1.0), Value(1.0)
    assert grad(F.maxout([a, b, c]), [a, b, c]) == [0.25, 0.25, 0.5]


# --- stability at large magnitudes ------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(ROWS))
@pytest.mark.parametrize("x", [-1000.0, 1000.0, -1e6, 1e6])
def test_no_overflow_at_large_inputs(name, x):
    v = Value(x)
    y = ROWS[name].call(v)
    assert math.isfinite(y.data) and math.isfinite(grad(y, [v])[0])


def test_limits_at_plus_and_minus_1000():
    assert F.sigmoid(-1000.0).data == 0.0 and F.sigmoid(1000.0).data == 1.0
    assert F.softplus(1000.0).data == 1000.0 and F.softplus(-1000.0).data == 0.0
    assert F.logsigmoid(-1000.0).data == -1000.0 and F.logsigmoid(1000.0).data == 0.0
    assert F.elu(-1000.0).data == -1.0 and F.silu(-1000.0).data == 0.0
    assert F.gelu(-1000.0).data == 0.0 and F.gelu(1000.0, approximate="tanh").data == 1000.0
    assert [p.data for p in F.softmax([1000.0, -1000.0])] == [1.0, 0.0]
    assert [p.data for p in F.log_softmax([1000.0, -1000.0])] == [0.0, -2000.0]
    xs = [Value(1000.0), Value(-1000.0), Value(999.0)]
    assert all(math.isfinite(g) for g in grad(F.log_softmax(xs)[1], xs))


# --- shapes and numbers -----------------------------------------------------------------------


def test_numbers_become_values_and_shapes_are_kept():
    assert isinstance(F.relu(2), Value) and F.relu(2).data == 2.0
    out = F.tanh([0.0, (1.0, Value(-1.0)), [[2.0]]])
    assert isinstance(out, list) and isinstance(out[1], tuple) and isinstance(out[2][0], list)
    assert [out[0].data, out[1][0].data, out[2][0][0].data] == [0.0, math.tanh(1.0), math.tanh(2.0)]
    assert F.relu([]) == []


def test_softmax_works_row_by_row_on_a_batch():
    batch = F.softmax([[1.0, 2.0], [3.0, 3.0]])
    assert [p.data for p in batch[1]] == [0.5, 0.5]
    assert batch[0][1].data == pytest.approx(_sigmoid(1.0), rel=TOL)
    assert len(F.log_softmax([[0.0], [1.0], [2.0]])) == 3


def test_prelu_per_unit_slopes_apply_to_every_sample_of_a_batch():
    out = F.prelu([[-1.0, -1.0], [-2.0, 3.0]], [0.5, 0.1])
    assert [[v.data for v in row] for row in out] == [[-0.5, -0.1], [-1.0, 3.0]]


def test_one_node_per_activation():
    x = Value(0.5)
    assert F.relu(x).op == "relu" and F.relu(x)._prev == (x,)
    assert F.sigmoid(x).op == "sigmoid"


# --- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [*ELEMENTWISE_FUNCTIONS, "softmax", "log_softmax", "maxout"])
def test_a_string_is_a_type_error_naming_the_function_and_the_value(name):
    fn = getattr(F, name)
    arg = ["abc"] if name in ("softmax", "log_softmax", "maxout") else "abc"
    with pytest.raises(TypeError, match=rf"^{name}: .*str 'abc'"):
        fn(arg)
    with pytest.raises(TypeError, match=rf"^{name}: .*NoneType None"):
        fn([1.0, None])


@pytest.mark.parametrize("call, error, pattern", [
    (lambda: F.leaky_relu(1.0, "0.1"), TypeError,
     r"^leaky_relu: negative_slope must be a real number, got str '0.1'"),
    (lambda: F.elu(1.0, alpha=None), TypeError, r"^elu: alpha must be a real number"),
    (lambda: F.hardtanh(1.0, 1.0, -1.0), ValueError,
     r"^hardtanh: min_val must be below max_val, got 1.0 and -1.0"),
    (lambda: F.softplus(1.0, beta=0), ValueError, r"^softplus: beta must be non-zero"),
    (lambda: F.gelu(1.0, approximate="erf"), ValueError, r"^gelu: approximate must be .*got 'erf'"),
    (lambda: F.swish(1.0, beta="2"), TypeError, r"^swish: beta must be a real number, got str '2'"),
    (lambda: F.prelu([1.0, 2.0], [0.1, 0.2, 0.3]), ValueError, r"^prelu: 3 slopes .* length 2"),
    (lambda: F.prelu(1.0, [0.1, 0.2]), ValueError, r"^prelu: 2 slopes .*float 1.0"),
    (lambda: F.prelu(1.0, []), ValueError, r"^prelu: weight is an empty list"),
    (lambda: F.prelu(1.0, "a"), TypeError, r"^prelu: .*str 'a'"),
    (lambda: F.softmax(Value(1.0)), TypeError, r"^softmax: expected a list .*got Value"),
    (lambda: F.log_softmax([]), ValueError, r"^log_softmax: needs at least one value"),
    (lambda: F.maxout([]), ValueError, r"^maxout: needs at least one value"),
    (lambda: F.maxout(3.0), TypeError, r"^maxout: expected a list .*float 3.0"),
])
def test_bad_arguments_raise_naming_the_function_and_the_value(call, error, pattern):
    with pytest.raises(error, match=pattern):
        call()


@pytest.mark.parametrize("call, pattern", [
    (lambda: A.PReLU(0), r"^PReLU: num_parameters must be a positive integer, got 0"),
    (lambda: A.PReLU(2.0), r"^PReLU: num_parameters must be a positive integer, got 2.0"),
    (lambda: A.GELU("exact"), r"^GELU: approximate must be .*got 'exact'"),
    (lambda: A.Hardtanh(1.0, 1.0), r"^Hardtanh: min_val must be below max_val"),
    (lambda: A.Softplus(beta=0.0), r"^Softplus: beta must be non-zero"),
    (lambda: A.get_activation("swishy"),
     r"^get_activation: unknown activation 'swishy'; known: elu, gelu, "),
])
def test_bad_module_arguments_raise_value_errors(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call()


def test_bad_module_argument_types_raise_type_errors():
    with pytest.raises(TypeError, match=r"^LeakyReLU: negative_slope must be a real number"):
        A.LeakyReLU("0.1")
    with pytest.raises(TypeError, match=r"^get_activation: expected an activation name.*got int"):
        A.get_activation(3)
    with pytest.raises(ValueError, match=r"^prelu: 3 slopes"):
        A.PReLU(3)([1.0, 2.0])


# --- modules ----------------------------------------------------------------------------------

MODULES = [
    (A.Sigmoid(), F.sigmoid, "Sigmoid()"),
    (A.Tanh(), F.tanh, "Tanh()"),
    (A.Hardsigmoid(), F.hardsigmoid, "Hardsigmoid()"),
    (A.Hardtanh(), F.hardtanh, "Hardtanh(min_val=-1.0, max_val=1.0)"),
    (A.Hardtanh(-2, 2.5), lambda x: F.hardtanh(x, -2.0, 2.5),
     "Hardtanh(min_val=-2.0, max_val=2.5)"),
    (A.ReLU(), F.relu, "ReLU()"),
    (A.LeakyReLU(), F.leaky_relu, "LeakyReLU(negative_slope=0.01)"),
    (A.LeakyReLU(0.2), lambda x: F.leaky_relu(x, 0.2), "LeakyReLU(negative_slope=0.2)"),
    (A.PReLU(), lambda x: F.prelu(x, 0.25), "PReLU(num_parameters=1)"),
    (A.ELU(), F.elu, "ELU(alpha=1.0)"),
    (A.ELU(0.5), lambda x: F.elu(x, 0.5), "ELU(alpha=0.5)"),
    (A.Softplus(), F.softplus, "Softplus(beta=1.0, threshold=20.0)"),
    (A.Softplus(2, 5), lambda x: F.softplus(x, 2.0, 5.0), "Softplus(beta=2.0, threshold=5.0)"),
    (A.SiLU(), F.silu, "SiLU()"),
    (A.GELU(), F.gelu, "GELU(approximate='none')"),
    (A.GELU("tanh"), lambda x: F.gelu(x, "tanh"), "GELU(approximate='tanh')"),
    (A.GELU("sigmoid"), lambda x: F.gelu(x, "sigmoid"), "GELU(approximate='sigmoid')"),
    (A.LogSigmoid(), F.logsigmoid, "LogSigmoid()"),
    (A.HardLogistic(), F.hard_logistic, "HardLogistic()"),
    (A.Swish(), F.swish, "Swish(beta=1.0, learnable=False)"),
    (A.Swish(2.0, learnable=True), lambda x: F.swish(x, 2.0), "Swish(beta=2.0, learnable=True)"),
    (A.Softmax(), F.softmax, "Softmax()"),
    (A.LogSoftmax(), F.log_softmax, "LogSoftmax()"),
]


@pytest.mark.parametrize("module, fn, text", MODULES, ids=[t for _, _, t in MODULES])
def test_module_repr_and_output_match_the_function(module, fn, text):
    assert repr(module) == text
    xs = [-2.0, -0.5, 0.0, 0.75, 3.0]
    assert [v.data for v in module(xs)] == [v.data for v in fn(xs)]
    if not isinstance(module, (A.Softmax, A.LogSoftmax)):
        assert module(0.75).data == fn(0.75).data
        assert [[v.data for v in row] for row in module([xs, xs])] == [[v.data for v in fn(xs)]] * 2


def test_every_activation_class_is_registered_and_tested():
    classes = {c for c in vars(A).values() if isinstance(c, type) and issubclass(c, Module)}
    assert classes - {Module} == set(A.ACTIVATIONS.values())
    assert {type(m) for m, _, _ in MODULES} == set(A.ACTIVATIONS.values())
    assert all(name == name.lower() for name in A.ACTIVATIONS)


def test_the_course_hard_tanh_is_hardtanh_with_its_defaults():
    m = A.get_activation("hard_tanh")
    assert type(m) is A.Hardtanh and repr(m) == "Hardtanh(min_val=-1.0, max_val=1.0)"
    xs = [Value(x) for x in (-2.0, -1.0, -0.5, 0.0, 0.75, 1.0, 3.0)]
    ys, want = m(xs), F.hard_tanh([Value(x.data) for x in xs])
    assert [y.data for y in ys] == [w.data for w in want]
    sum(ys).backward()
    assert [x.grad for x in xs] == [0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 0.0]  # 0 at the corners


def test_no_two_public_names_differ_only_in_case():
    for package in (nn, A):
        names = [n for n in getattr(package, "__all__", dir(package)) if not n.startswith("_")]
        lowered = [n.lower() for n in names]
        clashes = sorted(n for n in names if lowered.count(n.lower()) > 1)
        assert clashes == [], f"{package.__name__}: {clashes}"


def test_get_activation_makes_new_modules_from_names_and_classes():
    relu = A.get_activation("ReLU")
    assert isinstance(relu, A.ReLU) and relu is not A.get_activation("relu")
    assert isinstance(A.get_activation(A.GELU), A.GELU)
    m = A.PReLU(3)
    assert A.get_activation(m) is m
    assert A.get_activation("prelu").weight[0] is not A.get_activation("prelu").weight[0]
    for name, cls in A.ACTIVATIONS.items():
        assert type(A.get_activation(name)) is cls


def test_parameters_of_prelu_and_learnable_swish():
    m = A.PReLU(3, init=0.1)
    assert [name for name, _ in m.named_parameters()] == ["weight.0", "weight.1", "weight.2"]
    assert [p.data for p in m.parameters()] == [0.1, 0.1, 0.1]
    s = A.Swish(1.5, learnable=True)
    assert [name for name, _ in s.named_parameters()] == ["beta"]
    assert s.state_dict() == {"beta": 1.5}
    assert A.Swish(1.5).parameters() == [] and A.LeakyReLU().parameters() == []


def test_learnable_slopes_train():
    m = A.PReLU()
    y = m([-2.0, 1.0, -1.0])
    (y[0] + y[1] + y[2]).backward()
    assert m.weight[0].grad == -3.0
    m.zero_grad()
    assert m.weight[0].grad == 0.0
