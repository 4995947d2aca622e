"""``series_csv``: a time series from one CSV, windowed for forecasting."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchmarks.data.base import Limit, register_dataset
from benchmarks.data.files.common import (
    GAP_POLICIES,
    FileDataset,
    _rows,
    need_columns,
    read_table,
)
from benchmarks.data.forecasting import WINDOW_LIMITS, window_series
from benchmarks.data.wheels import DataError


@register_dataset
class SeriesCSV(FileDataset):
    """Your time series: a CSV or Parquet file with a time column and numeric columns."""

    name = "series_csv"
    family = "forecasting"
    source = "a CSV or Parquet file with a time column (path)"
    split_definition = ("chronological 70/15/15; val and test start lookback+horizon steps "
                        "after the previous split ends (no shared window); z-scores from train")
    defaults = {"path": None, "time": "time", "target": "target", "features": "",
                "lookback": 24, "horizon": 6, "stride": 1, "resample": "", "gaps": "error",
                "season": 24, "residual": True}
    limits = {**WINDOW_LIMITS, "gaps": Limit(choices=GAP_POLICIES), "season": Limit(1)}

    def input_files(self) -> list[Path]:
        return [self.source_path()]

    def prepare(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        path = self.source_path()
        where = f"{self.name} {path}"
        gaps, target = self.params["gaps"], self.params["target"]
        if "," in target:
            raise DataError(f"{self.name}: target={target!r} names several columns; one "
                            "target column is supported (others can be features)")
        frame = read_table(path, self.name)
        features = [c for c in str(self.params["features"]).split(",") if c]
        need_columns(frame, [self.params["time"], target, *features], path, self.name)
        frame = self._indexed(frame, where)
        columns = [target, *[c for c in (features or frame.columns) if c != target]]
        frame = self._numeric(frame[columns], target, where)
        frame, filled = self._regular(frame, where)
        lookback, horizon = self.params["lookback"], self.params["horizon"]
        if len(frame) < 3 * (lookback + horizon):
            raise DataError(f"{where}: the series has {len(frame)} steps, too short for "
                            f"lookback {lookback} + horizon {horizon} in three splits (need "
                            f"at least {3 * (lookback + horizon)}, more for a useful split)")
        try:
            arrays, meta = window_series(frame.to_numpy(dtype="float64"), 0, lookback, horizon,
                                         stride=self.params["stride"],
                                         residual=self.params["residual"],
                                         season=self.params["season"])
        except DataError as error:
            raise DataError(f"{where}: {error}") from None
        meta.update({
            "task": {"kind": "forecasting", "input": "features", "seq_len": lookback,
                     "num_features": frame.shape[1], "num_outputs": horizon},
            "features": list(frame.columns), "target": target, "read_from": str(path),
            "fingerprint": self.files_digest(), "steps_filled": filled,
            "first_time": str(frame.index[0]), "last_time": str(frame.index[-1]),
            "preprocessing": (f"sorted by {self.params['time']!r}"
                              + (f", resampled to {self.params['resample']} means"
                                 if self.params["resample"] else "")
                              + f", gaps: {gaps} ({filled} steps filled); z-scores fitted on "
                                "the train span"),
        })
        return arrays, meta

    def _indexed(self, frame: pd.DataFrame, where: str) -> pd.DataFrame:
        column = self.params["time"]
        times = pd.to_datetime(frame[column], errors="coerce")
        if times.isna().any():
            raise DataError(f"{where}: {_rows(times.isna().to_numpy())} values of time column "
                            f"{column!r} are not dates or times")
        frame = frame.drop(columns=[column]).set_index(times).sort_index()
        if frame.index.has_duplicates:
            raise DataError(f"{where}: time column {column!r} repeats "
                            f"{int(frame.index.duplicated().sum())} timestamps")
        return frame

    def _numeric(self, frame: pd.DataFrame, target: str, where: str) -> pd.DataFrame:
        for column in frame.columns:
            values = pd.to_numeric(frame[column], errors="coerce")
            bad = values.isna() & frame[column].notna()
            if bad.any():
                what = "target" if column == target else "feature"
                raise DataError(f"{where}: {what} column {column!r} is not numeric: "
                                f"{_rows(bad.to_numpy())} values such as "
                                f"{frame[column][bad].iloc[0]!r}")
            infinite = np.isinf(values.to_numpy(dtype="float64"))
            if infinite.any():
                what = "target" if column == target else "feature"
                raise DataError(f"{where}: {what} column {column!r} holds "
                                f"{_rows(infinite)} infinite values (inf or -inf); fix them, "
                                "or leave those cells empty to treat them as missing")
            frame = frame.assign(**{column: values})
        return frame

    def _regular(self, frame: pd.DataFrame, where: str) -> tuple[pd.DataFrame, int]:
        """A regular time grid under the gap policy; how many steps were filled."""
        gaps, target = self.params["gaps"], frame.columns[0]
        if self.params["resample"]:
            try:
                frame = frame.resample(self.params["resample"]).mean()
            except ValueError as error:
                raise DataError(f"{self.name}: resample={self.params['resample']!r} is not a "
                                f"pandas offset alias ({error})") from None
        elif len(frame) > 1:
            step = frame.index.to_series().diff().median()
            frame = frame.reindex(pd.date_range(frame.index[0], frame.index[-1], freq=step))
        missing = frame.isna().any(axis=1).to_numpy()
        if not missing.any():
            return frame, 0
        if gaps == "error":
            in_target = frame[target].isna().to_numpy()
            what = (f"{_rows(in_target)} missing values (NaN or absent steps) in target "
                    f"{target!r}" if in_target.any() else f"{_rows(missing)} steps with "
                    "missing values")
            raise DataError(f"{where}: {what}; pass gaps=interpolate to fill them or "
                            "gaps=drop to drop those steps")
        if gaps == "drop":
            return frame[~missing], 0
        return frame.interpolate(method="time", limit_direction="both"), int(missing.sum())
