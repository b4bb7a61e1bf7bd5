"""nn.data: the shapes and geometry of the teaching data sets, seeds, and DataLoader's epochs."""

import math
import statistics

import numpy as np
import pytest

from nn import data
from nn.random import manual_seed

RANDOM_SETS = [data.two_moons, data.circles, data.spirals, data.blobs]


def as_array(X):
    return np.array(X, dtype=float)


# --------------------------------------------------------------------------- types and seeds


@pytest.mark.parametrize("make", [data.sine, *RANDOM_SETS])
def test_returns_lists_of_float_lists_and_one_target_each(make):
    X, y = make(n=31, generator=0)
    assert isinstance(X, list) and isinstance(y, list) and len(X) == len(y) == 31
    assert all(isinstance(row, list) and all(type(v) is float for v in row) for row in X)
    assert len({len(row) for row in X}) == 1
    assert all(type(t) is (float if make is data.sine else int) for t in y)


@pytest.mark.parametrize("make", [*RANDOM_SETS, lambda **kw: data.sine(noise=0.1, **kw)])
def test_same_seed_same_data_and_different_seeds_differ(make):
    assert make(n=20, generator=5) == make(n=20, generator=5)
    assert make(n=20, generator=5) != make(n=20, generator=6)
    assert make(n=20, generator=np.random.default_rng(5)) == make(n=20, generator=5)
    manual_seed(9)
    first = make(n=20)
    manual_seed(9)
    assert make(n=20) == first


@pytest.mark.parametrize("make", [data.sine, *RANDOM_SETS])
def test_fewer_than_two_samples_is_a_value_error(make):
    with pytest.raises(ValueError, match="n must be at least 2, got 1"):
        make(n=1)
    with pytest.raises(TypeError, match="n must be an int"):
        make(n=10.0)


@pytest.mark.parametrize("make", [data.sine, data.two_moons, data.circles, data.spirals])
def test_negative_noise_is_a_value_error(make):
    with pytest.raises(ValueError, match=r"noise must be a number >= 0, got -0.1"):
        make(noise=-0.1)


# --------------------------------------------------------------------------- sine, xor


def test_sine_is_evenly_spaced_with_exact_ends():
    X, y = data.sine(n=5, low=-1.0, high=3.0)
    assert X == [[-1.0], [0.0], [1.0], [2.0], [3.0]]
    assert y == [math.sin(x) for (x,) in X]
    X, _ = data.sine()
    assert X[0][0] == -2 * math.pi and X[-1][0] == 2 * math.pi and len(X) == 100


def test_sine_noise_has_the_given_std():
    X, y = data.sine(n=4000, noise=0.3, generator=1)
    residuals = [t - math.sin(x) for (x,), t in zip(X, y, strict=True)]
    assert abs(statistics.fmean(residuals)) < 4 * 0.3 / math.sqrt(4000)
    assert statistics.pstdev(residuals) == pytest.approx(0.3, rel=0.05)
    with pytest.raises(ValueError, match="low < high"):
        data.sine(low=1.0, high=1.0)


def test_xor_is_the_truth_table():
    X, y = data.xor()
    assert X == [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
    assert y == [int(a) ^ int(b) for a, b in X] == [0, 1, 1, 0]
    assert data.xor(signed=True) == (X, [-1, 1, 1, -1])


# --------------------------------------------------------------------------- two moons, circles


def test_two_moons_lie_on_their_half_circles_without_noise():
    X, y = data.two_moons(n=51, noise=0.0, generator=0)
    X = as_array(X)
    outer, inner = X[np.array(y) == 0], X[np.array(y) == 1]
    assert (len(outer), len(inner)) == (25, 26)  # n // 2 outer, the rest inner, as make_moons
    assert np.allclose(np.hypot(outer[:, 0], outer[:, 1]), 1.0) and (outer[:, 1] >= -1e-15).all()
    assert np.allclose(np.hypot(inner[:, 0] - 1.0, inner[:, 1] - 0.5), 1.0)
    assert (inner[:, 1] <= 0.5 + 1e-15).all()


def test_two_moons_order_without_shuffle_and_signed_labels():
    X, y = data.two_moons(n=6, noise=0.0, shuffle=False)
    assert y == [0, 0, 0, 1, 1, 1]
    assert X[0] == [1.0, 0.0] and X[3] == [0.0, 0.5]  # t = 0 on each moon
    assert data.two_moons(n=6, noise=0.0, shuffle=False, signed=True)[1] == [-1, -1, -1, 1, 1, 1]
    _, y = data.two_moons(generator=0)
    assert y != sorted(y)  # shuffled by default


@pytest.mark.parametrize("make", [data.two_moons, data.circles])
def test_noise_is_gaussian_with_the_given_std_added_after_the_shuffle(make):
    clean, y_clean = make(n=2000, noise=0.0, generator=2)
    noisy, y_noisy = make(n=2000, noise=0.2, generator=2)
    assert y_clean == y_noisy  # the same shuffle: noise is drawn after it
    diff = (as_array(noisy) - as_array(clean)).ravel()
    assert abs(diff.mean()) < 4 * 0.2 / math.sqrt(diff.size)
    assert diff.std() == pytest.approx(0.2, rel=0.05)


def test_circles_radii_and_factor():
    X, y = data.circles(n=40, noise=0.0, factor=0.3, generator=0)
    radius = np.hypot(*as_array(X).T)
    assert np.allclose(radius[np.array(y) == 0], 1.0)
    assert np.allclose(radius[np.array(y) == 1], 0.3)
    for factor in (1.0, -0.1):
        with pytest.raises(ValueError, match="factor must be in"):
            data.circles(factor=factor)


# --------------------------------------------------------------------------- spirals, blobs


def test_spirals_without_noise_follow_the_formula_and_mirror_each_other():
    X, y = data.spirals(n=20, noise=0.0, turns=1.5, shuffle=False)
    X = as_array(X)
    assert y == [0] * 10 + [1] * 10
    r = np.arange(1, 11) / 10
    theta = 2 * math.pi * 1.5 * r
    assert np.allclose(X[:10], np.column_stack([r * np.cos(theta), r * np.sin(theta)]))
    assert np.allclose(X[10:], -X[:10])  # the second arm is the first turned by pi
    with pytest.raises(ValueError, match="turns"):
        data.spirals(turns=0)


def test_spirals_noise_moves_the_angle_not_the_radius():
    X, y = data.spirals(n=200, noise=0.2, generator=3)
    radius = sorted(np.hypot(*as_array(X).T))
    assert np.allclose(radius, sorted(list(np.arange(1, 101) / 100) * 2))
    assert sorted(y) == [0] * 100 + [1] * 100


def test_blobs_sizes_and_means():
    X, y = data.blobs(n=3001, centers=[[0.0, 0.0], [5.0, -5.0], [-3.0, 4.0]], std=0.5, generator=4)
    assert [y.count(c) for c in range(3)] == [1001, 1000, 1000]  # n % k extra go to the first
    X = as_array(X)
    for c, centre in enumerate([[0.0, 0.0], [5.0, -5.0], [-3.0, 4.0]]):
        cluster = X[np.array(y) == c]
        assert np.allclose(cluster.mean(axis=0), centre, atol=4 * 0.5 / math.sqrt(1000))
        assert cluster.std(axis=0) == pytest.approx([0.5, 0.5], rel=0.1)


def test_blobs_random_centres_lie_in_the_box():
    X, y = data.blobs(n=400, centers=4, std=0.0, center_box=(-2.0, 3.0), generator=5)
    centres = {tuple(row) for row in X}
    assert len(centres) == 4 and all(-2.0 <= v < 3.0 for c in centres for v in c)
    assert sorted(set(y)) == [0, 1, 2, 3]


def test_blobs_bad_centres():
    with pytest.raises(ValueError, match="fewer than the 3 centres"):
        data.blobs(n=2, centers=3)
    with pytest.raises(ValueError, match="centers must be at least 1"):
        data.blobs(centers=0)
    with pytest.raises(ValueError, match="equal-length points"):
        data.blobs(centers=[[0.0, 1.0], [2.0]])


# --------------------------------------------------------------------------- DataLoader


def numbered(n):
    return [[float(i)] for i in range(n)], list(range(n))


@pytest.mark.parametrize(
    ("n", "batch_size", "drop_last", "sizes"),
    [(10, 3, False, [3, 3, 3, 1]), (10, 3, True, [3, 3, 3]), (9, 3, False, [3, 3, 3]),
     (4, 10, False, [4]), (4, 10, True, []), (5, 1, False, [1] * 5)],
)
def test_len_is_the_number_of_batches_per_epoch(n, batch_size, drop_last, sizes):
    loader = data.DataLoader(*numbered(n), batch_size=batch_size, drop_last=drop_last)
    batches = list(loader)
    assert len(loader) == len(batches)
    assert [len(xb) for xb, _ in batches] == [len(yb) for _, yb in batches] == sizes


def test_without_shuffle_batches_come_in_order():
    X, y = numbered(7)
    batches = list(data.DataLoader(X, y, batch_size=3))
    assert batches[0] == ([[0.0], [1.0], [2.0]], [0, 1, 2])
    assert [t for _, yb in batches for t in yb] == y
    assert batches[0][0][0] is X[0]  # samples are not copied


def test_shuffle_visits_every_sample_once_per_epoch_in_a_new_order():
    X, y = numbered(20)
    loader = data.DataLoader(X, y, batch_size=6, shuffle=True, generator=0)
    epochs = [[t for _, yb in loader for t in yb] for _ in range(3)]
    assert all(sorted(epoch) == y for epoch in epochs)
    assert epochs[0] != epochs[1] != epochs[2] and epochs[0] != y
    assert all(xb == [[float(t)] for t in yb] for xb, yb in loader)  # pairs stay together


def test_shuffled_epochs_are_reproducible():
    def run(generator):
        loader = data.DataLoader(*numbered(10), batch_size=4, shuffle=True, generator=generator)
        return [list(loader) for _ in range(3)]

    assert run(1) == run(1) and run(1) != run(2)
    manual_seed(4)
    first = run(None)
    manual_seed(4)
    assert run(None) == first


def test_drop_last_with_shuffle_drops_a_different_remainder_each_epoch():
    loader = data.DataLoader(*numbered(10), batch_size=4, shuffle=True, drop_last=True, generator=3)
    seen = [sorted(t for _, yb in loader for t in yb) for _ in range(5)]
    assert all(len(s) == 8 for s in seen) and len({tuple(s) for s in seen}) > 1


def test_dataloader_errors():
    X, y = numbered(3)
    with pytest.raises(ValueError, match=r"len\(X\)=3 and len\(y\)=2"):
        data.DataLoader(X, y[:2])
    with pytest.raises(ValueError, match="batch_size must be at least 1, got 0"):
        data.DataLoader(X, y, batch_size=0)
    with pytest.raises(TypeError, match="batch_size must be an int"):
        data.DataLoader(X, y, batch_size=2.0)
    with pytest.raises(ValueError, match="empty"):
        data.DataLoader([], [])
    assert repr(data.DataLoader(X, y, batch_size=2)) == (
        "DataLoader(samples=3, batch_size=2, shuffle=False, drop_last=False)"
    )
