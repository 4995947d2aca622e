"""The recall probes (selective copying, MQAR, induction heads) against hand-built examples and
their originals' rules, and the ``labeling`` task kind every zoo model serves for them."""

from __future__ import annotations

import numpy as np
import pytest

import zoo
from benchmarks.cell.metrics import labeling_metrics
from benchmarks.data import SPLITS, get_dataset
from benchmarks.data.diagnostic import no_memory_score
from zoo.task import IGNORE

SIZES = "n_train=200,n_val=20,n_test=20"


def test_selective_copy_scatters_the_tokens_and_labels_the_markers() -> None:
    data = get_dataset(f"selective_copy:length=10,tokens=4,vocab=8,{SIZES}")
    x, y = data.load("train")
    task = data.task_spec()
    assert task == zoo.TaskSpec("labeling", "tokens", seq_len=18, vocab_size=9, num_outputs=7)
    assert x.shape == y.shape == (200, 18)
    # ids are the original's tokens + 1: noise 0 -> 1, data 1..A-2 -> 2..7, marker A-1 -> 8
    assert (x[:, 14:] == 8).all() and (y[:, :14] == IGNORE).all()
    for row, labels in zip(x, y, strict=True):
        data_tokens = row[:14][row[:14] != 1] - 1
        assert len(data_tokens) == 4 and set(row[:14]) <= set(range(1, 8))
        np.testing.assert_array_equal(labels[14:], data_tokens)  # in order of position
    spots = [tuple(np.flatnonzero(row[:14] != 1)) for row in x]
    assert len(set(spots)) > 100  # variable: positions differ between samples
    # a hand-built example of the layout: tokens 3, 1, 6, 2 at positions 1, 5, 6, 12
    tokens = np.ones(18, dtype="int32")
    tokens[[1, 5, 6, 12]] = np.array([3, 1, 6, 2]) + 1
    tokens[14:] = 8
    matching = [i for i, row in enumerate(x) if spots[i] == (1, 5, 6, 12)]
    for i in matching:
        expected = tokens.copy()
        expected[[1, 5, 6, 12]] = y[i, 14:] + 1
        np.testing.assert_array_equal(x[i], expected)


def test_selective_copy_control_keeps_the_tokens_in_front() -> None:
    x, y = get_dataset(f"selective_copy:length=10,tokens=4,vocab=8,variable=false,{SIZES}"
                       ).load("train")
    assert (x[:, 4:14] == 1).all()
    np.testing.assert_array_equal(x[:, :4] - 1, y[:, 14:])


@pytest.mark.parametrize("random_non_queries", [True, False])
def test_mqar_answers_each_query_with_its_value(random_non_queries) -> None:
    data = get_dataset(f"mqar:length=32,kv=4,vocab=64,random_non_queries="
                       f"{str(random_non_queries).lower()},{SIZES}")
    x, y = data.load("train")
    assert data.task_spec() == zoo.TaskSpec("labeling", "tokens", seq_len=32, vocab_size=65,
                                            num_outputs=64)
    tokens = x - 1  # back to Zoology's ids
    for row, labels in zip(tokens, y, strict=True):
        keys, values = row[0:8:2], row[1:8:2]
        assert len(set(keys)) == 4 and ((keys >= 1) & (keys < 32)).all()
        assert len(set(values)) == 4 and ((values >= 32) & (values < 64)).all()
        queries = np.flatnonzero(labels != IGNORE)
        assert len(queries) == 4 and (queries >= 8).all() and (queries % 2 == 0).all()
        answers = dict(zip(keys, values, strict=True))
        assert sorted(row[queries]) == sorted(keys)
        for q in queries:
            assert labels[q] == answers[row[q]]
        if not random_non_queries:
            others = np.setdiff1d(np.arange(8, 32), queries)
            assert (row[others] == 0).all()


def test_mqar_queries_follow_the_power_law() -> None:
    x, y = get_dataset("mqar:length=128,kv=4,vocab=256,n_train=2000,n_val=10,n_test=10"
                       ).load("train")
    gaps = (np.argwhere(y != IGNORE)[:, 1] - 8) // 2
    # p(g) ~ (g + 1)^(a - 1) with a = 0.01: the first of 60 gaps is far likelier than the last
    counts = np.bincount(gaps, minlength=60)
    assert counts[0] > 4 * counts[-1] and counts[:6].sum() > counts[30:].sum()


def test_induction_heads_recall_the_token_after_the_special_one() -> None:
    data = get_dataset(f"induction_heads:length=20,vocab=5,{SIZES}")
    x, y = data.load("train")
    assert data.task_spec() == zoo.TaskSpec("labeling", "tokens", seq_len=20, vocab_size=7,
                                            num_outputs=5)
    special = 6
    for row, labels in zip(x, y, strict=True):
        where = np.flatnonzero(row == special)
        assert len(where) == 2 and where[1] == 19 and where[0] <= 17
        assert (labels[:19] == IGNORE).all() and labels[19] == row[where[0] + 1] - 1
        assert set(row) - {special} <= set(range(1, 6))


@pytest.mark.parametrize("spec, message", [
    ("mqar:length=15", "length=15 is not allowed; use an even length"),
    ("mqar:length=64,vocab=64", "vocab=64 is not allowed with length=64; use vocab > length"),
    ("mqar:length=64,kv=17", "kv=17 is not allowed with length=64; use kv <= 16"),
    ("mqar:power_a=2.0", "power_a=2.0 is not allowed; use a number in \\[0.001, 1\\]"),
    ("selective_copy:vocab=2", "vocab=2 is not allowed; use an integer >= 3"),
    ("selective_copy:variable=maybe", "variable='maybe'"),
    ("induction_heads:length=3", "length=3 is not allowed; use an integer >= 4"),
])
def test_bad_probe_parameters_are_one_line_errors(spec, message) -> None:
    with pytest.raises(ValueError, match=message) as error:
        get_dataset(spec).load("train")
    assert "\n" not in str(error.value)


@pytest.mark.parametrize("spec, chance", [
    ("selective_copy:length=32,tokens=4,vocab=16", 1 / 14),
    ("mqar:length=32,kv=4,vocab=64", 2 / 64),
    ("induction_heads:length=32,vocab=16", 1 / 16),
])
def test_chance_matches_the_best_constant_guess(spec, chance) -> None:
    data = get_dataset(f"{spec},n_train=10,n_val=10,n_test=4000")
    _, y = data.load("test")
    assert no_memory_score(data) == ("accuracy", pytest.approx(chance))
    labels = y[y != IGNORE]
    if spec.startswith("mqar"):  # uniform among the values
        assert len(np.unique(labels)) == 32
    else:
        assert abs(np.bincount(labels).max() / len(labels) - chance) < 0.03


@pytest.mark.parametrize("name", ["selective_copy", "mqar", "induction_heads"])
def test_splits_are_seeded_and_disjoint(name) -> None:
    first, again = (get_dataset(f"{name}:length=32,{SIZES}", seed=0) for _ in range(2))
    seen = set()
    for split in SPLITS:
        x = first.load(split)[0]
        assert x.tobytes() == again.load(split)[0].tobytes()
        rows = {r.tobytes() for r in x}
        assert not rows & seen
        seen |= rows


LABELING = zoo.TaskSpec("labeling", "tokens", seq_len=10, vocab_size=9, num_outputs=5)


def _labeled_batch(n: int = 8) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.integers(1, 9, (n, 10)).astype("int32")
    y = np.full((n, 10), IGNORE, dtype="int32")
    y[:, -3:] = rng.integers(0, 5, (n, 3))
    y[0, 2] = 4  # one labelled position elsewhere
    return x, y


@pytest.mark.parametrize("name", zoo.list_models())
def test_every_model_answers_at_every_position_and_counts_only_labels(name) -> None:
    x, y = _labeled_batch()
    model = zoo.create_model(name, LABELING)
    probs = np.asarray(model.predict(x, verbose=0))
    assert probs.shape == (8, 10, 5)
    np.testing.assert_allclose(probs.sum(-1), 1.0, rtol=1e-5)
    loss, accuracy = model.evaluate(x, y, batch_size=8, verbose=0)
    labelled = y != IGNORE
    picked = np.take_along_axis(probs, np.where(labelled, y, 0)[..., None], -1)[..., 0]
    assert loss == pytest.approx(float(-np.log(picked[labelled]).mean()), rel=1e-4)
    assert accuracy == pytest.approx(labeling_metrics(y, probs, 5)["accuracy"], abs=1e-6)
    assert accuracy == pytest.approx(float((probs.argmax(-1) == y)[labelled].mean()), abs=1e-6)


def test_a_model_without_per_position_features_says_so() -> None:
    from zoo.model import build_sequence_model

    with pytest.raises(ValueError, match="model 'pooled' answers once per sequence"):
        build_sequence_model(LABELING, lambda x, mask: x[:, -1], embed_dim=8, dropout=0.0,
                             name="pooled")


def test_causal_attention_pooling_equals_the_softmax_over_each_prefix() -> None:
    from zoo.layers import AttentionPooling

    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 6, 4)).astype("float32")
    for score in ("additive", "dot"):
        causal = AttentionPooling(score, 3, causal=True)
        pooled = np.asarray(causal(x))
        whole = AttentionPooling(score, 3)
        whole.build(x.shape)
        whole.set_weights(causal.get_weights())
        for t in range(6):  # the pooled prefix equals the non-causal pool of that prefix
            np.testing.assert_allclose(pooled[:, t], np.asarray(whole(x[:, : t + 1])),
                                       rtol=1e-5, atol=1e-6)


def test_a_labeling_model_saves_and_loads(tmp_path) -> None:
    import keras

    x, _ = _labeled_batch()
    model = zoo.create_model("attention_lstm", LABELING)
    model.save(tmp_path / "m.keras")
    again = keras.saving.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-6)
