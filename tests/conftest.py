"""Quiet TensorFlow's C++ logging for the test run (shared helpers live in ``shapes.py``)."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
