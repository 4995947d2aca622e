"""Bad input gets one clear sentence, as a ValueError or KeyError."""

from __future__ import annotations

import pytest
from shapes import TINY_TASKS

import zoo

TOKENS = TINY_TASKS["tokens->classes"]


def test_unknown_model_suggests_close_ids() -> None:
    with pytest.raises(KeyError) as err:
        zoo.create_model("lstn", TOKENS)
    message = str(err.value)
    assert "unknown model 'lstn'" in message and "lstm" in message
    assert "\n" not in message


def test_unknown_model_info() -> None:
    with pytest.raises(KeyError, match="did you mean"):
        zoo.get_model_info("transformr")


def test_unsupported_task_for_family() -> None:
    variable = zoo.TaskSpec("classification", "tokens", seq_len=None, vocab_size=40,
                            num_outputs=2)
    with pytest.raises(ValueError, match="'transformer' needs a fixed seq_len"):
        zoo.create_model("transformer", variable)
    assert zoo.create_model("lstm", variable).output_shape == (None, 2)


@pytest.mark.parametrize("name", zoo.list_models())
@pytest.mark.parametrize("units", [0, -3, 2.5])
def test_bad_width(name: str, units) -> None:
    key = "units" if "units" in zoo.get_model_info(name).defaults else "embed_dim"
    with pytest.raises(ValueError, match=f"{key} must be a positive integer, got {units}"):
        zoo.create_model(name, TOKENS, **{key: units})


@pytest.mark.parametrize("name", zoo.list_models())
@pytest.mark.parametrize("dropout", [-0.1, 1.0, 1.5])
def test_bad_dropout(name: str, dropout: float) -> None:
    with pytest.raises(ValueError, match=r"dropout must be in \[0, 1\)"):
        zoo.create_model(name, TOKENS, dropout=dropout)


def test_heads_must_divide_width() -> None:
    with pytest.raises(ValueError, match="num_heads=3 must divide embed_dim=64 exactly"):
        zoo.create_model("transformer", TOKENS, num_heads=3)


def test_bad_attention_score() -> None:
    with pytest.raises(ValueError, match="attention='cosine' is not allowed; use one of"):
        zoo.create_model("attention_lstm", TOKENS, attention="cosine")


def test_unknown_hyperparameter() -> None:
    with pytest.raises(ValueError, match="'lstm' has no hyperparameter 'layers'; allowed:"):
        zoo.create_model("lstm", TOKENS, layers=3)


def test_bad_learning_rate() -> None:
    with pytest.raises(ValueError, match="learning_rate must be a positive number"):
        zoo.create_model("lstm", TOKENS, learning_rate=0)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(kind="classification", input="tokens", seq_len=8, num_outputs=2),
         "input='tokens' needs vocab_size >= 2"),
        (dict(kind="classification", input="features", seq_len=8, num_outputs=2),
         "input='features' needs num_features"),
        (dict(kind="classification", input="tokens", vocab_size=9, num_features=3),
         "must not set num_features"),
        (dict(kind="forecasting", input="tokens", vocab_size=9, num_outputs=4),
         "forecasting needs input='features'"),
        (dict(kind="classification", input="features", num_features=3, num_outputs=1),
         "num_outputs >= 2 classes"),
        (dict(kind="regression", input="features", num_features=3), "kind='regression'"),
        (dict(kind="classification", input="audio", num_features=3), "input='audio'"),
        (dict(kind="forecasting", input="features", num_features=3, seq_len=0),
         "seq_len must be a positive integer"),
        (dict(kind="forecasting", input="features", num_features=3, vocab_size=5),
         "must not set vocab_size"),
    ],
)
def test_bad_task_spec(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        zoo.TaskSpec(**kwargs)


def test_task_must_be_taskspec() -> None:
    with pytest.raises(ValueError, match="task must be a zoo.TaskSpec"):
        zoo.create_model("lstm", {"kind": "classification"})
