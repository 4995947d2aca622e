"""Model families; importing this package registers every model id."""

from zoo.models import attention_lstm, gated, modern, recurrent, transformer

__all__ = ["attention_lstm", "gated", "modern", "recurrent", "transformer"]
