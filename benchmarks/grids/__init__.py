"""Many cells: suites, planning, the queue's workers, the probes and tracking."""
