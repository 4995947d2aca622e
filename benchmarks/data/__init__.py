"""Dataset registry: offline real datasets from pinned wheels, and canonical loaders."""

from benchmarks.data import (  # noqa: F401  (registers datasets)
    canonical,
    commands,
    diagnostic,
    files,
    forecasting,
    recall,
    sentiment,
    speech,
    user,
)
from benchmarks.data.base import (
    FAMILIES,
    SPLITS,
    Dataset,
    canonical_id,
    dataset_class,
    get_dataset,
    list_datasets,
    open_dataset,
    register_dataset,
)
from benchmarks.data.wheels import DataError

__all__ = ["FAMILIES", "SPLITS", "DataError", "Dataset", "canonical_id", "dataset_class",
           "get_dataset", "list_datasets", "open_dataset", "register_dataset"]
