"""Spoken commands synthesised offline with espeak-ng: a Speech-Commands-V2-12-like set.

Every clip is spoken by the real espeak-ng engine from the espeakng-loader wheel; the variation
a recorded corpus has comes from voice variants (the speaker), speaking rate, pitch, loudness,
a random time shift and coloured background noise at a random SNR. Splits are disjoint by
voice, so no test speaker is heard in training.
"""

from __future__ import annotations

import os
import platform
import time
from typing import Any

import numpy as np

from benchmarks.data.base import SPLITS, Dataset, Limit, register_dataset
from benchmarks.data.tts import synthesize
from benchmarks.data.wheels import DataError, PinnedWheel, unpack_wheel

ESPEAKNG = PinnedWheel(
    "espeakng-loader", "0.2.4",
    "espeakng_loader-0.2.4-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
    "08721baf27d13d461f6be6eed9a65277e70d68234ff484fd8b9897b222cdcb6d",
    "MIT (espeakng-loader); espeak-ng GPL-3.0", platform="manylinux2014_x86_64",
)
COMMANDS = ("yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go")
#: the other words of Speech Commands V2, spoken for the "unknown" class
OTHER_WORDS = ("backward", "bed", "bird", "cat", "dog", "eight", "five", "follow", "forward",
               "four", "happy", "house", "learn", "marvin", "nine", "one", "seven", "sheila",
               "six", "three", "tree", "two", "visual", "wow", "zero")
CLASSES = (*COMMANDS, "unknown", "silence")
SAMPLE_RATE = 16000
VOICES_PER_PROCESS = 8


def _voices(package_dir) -> list[str]:
    """Every voice variant in the wheel, as espeak-ng voice names (English base voice)."""
    variants = sorted(p.name for p in (package_dir / "espeak-ng-data" / "voices" / "!v").iterdir())
    # alternate British and American English so accents vary as well as timbre
    return [f"{('en', 'en-us')[i % 2]}+{v}" for i, v in enumerate(variants)]


def coloured_noise(rng: np.random.Generator, size: int) -> np.ndarray:
    """Unit-RMS white, pink or brown noise (power spectrum ~ 1/f^0, 1/f^1 or 1/f^2)."""
    alpha = rng.choice([0.0, 1.0, 2.0])
    spectrum = np.fft.rfft(rng.normal(size=size))
    freqs = np.fft.rfftfreq(size)
    freqs[0] = freqs[1]
    noise = np.fft.irfft(spectrum / freqs ** (alpha / 2), n=size)
    return noise / noise.std()


def place(speech: np.ndarray, rng: np.random.Generator, snr_db: tuple[float, float]
          ) -> np.ndarray:
    """A 1 s clip: ``speech`` (may be empty, for silence) at a random offset and gain, in noise."""
    clip = np.zeros(SAMPLE_RATE)
    if len(speech):
        speech = speech[:SAMPLE_RATE] / max(np.abs(speech).max(), 1e-9)
        offset = rng.integers(0, SAMPLE_RATE - len(speech) + 1)
        clip[offset:offset + len(speech)] = speech * 10 ** (rng.uniform(-12, 0) / 20)
        power = np.mean(speech ** 2) * 10 ** (-rng.uniform(*snr_db) / 10)
    else:
        power = 10 ** rng.uniform(-7, -2)
    return (clip + coloured_noise(rng, SAMPLE_RATE) * np.sqrt(power)).astype("float32")


def log_mel(clips: np.ndarray, bins: int, rate: int = SAMPLE_RATE) -> np.ndarray:
    """``(n, frames, bins)`` log-mel features from Keras (25 ms window, 10 ms hop) of clips
    sampled at ``rate`` Hz."""
    import keras

    window, hop = int(round(0.025 * rate)), int(round(0.010 * rate))
    layer = keras.layers.MelSpectrogram(fft_length=1 << (window - 1).bit_length(),
                                        sequence_stride=hop, sequence_length=window,
                                        sampling_rate=rate, num_mel_bins=bins)
    parts = [keras.ops.convert_to_numpy(layer(clips[i:i + 256]))
             for i in range(0, len(clips), 256)]
    return np.transpose(np.concatenate(parts), (0, 2, 1)).astype("float32")


@register_dataset
class TTSCommands(Dataset):
    """Twelve spoken-command classes from 104 espeak-ng voices, split by voice."""

    name = "tts_commands"
    family = "speech"
    offline = True
    source = ("spoken commands synthesised by espeak-ng 1.52 (104 voice variants, en/en-us), "
              "from espeakng-loader 0.2.4 (libespeak-ng.so + espeak-ng-data)")
    licence = "generated data; espeak-ng GPL-3.0, espeakng-loader MIT"
    version = "espeakng-loader-0.2.4"
    split_definition = "voices shuffled by seed, 70/15/15 of voices; no voice in two splits"
    defaults = {"takes": 3, "mel_bins": 40, "min_snr_db": 5.0, "max_snr_db": 30.0}
    limits = {"takes": Limit(1), "mel_bins": Limit(1), "min_snr_db": Limit(-20, 100),
              "max_snr_db": Limit(-20, 100)}

    def prepare(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        if (platform.system(), platform.machine()) != ("Linux", "x86_64"):
            raise DataError(f"tts_commands needs Linux x86_64 (espeak-ng comes as a "
                            f"manylinux wheel); this is {platform.system()} "
                            f"{platform.machine()}")
        package = unpack_wheel(ESPEAKNG, "espeakng_loader/")
        voices = _voices(package)
        takes, snr = self.params["takes"], (self.params["min_snr_db"], self.params["max_snr_db"])
        clips, jobs = [], []  # clips: (voice index, class index, job index or -1 for silence)
        for v, voice in enumerate(voices):
            rng = np.random.default_rng([self.seed, v])
            words = [(c, w) for c, w in enumerate(COMMANDS) for _ in range(takes)]
            words += [(len(COMMANDS), w) for w in rng.choice(OTHER_WORDS, takes, replace=False)]
            for label, word in words:
                clips.append((v, label, len(jobs)))
                jobs.append({"text": str(word), "voice": voice, "seed": len(jobs),
                             "rate": int(rng.integers(110, 230)),
                             "pitch": int(rng.integers(15, 85))})
            clips += [(v, len(CLASSES) - 1, -1)] * takes
        per_chunk = VOICES_PER_PROCESS * len(jobs) // len(voices)
        chunks = [jobs[i:i + per_chunk] for i in range(0, len(jobs), per_chunk)]
        start = time.perf_counter()
        rate, waves = synthesize(package, chunks, workers=os.cpu_count() or 1)
        synth_seconds = time.perf_counter() - start
        from scipy.signal import resample_poly  # imported here: it takes a second

        rng = np.random.default_rng(self.seed)
        audio = np.stack([
            place(resample_poly(waves[j].astype("float64"), SAMPLE_RATE, rate) if j >= 0
                  else np.zeros(0), rng, snr) for _, _, j in clips])
        features = log_mel(audio, self.params["mel_bins"])
        voice_of = np.array([v for v, _, _ in clips])
        labels = np.array([c for _, c, _ in clips], "int32")
        order = rng.permutation(len(voices))
        cut = np.cumsum([round(len(voices) * 0.7), round(len(voices) * 0.15)])
        split_voices = dict(zip(SPLITS, np.split(order, cut), strict=True))
        rows = {s: rng.permutation(np.flatnonzero(np.isin(voice_of, split_voices[s])))
                for s in SPLITS}
        train = features[rows["train"]].reshape(-1, features.shape[2])
        mean, std = train.mean(axis=0), train.std(axis=0)
        arrays = {}
        for split in SPLITS:
            arrays[f"x_{split}"] = ((features[rows[split]] - mean) / std).astype("float32")
            arrays[f"y_{split}"] = labels[rows[split]]
            arrays[f"voice_{split}"] = np.array(voices)[voice_of[rows[split]]]
        meta = {
            "task": {"kind": "classification", "input": "features",
                     "seq_len": int(features.shape[1]), "num_features": int(features.shape[2]),
                     "num_outputs": len(CLASSES)},
            "classes": list(CLASSES), "fingerprint": ESPEAKNG.sha256,
            "class_counts": {c: int((labels == i).sum()) for i, c in enumerate(CLASSES)},
            "voices": {s: int(len(split_voices[s])) for s in SPLITS},
            "synthesis_seconds": round(synth_seconds, 2),
            "preprocessing": (
                f"per voice, each command {takes}x and {takes} other Speech Commands words "
                f"('unknown') at random rate 110-229 wpm and pitch 15-84; {rate} Hz resampled "
                f"to {SAMPLE_RATE} Hz, peak-normalised, gain -12..0 dB, random offset in a 1 s "
                f"clip, white/pink/brown noise at SNR {snr[0]:g}-{snr[1]:g} dB; 'silence' is "
                f"noise only; keras MelSpectrogram (25 ms window, 10 ms hop, "
                f"{self.params['mel_bins']} mel bins, dB), z-scored per bin with train stats"),
        }
        return arrays, meta
