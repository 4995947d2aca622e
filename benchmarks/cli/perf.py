"""``seqzoo perf``: zoo models against hand-written PyTorch peers, per Keras backend."""

from __future__ import annotations

import argparse
import os

from benchmarks.cli.args import DEFAULT_STORE, STORE_HELP, comma_list, int_at_least


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The flags of ``seqzoo perf``."""
    from benchmarks.cell.devices import BACKENDS
    from benchmarks.cell.settings import JIT_MODES
    from benchmarks.perf.peers import PEERS

    p.add_argument("--backends", type=comma_list, default=["tensorflow"],
                   help=f"Keras backends, each in its own process: {', '.join(BACKENDS)} "
                        "(default: tensorflow)")
    p.add_argument("--models", type=comma_list, default=list(PEERS),
                   help=f"comma list of {', '.join(PEERS)} (default: all)")
    p.add_argument("--shapes", type=comma_list, default=None,
                   help="comma list of the quick suite's families (sentiment, speech, "
                        "forecasting) and large (default: all)")
    p.add_argument("--samples", type=int_at_least(1), default=1024,
                   help="samples per timed epoch (default: %(default)s)")
    p.add_argument("--repeats", type=int_at_least(1), default=5,
                   help="timed epochs per side, after one warm-up (default: %(default)s)")
    p.add_argument("--device", choices=("cpu", "gpu"), default="cpu",
                   help="where both sides run (default: cpu)")
    p.add_argument("--jit", choices=JIT_MODES, default="auto",
                   help="the zoo side's XLA setting (default: %(default)s)")
    p.add_argument("--threads", type=int_at_least(1), default=os.cpu_count() or 1,
                   help="CPU threads for each side (default: all cores, %(default)s)")
    p.add_argument("--csv", default="seqzoo-results/peers.csv",
                   help="CSV to write (default: %(default)s)")
    p.add_argument("--store", default=DEFAULT_STORE,
                   help=f"{STORE_HELP} (default: {DEFAULT_STORE})")


def main(args: argparse.Namespace) -> int:
    """``seqzoo perf``: the request, checked, then one child process per backend."""
    from benchmarks.perf.peers import PeersRequest, run, shapes

    return run(PeersRequest(
        tuple(args.backends), tuple(args.models), tuple(args.shapes or shapes()),
        args.samples, args.repeats, args.device, args.jit, args.threads, args.csv,
        args.store))
