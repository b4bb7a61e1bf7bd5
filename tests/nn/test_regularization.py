"""Dropout and BatchNorm1d: PyTorch's golden numbers, gradients vs finite differences, modes."""

import math
import statistics

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import Value
from autograd.testing import assert_gradients, floats_in
from nn.module import Module
from nn.random import manual_seed
from nn.regularization import BatchNorm1d, Dropout

# --------------------------------------------------------------------------- golden values
# Computed with torch 2.13.0 (CPU, float64): torch.nn.BatchNorm1d(3) with weight W and bias B,
# trained on X1 then X2; loss = sum(C * y + 0.1 * y**3) on the first batch's output y.

X1 = [[0.5, -1.2, 2.0], [1.5, 0.3, -0.7], [-0.8, 2.2, 0.1], [0.25, -0.4, 1.3]]
X2 = [[1.0, 0.0, -1.0], [2.0, -0.5, 0.5], [-1.5, 1.0, 0.0], [0.3, 0.7, -2.0], [0.9, -1.1, 1.7]]
W = [1.5, -0.5, 2.0]
B = [0.1, 0.2, -0.3]
C = [[0.3, -1.0, 0.5], [1.2, 0.4, -0.6], [-0.7, 0.9, 0.2], [0.1, -0.3, 1.1]]

TRAIN_OUT = [
    [0.3521196306680049, 0.766496739643321, 2.2360477361155766],
    [2.1857169446171314, 0.1701843821240358, -2.931747650685976],
    [-2.0315568774658597, -0.5851446040670588, -1.4005490175595898],
    [-0.10627969781927671, 0.44846348229970223, 0.8962489321299891],
]
LOSS = 5.003078576948757
GRAD_X = [
    [-1.2638895620455333, 0.06351199354225377, 0.7228396608471825],
    [1.299144956277424, -0.1121718797753772, 1.0536096298742046],
    [1.2456123122141172, 0.04973905016038662, -1.3343641709147327],
    [-1.2808677064460077, -0.0010791639272631707, -0.4420851198066555],
]
GRAD_WEIGHT = [2.9391192959709884, 2.651321379311361, 0.3007019787247279]
GRAD_BIAS = [3.611959655050683, 0.34799810352838534, 6.107956039326485]
RUNNING_MEAN_1 = [0.03625, 0.02250000000000001, 0.0675]
RUNNING_VAR_1 = [0.9892291666666667, 1.1109166666666668, 1.0455833333333333]
TRAIN_OUT_2 = [
    [0.6964231667523975, 0.2130231960862901, -1.6271574778920335],
    [1.9929952683880443, 0.538603098243543, 0.7427665897723121],
    [-2.5450070873367197, -0.4381366082282158, -0.047208099449136454],
    [-0.21117730439255536, -0.242788666933864, -3.2071068563349305],
    [0.5667659565888328, 0.9292989808322467, 2.6387058439037885],
]
RUNNING_MEAN_2 = [0.08662500000000001, 0.022250000000000006, 0.044750000000000005]
RUNNING_VAR_2 = [1.05760625, 1.073525, 1.141325]
# after the two batches, in eval mode, on X1; gradient of sum(C * y)
EVAL_OUT = [
    [0.7029362694010388, 0.7898233292917568, 3.36037619669787],
    [2.1615060169693217, 0.06596569465266074, -1.6942284477640908],
    [-1.1932044024377286, -0.8509206425568611, -0.19656781236795431],
    [0.33829383250896816, 0.40376592415090556, 2.0499231407262504],
]
EVAL_GRAD_X = [
    [0.4375709242704847, 0.48257175642606404, 0.9360378971225853],
    [1.7502836970819389, -0.19302870257042562, -1.1232454765471023],
    [-1.0209988232977976, -0.43431458078345764, 0.37441515884903415],
    [0.14585697475682827, 0.1447715269278192, 2.059283373669688],
]
# BatchNorm1d(3, momentum=None, affine=False) after X1 then X2 (cumulative moving average)
CMA_RUNNING_MEAN = [0.45125000000000004, 0.12250000000000003, 0.2575]
CMA_RUNNING_VAR = [1.2826458333333333, 1.4230833333333335, 1.7294166666666666]
# BatchNorm1d(3, affine=False, track_running_stats=False).eval() on X2: batch statistics
NO_STATS_EVAL_OUT = [
    [0.3976154445015983, -0.0260463921725802, -0.6635787389460168],
    [1.2619968455920294, -0.6772061964870861, 0.5213832948861561],
    [-1.7633380582244795, 1.2762732164564317, 0.12639595027543177],
    [-0.2074515362617035, 0.8855773338677281, -1.4535534281674654],
    [0.3111773043925552, -1.4585979616644933, 1.4693529219518942],
]
TOL = 1e-12


def close(actual, expected, tol=TOL):
    """Elementwise |a - e| <= tol over nested lists of Values or floats."""
    if isinstance(expected, list):
        return len(actual) == len(expected) and all(map(close, actual, expected, [tol] * len(actual)))
    a = actual.data if isinstance(actual, Value) else actual
    return abs(a - expected) <= tol


def torch_like_bn(**kwargs):
    bn = BatchNorm1d(3, **kwargs)
    for p, w in zip(bn.weight, W, strict=True):
        p.data = w
    for p, b in zip(bn.bias, B, strict=True):
        p.data = b
    return bn


def leaves(rows):
    return [[Value(x) for x in row] for row in rows]


# --------------------------------------------------------------------------- BatchNorm1d vs torch


def test_batchnorm_training_output_and_gradients_match_torch():
    bn = torch_like_bn()
    x = leaves(X1)
    y = bn(x)
    loss = sum(c * v + 0.1 * v**3 for c_row, y_row in zip(C, y, strict=True) for c, v in zip(c_row, y_row, strict=True))
    loss.backward()
    assert close(y, TRAIN_OUT)
    assert close(loss, LOSS)
    assert close([[v.grad for v in row] for row in x], GRAD_X)
    assert close([p.grad for p in bn.weight], GRAD_WEIGHT)
    assert close([p.grad for p in bn.bias], GRAD_BIAS)
    assert close(bn.running_mean, RUNNING_MEAN_1)
    assert close(bn.running_var, RUNNING_VAR_1)
    assert bn.num_batches_tracked == 1


def test_batchnorm_running_statistics_and_eval_match_torch():
    bn = torch_like_bn()
    bn(X1)
    assert close(bn(X2), TRAIN_OUT_2)  # plain numbers work as inputs too
    assert close(bn.running_mean, RUNNING_MEAN_2)
    assert close(bn.running_var, RUNNING_VAR_2)
    assert bn.num_batches_tracked == 2
    bn.eval()
    x = leaves(X1)
    y = bn(x)
    assert close(y, EVAL_OUT)
    sum(c * v for c_row, y_row in zip(C, y, strict=True) for c, v in zip(c_row, y_row, strict=True)).backward()
    assert close([[v.grad for v in row] for row in x], EVAL_GRAD_X)
    assert close(bn.running_mean, RUNNING_MEAN_2)  # eval leaves the statistics alone
    assert bn.num_batches_tracked == 2


def test_batchnorm_cumulative_moving_average_matches_torch():
    bn = BatchNorm1d(3, momentum=None, affine=False)
    bn(X1)
    bn(X2)
    assert close(bn.running_mean, CMA_RUNNING_MEAN)
    assert close(bn.running_var, CMA_RUNNING_VAR)


def test_batchnorm_without_running_stats_uses_the_batch_in_eval_too():
    bn = BatchNorm1d(3, affine=False, track_running_stats=False).eval()
    assert close(bn(X2), NO_STATS_EVAL_OUT)
    assert bn.running_mean is None and bn.state_dict() == {}
    with pytest.raises(ValueError, match="Expected more than 1 value per channel"):
        bn([X2[0]])


def test_batchnorm_repr_matches_torch():
    assert repr(BatchNorm1d(3)) == (
        "BatchNorm1d(3, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)"
    )
    assert repr(BatchNorm1d(3, momentum=None, affine=False, track_running_stats=False)) == (
        "BatchNorm1d(3, eps=1e-05, momentum=None, affine=False, bias=False, "
        "track_running_stats=False)"
    )


# --------------------------------------------------------------------------- BatchNorm1d gradients

SPREAD = (-1.0, 0.0, 1.0)  # keeps each feature's batch variance >= 0.24 whatever hypothesis draws


def _bn_on_leaves(bn, xs):
    """Outputs of ``bn`` on a 3 x 2 batch built from xs[:6]; xs[6:10] are weight and bias."""
    bn.weight, bn.bias = list(xs[6:8]), list(xs[8:10])
    batch = [[xs[2 * i] + SPREAD[i], xs[2 * i + 1] - SPREAD[i]] for i in range(3)]
    return [y for row in bn(batch) for y in row]


@given(
    st.lists(floats_in(-0.4, 0.4), min_size=6, max_size=6),
    st.lists(floats_in(-2.0, 2.0), min_size=4, max_size=4),
)
def test_batchnorm_training_gradients_match_finite_differences(x, affine):
    assert_gradients(lambda *xs: _bn_on_leaves(BatchNorm1d(2), xs), x + affine, dual=False)


@given(
    st.lists(floats_in(-2.0, 2.0), min_size=10, max_size=10),
    st.lists(floats_in(0.1, 3.0), min_size=2, max_size=2),
)
def test_batchnorm_eval_gradients_match_finite_differences(xs, running_var):
    def f(*leaves):
        bn = BatchNorm1d(2).eval()
        bn.running_mean, bn.running_var = [0.3, -0.2], list(running_var)
        return _bn_on_leaves(bn, leaves)

    assert_gradients(f, xs, dual=False)


# --------------------------------------------------------------------------- BatchNorm1d behaviour


def test_batchnorm_training_output_has_zero_mean_unit_variance_per_feature():
    y = BatchNorm1d(3)(X2)
    for j in range(3):
        column = [row[j].data for row in y]
        assert abs(statistics.fmean(column)) < 1e-12
        assert statistics.pvariance(column) == pytest.approx(1.0, rel=1e-4)  # eps = 1e-5


def test_batchnorm_batch_of_one_in_training_raises_and_changes_nothing():
    bn = BatchNorm1d(3)
    with pytest.raises(ValueError, match=r"Expected more than 1 value per channel when training"):
        bn([X1[0]])
    assert bn.num_batches_tracked == 0 and bn.running_mean == [0.0] * 3  # torch would count it
    bn.eval()
    assert close(bn([X1[0]]), [[x / math.sqrt(1 + 1e-5) for x in X1[0]]])  # eval: fine


def test_batchnorm_empty_batch_is_counted_but_moves_no_statistic():
    bn = BatchNorm1d(2)
    assert bn([]) == []
    assert bn.num_batches_tracked == 1 and bn.running_var == [1.0, 1.0]


def test_batchnorm_parameters_buffers_and_state_dict():
    bn = BatchNorm1d(2)
    names = [name for name, _ in bn.named_parameters()]
    assert names == ["weight.0", "weight.1", "bias.0", "bias.1"]
    assert [p.data for p in bn.parameters()] == [1.0, 1.0, 0.0, 0.0]
    assert BatchNorm1d(2, affine=False).parameters() == []
    assert BatchNorm1d(2, bias=False).bias is None
    bn([[1.0, 2.0], [3.0, -1.0], [0.0, 0.5]])
    state = bn.state_dict()
    assert state["num_batches_tracked"] == 1
    assert state["running_mean.1"] == bn.running_mean[1]
    other = BatchNorm1d(2)
    other.load_state_dict(state)
    assert other.running_mean == bn.running_mean and other.running_var == bn.running_var
    other([[1.0, 2.0], [3.0, -1.0]])  # training continues from the loaded count
    assert other.num_batches_tracked == 2 and isinstance(other.num_batches_tracked, int)


def test_batchnorm_rejects_bad_arguments_and_batches():
    with pytest.raises(ValueError, match="num_features"):
        BatchNorm1d(0)
    with pytest.raises(ValueError, match="eps"):
        BatchNorm1d(2, eps=-1.0)
    with pytest.raises(ValueError, match="momentum"):
        BatchNorm1d(2, momentum=1.5)
    bn = BatchNorm1d(3)
    with pytest.raises(ValueError, match="expected 3 features per sample, sample 1 has 2"):
        bn([[1.0, 2.0, 3.0], [1.0, 2.0]])
    with pytest.raises(TypeError, match="item 0 is a Value"):
        bn([Value(1.0), Value(2.0), Value(3.0)])  # one sample, not a batch
    with pytest.raises(TypeError, match="expected a batch"):
        bn(Value(1.0))


# --------------------------------------------------------------------------- Dropout


def test_dropout_keeps_with_probability_one_minus_p_and_scales_by_its_inverse():
    p, n = 0.3, 20_000
    y = Dropout(p, generator=0)([Value(2.0)] * n)
    outs = [v.data for v in y]
    assert set(outs) == {0.0, 2.0 / (1 - p)}
    kept = sum(o != 0.0 for o in outs) / n
    assert abs(kept - (1 - p)) < 4 * math.sqrt(p * (1 - p) / n)
    assert abs(statistics.fmean(outs) - 2.0) < 0.05  # unbiased: E[y] = x


def test_dropout_eval_and_p_zero_return_the_input_itself():
    x = [Value(1.0), Value(-2.0)]
    drop = Dropout(0.5)
    assert drop.eval()(x) is x
    assert Dropout(0.0)(x) is x


def test_dropout_p_one_gives_zeros_with_zero_gradient():
    x = [Value(1.5), Value(-2.0)]
    y = Dropout(1.0)(x)
    assert [v.data for v in y] == [0.0, 0.0]
    sum(y).backward()
    assert [v.grad for v in x] == [0.0, 0.0]


@given(st.lists(floats_in(-3.0, 3.0), min_size=5, max_size=5), st.sampled_from([0.2, 0.5, 0.8]))
def test_dropout_gradients_match_finite_differences(xs, p):
    # a fresh generator with one seed per call gives every call of f the same mask
    assert_gradients(lambda *v: Dropout(p, generator=11)(list(v)), xs, dual=False)


def test_dropout_gradient_is_the_mask_times_the_scale():
    x = [Value(1.0) for _ in range(50)]
    y = Dropout(0.25, generator=5)(x)
    sum(y).backward()
    for xi, yi in zip(x, y, strict=True):
        assert xi.grad == (1 / 0.75 if yi.data else 0.0)


def test_dropout_masks_are_reproducible_and_fresh_each_call():
    def masks(drop):
        return [[v.data for v in drop([Value(1.0)] * 30)] for _ in range(2)]

    first, second = masks(Dropout(0.5, generator=7))
    assert first != second  # a new mask every call
    assert masks(Dropout(0.5, generator=7)) == [first, second]  # same seed, same masks
    manual_seed(3)
    default = masks(Dropout(0.5))
    manual_seed(3)
    assert masks(Dropout(0.5)) == default


def test_dropout_keeps_the_shape_of_nested_lists_and_numbers():
    y = Dropout(0.5, generator=1)([[1.0, 2.0], [3.0, Value(4.0)]])
    assert [len(row) for row in y] == [2, 2]
    assert all(v in (0.0, 2 * x) for v, x in zip((y[0][0], y[0][1], y[1][0]), (1.0, 2.0, 3.0), strict=True))
    assert isinstance(Dropout(0.5, generator=1)(Value(1.0)), Value)


def test_dropout_rejects_bad_p_and_inputs():
    for p in (-0.1, 1.5, float("nan")):
        with pytest.raises(ValueError, match="between 0 and 1"):
            Dropout(p)
    with pytest.raises(TypeError, match="got str"):
        Dropout(0.5)(["a"])
    assert repr(Dropout(0.2)) == "Dropout(p=0.2)"


def test_train_and_eval_switch_dropout_and_batchnorm_inside_a_model():
    class Net(Module):
        def __init__(self):
            self.bn = BatchNorm1d(2)
            self.drop = Dropout(0.5)

    net = Net().eval()
    assert not net.bn.training and not net.drop.training
    net.train()
    assert net.bn.training and net.drop.training
    assert [name for name, _ in net.named_parameters()] == [
        "bn.weight.0", "bn.weight.1", "bn.bias.0", "bn.bias.1",
    ]
