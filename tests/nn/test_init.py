"""nn.init: PyTorch's gains, exact bounds and sample statistics of every initialiser, seeds."""

import math
import statistics

import numpy as np
import pytest

from autograd import Value
from nn import init
from nn.random import manual_seed

# calculate_gain(*args) computed with torch 2.13.0 (torch.nn.init.calculate_gain).
TORCH_GAINS = {
    ("linear",): 1.0,
    ("conv2d",): 1.0,
    ("sigmoid",): 1.0,
    ("tanh",): 1.6666666666666667,
    ("relu",): 1.4142135623730951,
    ("leaky_relu",): 1.4141428569978354,
    ("leaky_relu", 0.2): 1.3867504905630728,
    ("leaky_relu", 0): 1.4142135623730951,
    ("selu",): 0.75,
}

ROWS, COLS = 200, 100  # fan_out, fan_in: 20,000 draws per matrix


def matrix(rows=ROWS, cols=COLS):
    return [[Value(0.0) for _ in range(cols)] for _ in range(rows)]


def values(weights):
    return [v.data for row in weights for v in row]


def assert_uniform(xs, low, high):
    """Every x in [low, high), the ends nearly reached, mean and std those of U(low, high)."""
    assert min(xs) >= low and max(xs) < high
    width = high - low
    assert min(xs) < low + 0.01 * width and max(xs) > high - 0.01 * width
    std = width / math.sqrt(12)
    assert abs(statistics.fmean(xs) - (low + high) / 2) < 4 * std / math.sqrt(len(xs))
    assert statistics.pstdev(xs) == pytest.approx(std, rel=0.02)


def assert_normal(xs, mean, std):
    assert abs(statistics.fmean(xs) - mean) < 4 * std / math.sqrt(len(xs))
    assert statistics.pstdev(xs) == pytest.approx(std, rel=0.03)


# --------------------------------------------------------------------------- gains


@pytest.mark.parametrize(("args", "expected"), list(TORCH_GAINS.items()))
def test_calculate_gain_matches_torch(args, expected):
    assert abs(init.calculate_gain(*args) - expected) <= 1e-12


def test_calculate_gain_formulas():
    assert init.calculate_gain("leaky_relu", 0.3) == math.sqrt(2 / (1 + 0.3**2))
    assert init.calculate_gain("tanh", param=7) == 5 / 3  # param only matters for leaky_relu


@pytest.mark.parametrize("name", ["identity", "Tanh", "gelu", ""])
def test_calculate_gain_rejects_unknown_names(name):
    with pytest.raises(ValueError, match=f"unsupported nonlinearity '{name}'"):
        init.calculate_gain(name)


@pytest.mark.parametrize("param", [True, "0.1", [0.1]])
def test_calculate_gain_rejects_a_bad_slope(param):
    with pytest.raises(ValueError, match="negative_slope"):
        init.calculate_gain("leaky_relu", param)


# --------------------------------------------------------------------------- fans


def test_fan_in_fan_out_is_row_length_and_row_count():
    assert init.fan_in_fan_out(matrix(3, 5)) == (5, 3)


def test_fan_in_fan_out_rejects_ragged_and_flat_lists():
    with pytest.raises(ValueError, match="row 0 has 2, row 1 has 3"):
        init.fan_in_fan_out([[Value(0), Value(0)], [Value(0)] * 3])
    with pytest.raises(ValueError, match="flat list"):
        init.fan_in_fan_out([Value(0.0)] * 4)
    with pytest.raises(ValueError, match="non-empty"):
        init.fan_in_fan_out([])


# --------------------------------------------------------------------------- Xavier


def test_xavier_uniform_bound_and_statistics():
    w = init.xavier_uniform_(matrix(), gain=init.calculate_gain("tanh"), generator=1)
    bound = 5 / 3 * math.sqrt(6 / (COLS + ROWS))
    assert_uniform(values(w), -bound, bound)


def test_xavier_normal_statistics():
    w = init.xavier_normal_(matrix(), gain=2.0, generator=2)
    assert_normal(values(w), 0.0, 2.0 * math.sqrt(2 / (COLS + ROWS)))


def test_xavier_on_a_flat_list_needs_the_fans():
    flat = [Value(0.0) for _ in range(20_000)]
    init.xavier_uniform_(flat, fan_in=10, fan_out=30, generator=3)
    bound = math.sqrt(6 / 40)
    assert_uniform([v.data for v in flat], -bound, bound)
    with pytest.raises(ValueError, match="fan_in and fan_out are needed"):
        init.xavier_normal_(flat)


def test_given_fans_must_agree_with_the_rows():
    with pytest.raises(ValueError, match="disagree with the rows"):
        init.xavier_uniform_(matrix(2, 3), fan_in=2, fan_out=3)
    init.xavier_uniform_(matrix(2, 3), fan_in=3, fan_out=2)  # agreeing fans are fine


# --------------------------------------------------------------------------- Kaiming


def test_kaiming_uniform_defaults_are_the_relu_gain_over_fan_in():
    # a=0 with 'leaky_relu' is slope 0: gain sqrt(2), bound sqrt(6 / fan_in)
    w = init.kaiming_uniform_(matrix(), generator=4)
    assert_uniform(values(w), -math.sqrt(6 / COLS), math.sqrt(6 / COLS))


def test_kaiming_uniform_with_a_sqrt5_is_torch_linear_default():
    # nn.Linear's weights: kaiming_uniform_(a=sqrt(5)) gives the bound 1 / sqrt(fan_in)
    w = init.kaiming_uniform_(matrix(), a=math.sqrt(5), generator=5)
    assert_uniform(values(w), -1 / math.sqrt(COLS), 1 / math.sqrt(COLS))


def test_kaiming_uniform_fan_out_mode_and_tanh():
    w = init.kaiming_uniform_(matrix(), mode="fan_out", nonlinearity="tanh", generator=6)
    bound = 5 / 3 * math.sqrt(3 / ROWS)
    assert_uniform(values(w), -bound, bound)


def test_kaiming_normal_statistics():
    w = init.kaiming_normal_(matrix(), nonlinearity="relu", generator=7)
    assert_normal(values(w), 0.0, math.sqrt(2 / COLS))
    w = init.kaiming_normal_(matrix(), a=0.2, mode="FAN_OUT", generator=8)  # mode as torch: any case
    assert_normal(values(w), 0.0, math.sqrt(2 / (1 + 0.04)) / math.sqrt(ROWS))


@pytest.mark.parametrize("fn", [init.kaiming_uniform_, init.kaiming_normal_])
def test_kaiming_rejects_bad_mode_and_nonlinearity_naming_them(fn):
    with pytest.raises(ValueError, match="mode 'fan_avg' is not supported"):
        fn(matrix(2, 2), mode="fan_avg")
    with pytest.raises(ValueError, match="unsupported nonlinearity 'rectifier'"):
        fn(matrix(2, 2), nonlinearity="rectifier")


# --------------------------------------------------------------------------- plain fills


def test_uniform_and_normal_statistics():
    assert_uniform(values(init.uniform_(matrix(), -2.0, 3.0, generator=9)), -2.0, 3.0)
    assert_uniform(values(init.uniform_(matrix(), generator=9)), 0.0, 1.0)
    assert_normal(values(init.normal_(matrix(), 1.5, 0.5, generator=10)), 1.5, 0.5)


def test_constant_zeros_ones_set_every_value():
    w = matrix(3, 4)
    assert values(init.constant_(w, 2.5)) == [2.5] * 12
    assert values(init.zeros_(w)) == [0.0] * 12
    assert values(init.ones_(w)) == [1.0] * 12


def test_bad_arguments_are_value_errors():
    with pytest.raises(ValueError, match="a <= b"):
        init.uniform_(matrix(2, 2), 1.0, 0.0)
    with pytest.raises(ValueError, match="std >= 0"):
        init.normal_(matrix(2, 2), 0.0, -1.0)
    with pytest.raises(ValueError, match="gain"):
        init.xavier_uniform_(matrix(2, 2), gain=-1.0)
    with pytest.raises(ValueError, match="fan_in must be a positive int"):
        init.xavier_uniform_([Value(0.0)], fan_in=0, fan_out=1)


def test_non_values_are_type_errors():
    with pytest.raises(TypeError, match="expected Values, got float"):
        init.zeros_([1.0, 2.0])
    with pytest.raises(TypeError, match="expected a list"):
        init.ones_(Value(1.0))


# --------------------------------------------------------------------------- in place, seeds


def test_initialisers_fill_in_place_and_return_the_same_list():
    w = matrix(3, 4)
    before = [v for row in w for v in row]
    out = init.kaiming_normal_(w, generator=0)
    assert out is w
    after = [v for row in w for v in row]
    assert all(a is b for a, b in zip(before, after, strict=True))
    assert all(v.op == "" and v.grad == 0.0 for v in after)  # leaves, no graph recorded


def test_empty_lists_are_a_no_op():
    assert init.kaiming_uniform_([]) == []
    assert init.xavier_normal_([[], []]) == [[], []]


def test_same_seed_same_numbers_and_different_seeds_differ():
    def draw(seed):
        return values(init.xavier_uniform_(matrix(4, 5), generator=seed))

    assert draw(123) == draw(123)
    assert draw(123) != draw(124)


def test_a_generator_advances_between_calls():
    gen = np.random.default_rng(0)
    first = values(init.normal_(matrix(2, 3), generator=gen))
    second = values(init.normal_(matrix(2, 3), generator=gen))
    assert first != second
    assert first == values(init.normal_(matrix(2, 3), generator=np.random.default_rng(0)))


def test_manual_seed_makes_the_default_generator_reproducible():
    manual_seed(42)
    first = values(init.kaiming_uniform_(matrix(3, 3)))
    second = values(init.kaiming_uniform_(matrix(3, 3)))
    manual_seed(42)
    assert values(init.kaiming_uniform_(matrix(3, 3))) == first
    assert values(init.kaiming_uniform_(matrix(3, 3))) == second
    assert first != second
