"""Isolated workers: every grid cell runs in a fresh process that claims it from the store.

- :mod:`benchmarks.grids.workers.slots`: how many worker slots, their CPU threads and GPUs;
- :mod:`benchmarks.grids.workers.pool`: the loop that claims cells, starts one process per cell,
  renews leases and writes records;
- :mod:`benchmarks.grids.workers.child`: the process that runs one cell through ``harness.run``;
- :mod:`benchmarks.grids.workers.forks`: the template those processes are forked from on Linux
  CPUs, which imported the backend once.
"""
