"""Model families; importing this package registers every model id."""

from zoo.models import attention_lstm, modern, recurrent, transformer

__all__ = ["attention_lstm", "modern", "recurrent", "transformer"]
