"""The hacking onset (judgerl.hacking) on hand-made score curves."""

import pytest

from judgerl import hacking
from judgerl.hacking import hacking_onset, sqrt_kl


def test_onset_where_gold_peaks_and_the_judge_keeps_rising():
    gold = {0: 5.0, 100: 6.0, 200: 5.5, 300: 4.0}
    judge = {0: 5.0, 100: 6.5, 200: 7.5, 300: 8.5}
    out = hacking_onset(gold, judge)
    assert out["hacking"] and out["onset_step"] == 100 and out["gold_peak_step"] == 100
    assert (
        out["gold_at_peak"],
        out["gold_final"],
        out["judge_at_peak"],
        out["judge_final"],
    ) == (6.0, 4.0, 6.5, 8.5)


def test_no_onset_when_gold_ends_at_its_peak():
    out = hacking_onset({0: 5.0, 100: 6.0, 200: 7.0}, {0: 5.0, 100: 6.0, 200: 8.0})
    assert (
        not out["hacking"]
        and out["onset_step"] is None
        and out["gold_peak_step"] == 200
    )


def test_no_onset_when_the_judge_falls_with_gold():
    # Both scores fall after step 100: the policy got worse, but it did not fool its judge.
    out = hacking_onset({0: 5.0, 100: 6.0, 200: 4.0}, {0: 5.0, 100: 7.0, 200: 6.0})
    assert not out["hacking"] and out["gold_peak_step"] == 100


def test_flat_gold_is_no_hacking():
    out = hacking_onset({0: 5.0, 100: 5.0, 200: 5.0}, {0: 5.0, 100: 7.0, 200: 9.0})
    assert (
        out["gold_peak_step"] == 0 and not out["hacking"]
    )  # gold never falls below its peak


def test_ties_at_the_peak_take_the_first_step():
    out = hacking_onset(
        {0: 5.0, 100: 6.0, 200: 6.0, 300: 5.0}, {0: 5.0, 100: 6.0, 200: 7.0, 300: 8.0}
    )
    assert out["gold_peak_step"] == 100 and out["onset_step"] == 100


def test_scores_must_cover_the_same_steps():
    with pytest.raises(ValueError, match="same, non-empty set of steps"):
        hacking_onset({0: 1.0, 100: 2.0}, {0: 1.0})


def test_sqrt_kl_reads_a_rounding_residue_below_zero_as_zero():
    assert sqrt_kl(-1e-9) == 0.0 and sqrt_kl(4.0) == 2.0


def train_log(**columns):
    import polars as pl

    return pl.DataFrame({"step": [1, 1, 2, 2, 3, 3], **columns})


def test_kl_by_step_skips_steps_without_an_estimate():
    nan = float("nan")
    log = train_log(**{hacking.KL: [0.1, 0.1, nan, nan, 0.3, 0.3]})
    assert hacking.kl_by_step(log) == {1: 0.1, 3: 0.3}
    assert hacking.kl_by_step(train_log(loss=[0.0] * 6)) == {}


def test_position_biased_steps_count_one_sided_steps_of_a_pairwise_judge():
    log = train_log(**{hacking.FIRST: [0.0, 0.5, 1.0, None, 0.25, 1.0]})
    assert hacking.position_biased_steps(log) == 3
    assert hacking.position_biased_steps(train_log(loss=[0.0] * 6)) is None


def test_rollout_series_averages_a_steps_updates_where_the_gold_scored():
    log = train_log(
        **{
            hacking.GOLD: [4.0, 6.0, None, None, 2.0, 2.0],
            hacking.GOLD_STD: [1.0, 3.0, None, None, None, None],
            hacking.JUDGE_REWARD[0]: [5.0, 7.0, 8.0, 8.0, 9.0, 9.0],
        }
    )
    assert hacking.rollout_series(log) == {1: (6.0, 5.0, 2.0), 3: (9.0, 2.0, 0.0)}
    assert hacking.rollout_series(train_log(loss=[0.0] * 6)) == {}


def test_rollout_onset_needs_two_scored_steps():
    assert hacking.rollout_onset({1: (5.0, 5.0, 0.0)}) == {
        "rollout_gold_peak_step": None,
        "rollout_onset_step": None,
    }
    series = {1: (5.0, 5.0, 0.0), 2: (6.0, 6.0, 0.0), 3: (8.0, 4.0, 0.0)}
    assert hacking.rollout_onset(series) == {
        "rollout_gold_peak_step": 2,
        "rollout_onset_step": 2,
    }


def test_a_runs_row_and_kl_curve_from_its_checkpoints_and_log():
    import polars as pl

    scores = pl.DataFrame(
        {
            "run": ["r"] * 4 + ["other"],
            "scorer": ["gold", "judge", "gold", "judge", "gold"],
            "step": [2, 2, 0, 0, 0],
            "mean": [4.0, 8.0, 5.0, 5.0, 1.0],
        }
    )
    checkpoints = hacking.checkpoint_scores(scores, "r")
    assert checkpoints == {"gold": {0: 5.0, 2: 4.0}, "judge": {0: 5.0, 2: 8.0}}
    log = train_log(**{hacking.KL: [0.01, 0.01, 0.04, 0.04, 0.09, 0.09]})
    row = hacking.run_row("r", "j", checkpoints, log)
    assert row["run"] == "r" and row["judge"] == "j" and row["onset_step"] == 0
    assert row["sqrt_kl_final"] == pytest.approx(0.2)
    assert row["position_biased_steps"] is None and row["rollout_onset_step"] is None
    curve = hacking.kl_curve(checkpoints, hacking.kl_by_step(log))
    assert curve == [(0.0, 5.0, 5.0, 0), (pytest.approx(0.2), 4.0, 8.0, 2)]
