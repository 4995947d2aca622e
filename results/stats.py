"""Statistics for leaderboards: t confidence intervals and Welch tests against the best."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np
from scipy import stats

ALPHA = 0.05


def mean_ci(values: Sequence[float], confidence: float = 0.95) -> tuple[float, float, int]:
    """``(mean, half-width, n)`` of a t-distribution confidence interval over ``values``.

    The half-width is NaN for fewer than two values (no interval can be given).
    """
    x = np.asarray([v for v in values if v is not None and math.isfinite(v)], dtype=float)
    if len(x) == 0:
        return math.nan, math.nan, 0
    if len(x) < 2:
        return float(x[0]), math.nan, 1
    sem = x.std(ddof=1) / math.sqrt(len(x))
    return float(x.mean()), float(stats.t.ppf((1 + confidence) / 2, len(x) - 1) * sem), len(x)


def welch_p(a: Sequence[float], b: Sequence[float]) -> float:
    """Two-sided Welch t-test p-value; NaN when either side has fewer than two values.

    Two samples with no variance at all are equal (p = 1) or different (p = 0) outright.
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if len(a) < 2 or len(b) < 2:
        return math.nan
    if np.ptp(a) == 0 and np.ptp(b) == 0:
        return 1.0 if a[0] == b[0] else 0.0
    with warnings.catch_warnings():  # one constant side is fine for Welch; scipy still warns
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(stats.ttest_ind(a, b, equal_var=False).pvalue)


def rank_with_ties(samples: Sequence[Sequence[float]], higher_is_better: bool
                   ) -> tuple[list[int], list[bool]]:
    """Ranks (1 = best) of groups of per-seed scores by mean, and which ones tie the best.

    A rank is the group's position in the order of means (equal means share one), so ranks
    always follow the means. Separately, any group whose Welch test against the best group
    gives p >= 0.05 (not significantly different) is marked as tied, and the best with it.
    With fewer than two seeds no test is possible, so only exactly equal means tie.
    """
    means = [float(np.mean(s)) if len(s) else math.nan for s in samples]
    sign = -1 if higher_is_better else 1
    order = sorted(range(len(samples)), key=lambda i: (math.isnan(means[i]), sign * means[i]))
    ranks, tied = [0] * len(samples), [False] * len(samples)
    best = order[0] if order else None
    for position, i in enumerate(order, 1):
        previous = order[position - 2] if position > 1 else None
        same_mean = previous is not None and means[i] == means[previous]
        ranks[i] = ranks[previous] if same_mean else position
        p = welch_p(samples[i], samples[best])
        if i != best and (means[i] == means[best] if math.isnan(p) else p >= ALPHA):
            tied[i] = tied[best] = True
    return ranks, tied


def bootstrap_mean_ci(values: Sequence[float], confidence: float = 0.95, resamples: int = 2000,
                      seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval ``(low, high)`` of the mean of ``values`` (fixed ``seed``,
    so a report is reproducible); NaNs for fewer than two values."""
    x = np.asarray(values, dtype=float)
    if len(x) < 2:
        return math.nan, math.nan
    if np.ptp(x) == 0:
        return float(x[0]), float(x[0])
    result = stats.bootstrap((x,), np.mean, confidence_level=confidence, n_resamples=resamples,
                             method="percentile", random_state=np.random.default_rng(seed))
    return float(result.confidence_interval.low), float(result.confidence_interval.high)
