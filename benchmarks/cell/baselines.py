"""Non-neural baselines, run by the harness as ordinary records (``is_baseline``).

Every leaderboard shows how much a neural model buys over the simplest honest predictors:
majority class and TF-IDF + logistic regression for sentiment; majority class and per-feature
mean+std over time + logistic regression for speech; naive (last value), seasonal naive
(the same step one season earlier) and a linear autoregressive model for forecasting.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from benchmarks.data import Dataset

Predictor = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Baseline:
    """A baseline: ``fit(inputs, y, data) -> (predict, parameter count)``.

    ``inputs`` says what ``fit`` and ``predict`` take: ``"x"`` (the model inputs) or
    ``"text"`` (the raw texts of a sentiment dataset).
    """

    name: str
    family: str
    description: str
    inputs: str
    fit: Callable[[np.ndarray, np.ndarray, Dataset], tuple[Predictor, int]]


def _majority(x: np.ndarray, y: np.ndarray, data: Dataset) -> tuple[Predictor, int]:
    classes = data.task_spec().num_outputs
    winner = int(np.bincount(y, minlength=classes).argmax())
    return (lambda inputs: np.eye(classes)[np.full(len(inputs), winner)]), 1


def _logistic(features: Callable[[np.ndarray], np.ndarray]
              ) -> Callable[[np.ndarray, np.ndarray, Dataset], tuple[Predictor, int]]:
    def fit(x: np.ndarray, y: np.ndarray, data: Dataset) -> tuple[Predictor, int]:
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
        model.fit(features(x), y)
        clf = model[-1]
        return (lambda inputs: model.predict_proba(features(inputs))), clf.coef_.size + len(
            clf.intercept_)

    return fit


def _tfidf_logreg(texts: np.ndarray, y: np.ndarray, data: Dataset) -> tuple[Predictor, int]:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    model = make_pipeline(TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True),
                          LogisticRegression(max_iter=2000, C=4.0))
    model.fit(texts, y)
    clf = model[-1]
    return model.predict_proba, clf.coef_.size + len(clf.intercept_)


def _mean_std(x: np.ndarray) -> np.ndarray:
    """Per-feature mean and standard deviation over time (all-zero padding frames excluded)."""
    real = (np.abs(x).sum(axis=2, keepdims=True) > 0).astype(x.dtype)
    count = np.maximum(real.sum(axis=1), 1)
    mean = (x * real).sum(axis=1) / count
    std = np.sqrt(((x - mean[:, None]) ** 2 * real).sum(axis=1) / count)
    return np.concatenate([mean, std], axis=1)


def _target_history(data: Dataset) -> Callable[[np.ndarray], np.ndarray]:
    """``x -> `` the target's lookback window, relative to its last value when targets are
    residual, from the contract's ``target_index`` and ``residual`` meta keys."""
    column, residual = data.meta["target_index"], data.meta["residual"]

    def history(x: np.ndarray) -> np.ndarray:
        window = x[:, :, column]
        return window - window[:, -1:] if residual else window

    return history


def naive_forecast(data: Dataset, x: np.ndarray) -> np.ndarray:
    """The last observed target value of each window in ``x``, repeated over the horizon
    (in ``y``'s terms: zeros when targets are residual)."""
    return np.repeat(_target_history(data)(x)[:, -1:], data.task_spec().num_outputs, axis=1)


def _naive(x: np.ndarray, y: np.ndarray, data: Dataset) -> tuple[Predictor, int]:
    return (lambda inputs: naive_forecast(data, inputs)), 0


def _seasonal_naive(x: np.ndarray, y: np.ndarray, data: Dataset) -> tuple[Predictor, int]:
    """The last observed season, repeated over the horizon (step h predicts the value one
    season before, or several when the horizon is longer than a season)."""
    horizon, lookback = data.task_spec().num_outputs, data.task_spec().seq_len
    season, history = data.meta["season"], _target_history(data)
    steps = lookback - season + np.arange(horizon) % season

    def predict(inputs: np.ndarray) -> np.ndarray:
        return history(inputs)[:, steps]

    return predict, 0


def _linear_ar(x: np.ndarray, y: np.ndarray, data: Dataset) -> tuple[Predictor, int]:
    from sklearn.linear_model import Ridge

    history = _target_history(data)
    model = Ridge(alpha=1.0).fit(history(x), y)
    return (lambda inputs: model.predict(history(inputs))), model.coef_.size + len(
        np.atleast_1d(model.intercept_))


BASELINES = (
    Baseline("majority", "sentiment", "the most frequent training class", "x", _majority),
    Baseline("tfidf_logreg", "sentiment", "TF-IDF of word 1-2-grams + logistic regression",
             "text", _tfidf_logreg),
    Baseline("majority", "speech", "the most frequent training class", "x", _majority),
    Baseline("features_logreg", "speech", "per-feature mean and std over time (log-mel or "
             "cepstra) + logistic regression", "x", _logistic(_mean_std)),
    Baseline("naive", "forecasting", "the last observed value, repeated", "x", _naive),
    Baseline("seasonal_naive", "forecasting", "the same step one season earlier (a day for "
             "hourly data)", "x", _seasonal_naive),
    Baseline("linear_ar", "forecasting", "ridge regression from the target's lookback "
             "window (linear autoregression)", "x", _linear_ar),
)
"""Every baseline; a name may serve several families (``majority``)."""


def baselines_for(family: str) -> list[Baseline]:
    """The baselines that every leaderboard of a ``family`` dataset shows."""
    return [b for b in BASELINES if b.family == family]


def get_baseline(name: str, family: str) -> Baseline | None:
    """The baseline ``name`` for ``family``, or ``None`` if ``name`` is not a baseline there."""
    return next((b for b in baselines_for(family) if b.name == name), None)
