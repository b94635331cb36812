import math

import numpy as np
import pytest

from judgerl.stats import bootstrap_mean, interval_alpha


def hand_interval_alpha(a, b):
    """Krippendorff's alpha, interval metric, two coders, no missing values: 1 - D_o / D_e."""
    pairs = list(zip(a, b))
    n = 2 * len(pairs)
    d_o = (
        sum(2 * (x - y) ** 2 for x, y in pairs) / n
    )  # each unit: 2 ordered pairs, m_u - 1 = 1
    values = [v for p in pairs for v in p]
    d_e = sum((x - y) ** 2 for x in values for y in values) / (n * (n - 1))
    return 1 - d_o / d_e


def test_alpha_perfect_and_hand_computed():
    assert interval_alpha([1, 5, 9, 3], [1, 5, 9, 3]) == pytest.approx(1.0)
    a, b = [1, 2, 3, 4, 8], [1, 3, 3, 5, 6]
    assert interval_alpha(a, b) == pytest.approx(hand_interval_alpha(a, b))
    # 2 units: (0,1) and (1,0) -> D_o = 1, D_e = 4/6*... computed by the formula above
    assert interval_alpha([0, 1], [1, 0]) == pytest.approx(
        hand_interval_alpha([0, 1], [1, 0])
    )


def test_alpha_missing_ratings_are_left_out_of_pairs():
    with_missing = interval_alpha([1, None, 3, 4, 8, 2], [1, 3, 3, 5, 6, 2])
    # A unit with one rating pairs with nothing: alpha equals the alpha of the other units.
    assert with_missing == pytest.approx(
        interval_alpha([1, 3, 4, 8, 2], [1, 3, 5, 6, 2])
    )


def test_alpha_undefined_without_variation():
    assert math.isnan(interval_alpha([5, 5, 5], [5, 5, 5]))
    assert math.isnan(interval_alpha([None, None], [1, 2]))


def test_bootstrap_interval_contains_mean():
    values = list(np.random.default_rng(0).normal(5, 1, size=200))
    mean, low, high = bootstrap_mean(values, 0.95, 500, seed=1)
    assert mean == pytest.approx(np.mean(values))
    assert low < mean < high
    assert high - low == pytest.approx(2 * 1.96 / np.sqrt(200), rel=0.35)
    assert bootstrap_mean([3.0, 3.0]) == (3.0, 3.0, 3.0)
    assert all(math.isnan(x) for x in bootstrap_mean([]))
