"""The ICB pack's XmR rules (speccomm.pack.spc) on hand-made series whose answer is worked out
by hand below each case (Making Data Count: limits at mean ± 2.66 × mean moving range, a point
outside them, a run of 7, a trend of 7, two of three beyond 2 sigma; icons)."""

from __future__ import annotations

import pytest

from speccomm.pack.spc import (
    Assurance,
    Direction,
    Rule,
    Variation,
    run_points,
    spc,
    trend_points,
    xmr_limits,
)

# 12 points alternating 10, 12: mean 11, every moving range 2, limits 11 ± 5.32
FLAT = [10.0, 12.0] * 6


def test_limits_are_the_mean_and_2_66_mean_moving_ranges() -> None:
    limits = xmr_limits([10.0, 14.0, 12.0, 10.0])  # mean 11.5; moving ranges 4, 2, 2 → 8/3
    assert limits is not None
    assert limits.mean == pytest.approx(11.5)
    assert limits.mean_moving_range == pytest.approx(8 / 3)
    assert limits.upper == pytest.approx(11.5 + 2.66 * 8 / 3)
    assert limits.lower == pytest.approx(11.5 - 2.66 * 8 / 3)
    assert limits.sigma == pytest.approx((8 / 3) / 1.128, rel=1e-3)


def test_common_cause_only_has_no_signal() -> None:
    chart = spc(FLAT, Direction.DECREASE)
    assert not any(chart.rules)
    assert chart.variation is Variation.COMMON_CAUSE


def test_a_point_outside_the_limits_is_special_and_its_direction_decides_the_icon() -> None:
    # 5, 20 alternating, then 70: mean 16.67, mean moving range 19.5 → upper limit 68.6
    series = [5.0, 20.0] * 5 + [5.0, 70.0]
    chart = spc(series, Direction.DECREASE)
    assert chart.rules[-1] == {Rule.OUTSIDE_LIMITS}
    assert not any(chart.rules[:-1])
    assert chart.variation is Variation.CONCERN_HIGH  # lower is better: a high point concerns
    assert spc(series, Direction.INCREASE).variation is Variation.IMPROVEMENT_HIGH
    assert spc(series, Direction.NEUTRAL).variation is Variation.NEUTRAL_HIGH


def test_a_run_of_seven_on_one_side_is_marked_but_six_is_not() -> None:
    assert run_points([1, 1, 1, 1, 1, 1, 1, -1]) == [True] * 7 + [False]
    assert run_points([1, 1, 1, 1, 1, 1, -1, -1]) == [False] * 8
    assert run_points([1, 1, 1, 0, 1, 1, 1, 1]) == [False] * 8  # a point on the mean ends a run
    # five low then seven high (not a trend: the high points alternate), the last point high
    series = [5.0, 6.0, 5.0, 6.0, 5.0, 12.0, 13.0, 12.0, 13.0, 12.0, 13.0, 12.0]
    chart = spc(series, Direction.INCREASE)
    assert [Rule.RUN in rules for rules in chart.rules] == [False] * 5 + [True] * 7
    assert chart.variation is Variation.IMPROVEMENT_HIGH


def test_a_trend_of_seven_is_marked_in_its_own_direction() -> None:
    assert trend_points([1, 2, 3, 4, 5, 6, 7]) == [1] * 7
    assert trend_points([1, 2, 3, 4, 5, 6, 6]) == [0] * 7  # six points rising, then a tie
    assert trend_points([9, 1, 2, 3, 4, 5, 6, 7, 3]) == [0] + [1] * 7 + [0]
    assert trend_points([7, 6, 5, 4, 3, 2, 1]) == [-1] * 7
    # a falling trend ending at the mean's level: the last point is marked by the trend alone
    series = [20.0, 22.0, 20.0, 22.0, 20.0, 30.0, 28.0, 26.0, 24.0, 22.0, 21.0, 20.5]
    chart = spc(series, Direction.DECREASE)
    assert [Rule.TREND in r for r in chart.rules] == [False] * 5 + [True] * 7
    assert chart.rules[-1] == {Rule.TREND}
    assert chart.variation is Variation.IMPROVEMENT_LOW  # falling spend, lower is better


def test_two_of_three_beyond_two_sigma_on_one_side() -> None:
    # 13 points: mean 11.04, mean moving range 1.29 → 2 sigma at 13.33, upper limit 14.47
    base = [10.0, 11.0, 10.0, 11.0, 10.0, 11.0, 10.0, 11.0, 10.0, 11.0]
    chart = spc([*base, 13.5, 11.5, 13.5], Direction.NEUTRAL)
    limits = chart.limits
    assert limits is not None
    two_sigma = limits.mean + 2 * limits.sigma
    assert two_sigma < 13.5 < limits.upper  # beyond 2 sigma, inside the limits
    assert chart.rules[-3] == {Rule.TWO_OF_THREE} and chart.rules[-1] == {Rule.TWO_OF_THREE}
    assert chart.rules[-2] == frozenset()  # the middle point is within 2 sigma: not marked
    # on opposite sides of the mean the rule does not fire
    other = spc([*base, 13.5, 9.0, 13.5], Direction.NEUTRAL)
    assert Rule.TWO_OF_THREE not in other.rules[-1]


def test_assurance_compares_the_target_with_the_limits() -> None:
    # lower is better (spend against plan): a plan above the upper limit is met every month
    assert spc(FLAT, Direction.DECREASE, target=20.0).assurance is Assurance.PASS
    assert spc(FLAT, Direction.DECREASE, target=2.0).assurance is Assurance.FAIL
    assert spc(FLAT, Direction.DECREASE, target=11.0).assurance is Assurance.HIT_AND_MISS
    assert spc(FLAT, Direction.INCREASE, target=20.0).assurance is Assurance.FAIL
    assert spc(FLAT, Direction.DECREASE).assurance is None  # no target: no assurance icon


def test_too_few_points_give_no_icon() -> None:
    chart = spc(FLAT[:11], Direction.DECREASE, target=20.0)
    assert chart.variation is None and chart.assurance is None
    assert spc([5.0]).limits is None
    with pytest.raises(ValueError):
        spc([])
