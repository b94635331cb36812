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


def test_alpha_interval_resamples_whole_items():
    from judgerl.agreement import agreement
    from judgerl.prompts import PAIRWISE, POINTWISE

    rng = np.random.default_rng(0)
    gold = [int(g) for g in rng.integers(0, 10, size=60)]
    close = [min(9, max(0, g + int(rng.integers(-1, 2)))) for g in gold]
    verdicts = [
        {"label": s, "valid": True, "malformed": None, "thinking_tokens": 0}
        for s in close
    ]
    boot = {"confidence": 0.95, "n_resamples": 300, "seed": 0}
    out = agreement(verdicts, gold, POINTWISE, bootstrap=boot)
    low, high = out["interval"]
    assert low < out["alpha"] < high <= 1 and out["note"] is None
    # A judge that gives one score to everything: alpha is defined (gold varies) and said so.
    flat = [dict(v, label=6) for v in verdicts]
    out = agreement(flat, gold, POINTWISE, bootstrap=boot)
    assert out["note"] == "judge gave one score (6) to every item"
    # Undefined alpha says why.
    out = agreement(flat[:3], [6, 6, 6], POINTWISE)
    assert math.isnan(out["alpha"])
    assert out["note"] == "undefined: judge and gold gave one score (6) to every item"
    # Pairwise: the interval is accuracy's; one position every time is named.
    picks = [dict(v, label=1) for v in verdicts[:20]]
    out = agreement(picks, [1] * 10 + [2] * 10, PAIRWISE, bootstrap=boot)
    assert out["accuracy"] == 0.5 and out["interval"][0] < 0.5 < out["interval"][1]
    assert out["note"] == "judge chose one position every time"


def test_a_work_folder_of_other_params_is_not_resumed(tmp_path):
    from types import SimpleNamespace

    from judgerl.training import claim_work_dir

    base = tmp_path / "base"
    base.mkdir()

    class Params(dict):
        pass

    def job(lr):
        return SimpleNamespace(
            params=Params(training={"learning_rate": lr}, launch={"processes": 1}),
            input=[str(base)],
        )

    work = tmp_path / "sft.work"
    claim_work_dir(work, job(1e-4))
    (work / "trainer").mkdir()
    claim_work_dir(work, job(1e-4))  # the same job again: resumed
    assert (work / "trainer").is_dir()
    claim_work_dir(work, job(2e-4))  # another learning rate: started afresh
    assert not (work / "trainer").exists() and (work / "job.json").exists()
