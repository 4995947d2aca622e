"""Datasets from a user's own files: ``text_csv``, ``text_dir``, ``audio_dir``, ``series_csv``.

Each meets the same contract as the built-in datasets (see :class:`~benchmarks.data.Dataset`):
a TaskSpec, deterministic splits, normalisation or vocabulary fitted on train only,
provenance with the sha256 of every input file, the prepared-array cache, and the baselines of
its family (text -> ``sentiment``, audio -> ``speech``, series -> ``forecasting``). The input
files' digest is part of the cache key, so a changed file is prepared again and gets a new
fingerprint. Every problem with the input is a one-line ``DataError`` naming the file and what
is allowed.

Use one directly (``seqzoo run --datasets text_csv:path=reviews.csv,text=review``) or save a
named config with ``seqzoo data add`` (:mod:`benchmarks.data.user`).
"""

from benchmarks.data.files.audio import AudioDir
from benchmarks.data.files.common import GAP_POLICIES, SPLIT_NAMES, FileDataset, digest_files
from benchmarks.data.files.series import SeriesCSV
from benchmarks.data.files.text import TextCSV, TextDir

__all__ = ["GAP_POLICIES", "SPLIT_NAMES", "AudioDir", "FileDataset", "SeriesCSV", "TextCSV",
           "TextDir", "digest_files"]
