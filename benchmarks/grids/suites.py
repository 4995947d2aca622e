"""Named benchmark suites: which models, datasets (each with its budget) and seeds."""

from __future__ import annotations

from dataclasses import dataclass, field

from benchmarks.cell.budget import Budget


@dataclass(frozen=True)
class Suite:
    """A grid: model ids or shell patterns x datasets (each with a budget) x seeds; with
    ``per_family``, one model of each family the patterns match (the one that spells the
    family's name: ``xlstm``, not ``mlstm`` or ``slstm``)."""

    name: str
    description: str
    models: tuple[str, ...] = ("*",)
    datasets: dict[str, Budget] = field(default_factory=dict)
    seeds: tuple[int, ...] = (0,)
    per_family: bool = False


#: the costliest dataset first (its xlstm, hawk and mamba cells take 1.5-2.5 minutes each on 2
#: cores), so the grid does not end on one long cell while the other worker idles
QUICK = {
    "appliances_energy": Budget(epochs=8, max_train=1200, patience=3, learning_rate=3e-3),
    "mr_polarity": Budget(epochs=4, max_train=2000, patience=2),
    "japanese_vowels": Budget(epochs=12, batch_size=32, patience=3, learning_rate=3e-3),
}

SUITES = {
    s.name: s
    for s in (
        Suite("smoke", "every model x one offline dataset per family, tiny subsets, 1 epoch "
                       "(CI; a few minutes)",
              datasets={
                  "mr_polarity": Budget(epochs=1, max_train=256, max_eval=128),
                  "japanese_vowels": Budget(epochs=1, batch_size=32, max_train=128,
                                            max_eval=128),
                  "appliances_energy": Budget(epochs=1, max_train=256, max_eval=128),
              }),
        Suite("quick", "one model of every family x one offline dataset per task family, "
                       "small real budgets (the README's main job)",
              per_family=True, datasets=QUICK),
        Suite("parity", "the quick suite's grid with 3 seeds, to run once per backend "
                        "(--backend): is a Keras model the same model on each? (seqzoo "
                        "reference; the report's Backend parity section)",
              per_family=True, datasets=QUICK, seeds=(0, 1, 2)),
        Suite("standard", "every model x every offline dataset, full data, 3 seeds",
              datasets={
                  "mr_polarity": Budget(epochs=10, patience=2),
                  "tweets3": Budget(epochs=10, patience=2),
                  "japanese_vowels": Budget(epochs=40, batch_size=32, patience=5,
                                            learning_rate=3e-3),
                  "appliances_energy": Budget(epochs=20, patience=3, learning_rate=3e-3),
                  "tmy3_weather": Budget(epochs=20, patience=3, learning_rate=3e-3),
                  "tts_commands": Budget(epochs=20, patience=3, learning_rate=3e-3),
                  "household_power": Budget(epochs=10, patience=3, learning_rate=3e-3),
              },
              seeds=(0, 1, 2)),
        # budgets as published: IMDB and Jena as in Deep Learning with Python (2nd ed., ch. 10
        # and 11), Speech Commands as in TensorFlow's "Simple audio recognition" tutorial
        Suite("canonical", "every model x IMDB, Speech Commands v0.02 and Jena climate through "
                           "the canonical loaders (internet, or --data-dir), published budgets",
              datasets={
                  "imdb": Budget(epochs=10, batch_size=32, patience=3),
                  "speech_commands": Budget(epochs=10, batch_size=64, patience=2),
                  "jena_climate": Budget(epochs=10, batch_size=256, patience=3),
              },
              seeds=(0, 1, 2)),
    )
}


def get_suite(name: str) -> Suite:
    """The suite called ``name``; ``KeyError`` listing the suites if unknown."""
    import zoo

    if name not in SUITES:
        raise zoo.UnknownNameError("suite", name, sorted(SUITES))
    return SUITES[name]
