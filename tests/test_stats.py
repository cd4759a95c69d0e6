"""Confidence intervals of the evaluation tables, against textbook values."""

from __future__ import annotations

import pytest

from siri.stats import wilson_interval


def test_wilson_three_of_ten_matches_the_textbook_interval():
    lo, hi = wilson_interval(3, 10)
    assert lo == pytest.approx(0.1078, abs=1e-4) and hi == pytest.approx(0.6032, abs=1e-4)


@pytest.mark.parametrize("n", [1, 3, 200])
def test_wilson_at_zero_and_all_successes_is_exactly_bounded(n):
    # 0/n: [0, z²/(n+z²)] exactly; n/n mirrors it. The estimate always lies inside its interval.
    z2 = 1.959963984540054 ** 2
    assert wilson_interval(0, n) == (0.0, pytest.approx(z2 / (n + z2)))
    lo, hi = wilson_interval(n, n)
    assert hi == 1.0 and lo == pytest.approx(n / (n + z2))
