"""Conformance tests generated from the registry: every model id x every task shape."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from shapes import TINY_TASKS, tiny_batch

import zoo
from zoo.xlstm import MLSTM, MLSTM_FORMS

CASES = [(name, shape) for name in zoo.list_models() for shape in TINY_TASKS]
IDS = [f"{name}-{shape}" for name, shape in CASES]
#: training cases: the token task (embedding, mask) in the default run, the others with -m slow
TRAIN_CASES = [pytest.param(name, shape, id=f"{name}-{shape}",
                            marks=[] if shape == "tokens->classes" else pytest.mark.slow)
               for name, shape in CASES]


def _built(name: str, shape: str, **kw) -> tuple[keras.Model, np.ndarray, np.ndarray]:
    keras.utils.set_random_seed(0)
    task = TINY_TASKS[shape]
    x, y = tiny_batch(task)
    return zoo.create_model(name, task, **kw), x, y


@pytest.mark.parametrize(("name", "shape"), CASES, ids=IDS)
def test_forward_shape_and_finite(name: str, shape: str) -> None:
    model, x, _ = _built(name, shape)
    out = np.asarray(model(x, training=False))
    assert out.shape == (len(x), TINY_TASKS[shape].num_outputs)
    assert np.isfinite(out).all()
    if TINY_TASKS[shape].kind == "classification":
        np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-5)


@pytest.mark.parametrize(("name", "shape"), TRAIN_CASES)
def test_fit_reduces_loss_and_keras_file_round_trips(name: str, shape: str, tmp_path) -> None:
    """A few steps on a fixed batch lower the loss; the trained model reloads identically."""
    model, x, y = _built(name, shape, learning_rate=1e-2)
    before = model.evaluate(x, y, verbose=0, return_dict=True)["loss"]
    model.fit(x, y, epochs=8, batch_size=len(x), verbose=0, shuffle=False)
    after = model.evaluate(x, y, verbose=0, return_dict=True)["loss"]
    assert np.isfinite(after)
    assert after < before

    path = tmp_path / f"{name}.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert loaded.get_config() == model.get_config()
    np.testing.assert_array_equal(np.asarray(loaded(x, training=False)),
                                  np.asarray(model(x, training=False)))
    assert loaded.evaluate(x, y, verbose=0, return_dict=True)["loss"] == pytest.approx(after)


@pytest.mark.parametrize(("name", "shape"), CASES, ids=IDS)
def test_get_config_round_trip(name: str, shape: str) -> None:
    model, x, _ = _built(name, shape)
    config = model.get_config()
    assert config["model_id"] == name
    assert config["hparams"] == {**zoo.get_model_info(name).defaults}
    clone = type(model).from_config(config)
    assert clone.get_config() == config
    assert clone.count_params() == model.count_params()
    clone.set_weights(model.get_weights())
    np.testing.assert_allclose(np.asarray(clone(x, training=False)),
                               np.asarray(model(x, training=False)), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", zoo.list_models())
def test_info_is_complete(name: str) -> None:
    info = zoo.get_model_info(name)
    assert info.name == name and info.family and info.description and info.paper
    assert set(info.kinds) == {"classification", "forecasting", "labeling"}
    assert set(info.inputs) == {"tokens", "features"}
    assert info.search_space is not None


def test_fourteen_families_registered() -> None:
    expected = {"rnn", "lstm", "gru", "bilstm", "stacked_lstm", "attention_lstm", "transformer",
                "mingru", "minlstm", "s4d", "mamba", "mlstm", "slstm", "xlstm", "hawk", "lru"}
    assert expected <= set(zoo.list_models())
    assert len({zoo.get_model_info(n).family for n in expected}) == 14
    assert zoo.list_models("*lstm*") == ["attention_lstm", "bilstm", "lstm", "minlstm", "mlstm",
                                         "slstm", "stacked_lstm", "xlstm"]


def test_xlstm_mixes_blocks_in_the_given_ratio() -> None:
    task = TINY_TASKS["frames->classes"]
    kinds = [layer.kind for layer in zoo.build_model("xlstm", task, depth=8, ratio="3:1").layers
             if hasattr(layer, "mixer_args")]
    assert kinds == ["mlstm"] * 3 + ["slstm"] + ["mlstm"] * 3 + ["slstm"]
    mlstm_form = MLSTM().form  # the form measured fastest here (zoo/fast_settings.json)
    assert mlstm_form in MLSTM_FORMS
    assert zoo.kernel_summary(zoo.build_model("xlstm", task), device="cpu") == "+".join(
        sorted(["loop", mlstm_form]))
    for bad in ("3", "a:b", "-1:2", "0:0"):
        with pytest.raises(ValueError, match=f"ratio='{bad}' is not allowed"):
            zoo.build_model("xlstm", task, ratio=bad)


@pytest.mark.parametrize("name", ["lstm", "gru", "bilstm", "stacked_lstm", "attention_lstm"])
def test_fused_kernel_eligible_by_default(name: str) -> None:
    model = zoo.build_model(name, TINY_TASKS["frames->classes"])
    kernels = zoo.recurrent_kernels(model)
    assert kernels and all(v == "cudnn" for v in kernels.values()), kernels
    assert zoo.kernel_summary(model) == "cudnn"


def test_kernel_report_names_blockers() -> None:
    inputs = keras.Input((5, 3))
    out = keras.layers.LSTM(4, recurrent_dropout=0.2, activation="relu", name="slow")(inputs)
    kernels = zoo.recurrent_kernels(keras.Model(inputs, out))
    assert kernels["slow"].startswith("generic")
    assert "recurrent_dropout" in kernels["slow"] and "tanh" in kernels["slow"]
    assert zoo.kernel_summary(zoo.build_model("rnn", TINY_TASKS["frames->classes"])) == "generic"


@pytest.mark.parametrize(
    ("name", "shape", "backend", "expected"),
    [
        ("lstm", "tokens->classes", "tensorflow", "cudnn"),  # TF takes right-padded masks
        ("bilstm", "tokens->classes", "tensorflow", "cudnn"),
        ("lstm", "tokens->classes", "jax", "mask"),
        ("bilstm", "tokens->classes", "jax", "mask"),
        ("lstm", "tokens->classes", "torch", "mask"),
        ("gru", "tokens->classes", "torch", "mask"),
        ("lstm", "frames->classes", "jax", "cudnn"),
        ("gru", "frames->classes", "jax", "no fused GRU"),
        ("gru", "frames->classes", "torch", "cudnn"),
        ("rnn", "frames->classes", "tensorflow", "no fused kernel"),
    ],
)
def test_kernel_record_follows_each_backends_rules(name: str, shape: str, backend: str,
                                                    expected: str) -> None:
    model = zoo.build_model(name, TINY_TASKS[shape])
    kernels = zoo.recurrent_kernels(model, backend=backend, device="gpu")
    for detail in kernels.values():
        assert detail == "cudnn" if expected == "cudnn" else expected in detail, kernels
    on_cpu = zoo.recurrent_kernels(model, backend=backend, device="cpu")
    assert all("cuDNN needs a GPU" in d or "no fused kernel" in d for d in on_cpu.values())
    assert zoo.kernel_summary(model, backend, device="cpu") == "generic"


def test_attention_score_selectable() -> None:
    task = TINY_TASKS["tokens->classes"]
    x, _ = tiny_batch(task)
    for score in ("additive", "dot"):
        model = zoo.create_model("attention_lstm", task, attention=score)
        assert model.get_layer("attention_pool").score == score
        assert np.isfinite(np.asarray(model(x, training=False))).all()


def test_attention_lstm_head_sees_the_final_state_beside_the_context() -> None:
    """The head's features are ``[h_T; context]``: the first ``units`` are the final state of
    the sequence's real steps, as a plain LSTM with the same weights returns it (the pooled
    context alone left forecasting untrained, at the targets' variance)."""
    task = zoo.TaskSpec("classification", "tokens", seq_len=10, vocab_size=30, num_outputs=3)
    x = np.zeros((3, 10), "int32")
    x[0, :4], x[1, :7], x[2] = [5, 2, 9, 1], [3, 3, 8, 4, 6, 1, 2], np.arange(1, 11)
    model = zoo.create_model("attention_lstm", task, units=6, embed_dim=8, compile=False)
    features = keras.Model(model.inputs, model.get_layer("state_and_context").output)(x)
    features = keras.ops.convert_to_numpy(features)
    assert features.shape == (3, 12)
    lstm = model.get_layer("lstm_0")
    plain = keras.layers.LSTM(6)
    stem = keras.Model(model.inputs, model.get_layer("stem_embedding").output)
    plain.build((None, 10, 8))
    plain.set_weights(lstm.get_weights())
    final = plain(stem(x), mask=keras.ops.convert_to_tensor(x != 0))
    np.testing.assert_allclose(features[:, :6], keras.ops.convert_to_numpy(final), atol=1e-6)
    assert np.abs(features[:, 6:]).max() > 0


def test_stacked_depth_configurable() -> None:
    model = zoo.build_model("stacked_lstm", TINY_TASKS["steps->horizon"], depth=3)
    assert len(zoo.recurrent_kernels(model)) == 3


def test_padding_does_not_change_prediction() -> None:
    """Extra padding after a sequence leaves the output unchanged: the mask is honoured."""
    task = zoo.TaskSpec("classification", "tokens", seq_len=12, vocab_size=40, num_outputs=3)
    short = np.zeros((1, 12), "int32")
    short[0, :5] = [3, 9, 4, 22, 7]
    for name in zoo.list_models():
        if not zoo.get_model_info(name).variable_length:
            continue
        keras.utils.set_random_seed(0)
        model = zoo.build_model(name, task)
        wide = zoo.build_model(name, zoo.TaskSpec("classification", "tokens", seq_len=20,
                                                  vocab_size=40, num_outputs=3))
        wide.set_weights(model.get_weights())
        padded = np.pad(short, ((0, 0), (0, 8)))
        np.testing.assert_allclose(np.asarray(wide(padded, training=False)),
                                   np.asarray(model(short, training=False)), rtol=1e-4,
                                   atol=1e-5)


def test_compile_defaults_are_overridable() -> None:
    task = TINY_TASKS["steps->horizon"]
    model = zoo.create_model("gru", task, loss="mae", metrics=["mse"],
                             optimizer=keras.optimizers.SGD(0.1))
    assert isinstance(model.optimizer, keras.optimizers.SGD)
    assert not zoo.create_model("gru", task, compile=False).compiled
