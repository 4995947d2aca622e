"""Performance benchmarks (commands that print figures; not tests)."""
