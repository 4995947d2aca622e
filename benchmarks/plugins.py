"""Import a user's module or one-file plugin, so its models and datasets register."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType


def load_plugin(reference: str) -> ModuleType:
    """Import ``reference``: a ``.py`` file path or an importable module name.

    Raises:
        ValueError: a missing file or a module that cannot be imported, in one line.
    """
    path = Path(reference)
    if reference.endswith(".py"):
        if not path.is_file():
            raise ValueError(f"plugin file {reference} does not exist")
        name = f"seqzoo_plugin_{path.stem}"
        if name in sys.modules:
            return sys.modules[name]
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
        sys.modules[name] = module
        spec.loader.exec_module(module)  # type: ignore[union-attr]
        return module
    try:
        return importlib.import_module(reference)
    except ImportError as error:
        raise ValueError(f"plugin module {reference!r} cannot be imported ({error})") from None
