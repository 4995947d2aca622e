"""``python -m benchmarks.perf.profile``: one profiled epoch splits its op time into the
recurrent loop's passes, the input pipeline and the rest, and names the op types."""

from __future__ import annotations

import pytest

from benchmarks.perf.profile import REGIONS, main, profile, region_of


def test_ops_are_counted_to_their_region() -> None:
    grad = "gradient_tape/lstm_1/lstm_0_1/while_grad/body/MatMul_1_grad/MatMul"
    assert region_of("_MklMatMul", grad) == "recurrent loop backward"
    assert region_of("_MklMatMul", "lstm_1/lstm_0_1/while/lstm_cell_1/MatMul") == \
        "recurrent loop forward"
    outer = "while/body/_1/while/cond/then/_187/while/cond/StatefulPartitionedCall/"
    assert region_of("_MklMatMul", outer + "dense_1/MatMul") == "rest of the step"
    assert region_of("_MklMatMul", outer + "lstm_1/lstm_0_1/while/body/_356/MatMul") == \
        "recurrent loop forward"
    assert region_of("Dataset", "Iterator::Prefetch") == "input pipeline"
    assert region_of("Softmax", "dense/Softmax") == "rest of the step"


def test_an_lstm_epoch_spends_op_time_in_its_recurrent_loop() -> None:
    result = profile("lstm", "forecasting", samples=64, steps_per_execution=1)
    assert set(result["regions"]) == set(REGIONS)
    assert result["regions"]["recurrent loop forward"] > 0
    assert result["regions"]["recurrent loop backward"] > 0
    assert result["op_s"] == pytest.approx(sum(result["regions"].values()))
    assert sum(result["op_types"].values()) == pytest.approx(result["op_s"])
    assert result["wall_s"] > 0 and result["steps_per_execution"] == 1


@pytest.mark.parametrize(("argv", "message"), [
    (["lstmm", "speech"], "model 'lstmm' is not allowed; use one of"),
    (["lstm", "huge"], "shape 'huge' is not allowed; use one of sentiment"),
    (["lstm", "speech", "--steps-per-execution", "lots"],
     "steps_per_execution must be a positive integer or 'auto', got 'lots'"),
])
def test_bad_arguments_are_one_line_errors(argv: list[str], message: str, capsys) -> None:
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]
