"""seqzoo benchmarks: datasets, the harness, suites and the ``seqzoo`` command line."""
