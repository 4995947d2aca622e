"""keras-tuner searches over the zoo's search spaces with equal budgets, every trial stored.

Example:
    >>> from tuning import TuneSettings, tune
    >>> from results.store import Store
    >>> tune(TuneSettings(("lstm", "gru"), "mr_polarity", trials=5), Store(), "tuning-dir")
"""

from tuning.hypermodel import ZooHyperModel, objective_for
from tuning.search import TuneSettings, tune
from tuning.tuners import TUNERS, make_tuner

__all__ = ["TUNERS", "TuneSettings", "ZooHyperModel", "make_tuner", "objective_for", "tune"]
