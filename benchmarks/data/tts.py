"""A ctypes driver for the espeak-ng speech synthesiser shipped in the espeakng-loader wheel.

espeak-ng keeps hidden state between utterances (wave phase, its own random noise), so the
same utterance differs slightly when spoken twice in one process. A fresh process speaking a
fixed list of utterances in a fixed order, with fixed random seeds, is exactly repeatable, so
:func:`synthesize` runs every chunk of jobs in its own subprocess running this file as a
script. The script needs only NumPy and the standard library (no TensorFlow start-up).
"""

from __future__ import annotations

import ctypes
import json
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

SYNCHRONOUS = 2  # espeak_AUDIO_OUTPUT: AUDIO_OUTPUT_SYNCHRONOUS
RATE, PITCH = 1, 3  # espeak_PARAMETER ids
_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int,
                             ctypes.c_void_p)


class Espeak:
    """The espeak-ng library in this process (changes the working directory to the package).

    ``speak(text, voice, rate, pitch, seed)`` returns the int16 waveform.
    """

    def __init__(self, package_dir: Path) -> None:
        package_dir = package_dir.resolve()
        self._lib = ctypes.CDLL(str(package_dir / "libespeak-ng.so"))
        self._lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p,
                                                ctypes.c_int]
        self._lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        self._lib.espeak_Synth.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint,
                                           ctypes.c_int, ctypes.c_uint, ctypes.c_uint,
                                           ctypes.c_void_p, ctypes.c_void_p]
        self._lib.espeak_ng_SetRandSeed.argtypes = [ctypes.c_long]
        self._chunks: list[np.ndarray] = []
        self._callback = _CALLBACK(self._collect)  # kept referenced while the library lives
        # espeak-ng keeps the data path in a 160-byte buffer: pass it relative to the package
        os.chdir(package_dir)
        self.sample_rate = self._lib.espeak_Initialize(SYNCHRONOUS, 0, b"espeak-ng-data", 0)
        if self.sample_rate <= 0:
            raise RuntimeError(f"espeak_Initialize failed with data in {package_dir}")
        self._lib.espeak_SetSynthCallback(self._callback)
        self._libc = ctypes.CDLL(None)

    def _collect(self, wav, count, events) -> int:
        if count > 0:
            self._chunks.append(np.ctypeslib.as_array(wav, shape=(count,)).copy())
        return 0

    def speak(self, text: str, voice: str, rate: int, pitch: int, seed: int) -> np.ndarray:
        """Synthesise ``text`` with ``voice`` (e.g. ``en+m3``) at ``rate`` wpm and ``pitch``."""
        if self._lib.espeak_SetVoiceByName(voice.encode()) != 0:
            raise ValueError(f"espeak-ng has no voice {voice!r}")
        self._lib.espeak_SetParameter(RATE, rate, 0)
        self._lib.espeak_SetParameter(PITCH, pitch, 0)
        self._libc.srand(seed)
        self._lib.espeak_ng_SetRandSeed(seed)
        self._chunks.clear()
        raw = text.encode() + b"\0"
        status = self._lib.espeak_Synth(raw, len(raw), 0, 0, 0, 0, None, None)
        if status != 0:
            raise RuntimeError(f"espeak_Synth failed ({status}) for {text!r} with {voice!r}")
        self._lib.espeak_Synchronize()
        return np.concatenate(self._chunks) if self._chunks else np.zeros(0, np.int16)


def synthesize(package_dir: Path, chunks: list[list[dict]], workers: int
               ) -> tuple[int, list[np.ndarray]]:
    """Speak every job of every chunk, each chunk in a fresh subprocess; ``workers`` at a time.

    A job is ``{"text", "voice", "rate", "pitch", "seed"}``. Returns the sample rate and
    the int16 waveforms in job order. The output does not depend on ``workers``.
    """
    with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(max(1, workers)) as pool:
        def run(index: int) -> tuple[int, list[np.ndarray]]:
            jobs, out = Path(tmp) / f"jobs{index}.json", Path(tmp) / f"wav{index}.npz"
            jobs.write_text(json.dumps(chunks[index]))
            proc = subprocess.run([sys.executable, __file__, str(package_dir), str(jobs),
                                   str(out)], capture_output=True, text=True)
            if proc.returncode != 0:
                tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
                raise RuntimeError(f"espeak-ng worker failed: {tail}")
            with np.load(out) as data:
                waves = [data[f"w{i}"] for i in range(len(chunks[index]))]
                return int(data["sample_rate"]), waves

        results = list(pool.map(run, range(len(chunks))))
    return results[0][0], [wave for _, waves in results for wave in waves]


def _main(package_dir: str, jobs_path: str, out_path: str) -> None:
    jobs = json.loads(Path(jobs_path).read_text())
    engine = Espeak(Path(package_dir))
    waves = {f"w{i}": engine.speak(**job) for i, job in enumerate(jobs)}
    np.savez(out_path, sample_rate=engine.sample_rate, **waves)


if __name__ == "__main__":
    _main(*sys.argv[1:4])
