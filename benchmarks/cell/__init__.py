"""One cell: train, measure and record one (model, dataset, seed) run."""
