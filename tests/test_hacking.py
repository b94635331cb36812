"""The hacking onset (judgerl.hacking) on hand-made score curves."""

import pytest

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


def test_sqrt_kl_takes_noise_below_zero_as_zero():
    assert sqrt_kl(-0.01) == 0.0 and sqrt_kl(4.0) == 2.0
