"""Quality metrics computed in NumPy on test predictions, identical for every model."""

from __future__ import annotations

import numpy as np


def classification_metrics(y_true: np.ndarray, probs: np.ndarray, num_classes: int
                           ) -> dict[str, float]:
    """Accuracy and macro-F1 (classes absent from both truth and prediction are skipped)."""
    pred = probs.argmax(axis=1) if probs.ndim == 2 else probs
    f1s = []
    for c in range(num_classes):
        tp = np.sum((pred == c) & (y_true == c))
        fp = np.sum((pred == c) & (y_true != c))
        fn = np.sum((pred != c) & (y_true == c))
        if tp + fp + fn:
            f1s.append(2 * tp / (2 * tp + fp + fn))
    return {"accuracy": float(np.mean(pred == y_true)), "macro_f1": float(np.mean(f1s))}


def labeling_metrics(y_true: np.ndarray, probs: np.ndarray, num_classes: int
                     ) -> dict[str, float]:
    """Accuracy and macro-F1 over the labelled positions of ``(N, T)`` labels (``IGNORE``
    elsewhere) and ``(N, T, C)`` probabilities, each labelled position one prediction."""
    from zoo.task import IGNORE

    labelled = y_true != IGNORE
    return classification_metrics(y_true[labelled], probs[labelled], num_classes)


def forecast_metrics(y_true: np.ndarray, y_pred: np.ndarray, naive: np.ndarray, scale: float
                     ) -> dict[str, float]:
    """MAE and RMSE in the target's original units, and MAE relative to the naive forecast."""
    err = (y_pred - y_true) * scale
    mae = float(np.mean(np.abs(err)))
    naive_mae = float(np.mean(np.abs((naive - y_true) * scale)))
    return {"mae": mae, "rmse": float(np.sqrt(np.mean(err**2))),
            "rel_mae": mae / naive_mae if naive_mae else float("nan")}


PRIMARY = {"classification": ("accuracy", True), "labeling": ("accuracy", True),
           "forecasting": ("mae", False)}
"""Primary metric per task kind, and whether higher is better."""
