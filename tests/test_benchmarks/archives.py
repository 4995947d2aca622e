"""Small archives in the exact published formats of the canonical datasets (no network).

Contents are synthetic (shape tests only); layout, names, headers and encodings are the
originals': ``aclImdb_v1.tar.gz``, ``speech_commands_v0.02.tar.gz`` and
``jena_climate_2009_2016.csv.zip``.
"""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.io import wavfile

IMDB_PER_CLASS = {"train": 20, "test": 10}
SC_WORDS = {"yes": 6, "no": 6, "cat": 6}  # "cat" is one of the "unknown" words
SC_TEST = ["yes/00000000_nohash_0.wav", "no/00000000_nohash_0.wav", "cat/00000000_nohash_0.wav"]
SC_VAL = ["yes/00000001_nohash_0.wav", "no/00000001_nohash_0.wav"]
JENA_HEADER = ('"Date Time","p (mbar)","T (degC)","Tpot (K)","Tdew (degC)","rh (%)",'
               '"VPmax (mbar)","VPact (mbar)","VPdef (mbar)","sh (g/kg)","H2OC (mmol/mol)",'
               '"rho (g/m**3)","wv (m/s)","max. wv (m/s)","wd (deg)"')
JENA_DAYS = 60


def _add(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    archive.addfile(info, io.BytesIO(data))


def _wav(seconds: float, seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    wave = (rng.normal(scale=3000, size=int(16000 * seconds))).astype(np.int16)
    buffer = io.BytesIO()
    wavfile.write(buffer, 16000, wave)
    return buffer.getvalue()


def imdb_archive(folder: Path, members: dict[str, bytes] | None = None) -> Path:
    """``aclImdb_v1.tar.gz``: ``aclImdb/{train,test}/{pos,neg}/<id>_<rating>.txt`` and extras."""
    path = folder / "aclImdb_v1.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        for split, count in IMDB_PER_CLASS.items():
            for polarity, word, rating in (("pos", "wonderful", 9), ("neg", "dreadful", 2)):
                for i in range(count):
                    text = f"A {word} film number {i}.<br /><br />Truly {word} {split}."
                    _add(archive, f"aclImdb/{split}/{polarity}/{i}_{rating}.txt", text.encode())
            _add(archive, f"aclImdb/{split}/urls_pos.txt", b"http://www.imdb.com/title/tt0/\n")
        _add(archive, "aclImdb/train/unsup/0_0.txt", b"unlabelled review")
        _add(archive, "aclImdb/imdb.vocab", b"the\nand\n")
        _add(archive, "aclImdb/README", b"Large Movie Review Dataset v1.0")
        for name, data in (members or {}).items():
            _add(archive, name, data)
    return path


def speech_commands_archive(folder: Path, lists: bool = True) -> Path:
    """``speech_commands_v0.02.tar.gz``: ``./<word>/<hash>_nohash_<n>.wav``, lists, noise."""
    path = folder / "speech_commands_v0.02.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        seed = 0
        for word, count in SC_WORDS.items():
            for i in range(count):
                seed += 1
                # some clips are shorter than 1 s, as in the real corpus
                _add(archive, f"./{word}/{i:08x}_nohash_0.wav", _wav(0.7 + 0.05 * i, seed))
        _add(archive, "./_background_noise_/white_noise.wav", _wav(5.0, 99))
        _add(archive, "./_background_noise_/README.md", b"noise")
        if lists:
            _add(archive, "./testing_list.txt", "\n".join(SC_TEST).encode() + b"\n")
            _add(archive, "./validation_list.txt", "\n".join(SC_VAL).encode() + b"\n")
        _add(archive, "./LICENSE", b"CC BY 4.0")
    return path


def jena_archive(folder: Path, header: str = JENA_HEADER) -> Path:
    """``jena_climate_2009_2016.csv.zip``: the 10-minute CSV with the real header and dates."""
    rng = np.random.default_rng(0)
    rows = [header]
    stamps = pd.date_range("2009-01-01 00:10", periods=JENA_DAYS * 24 * 6, freq="10min")
    for step, stamp in enumerate(stamps.strftime("%d.%m.%Y %H:%M:%S")):
        values = rng.normal(size=14) + np.sin(2 * np.pi * step / 144)
        if step == 100:
            values[11] = -9999.0  # the real file's broken wind-speed readings
        rows.append(stamp + "," + ",".join(f"{v:.2f}" for v in values))
    path = folder / "jena_climate_2009_2016.csv.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("jena_climate_2009_2016.csv", "\n".join(rows) + "\n")
    return path


BUILDERS = {"imdb": imdb_archive, "speech_commands": speech_commands_archive,
            "jena_climate": jena_archive}
