"""A minimal decoder for Server-Sent Events, as ``streamGenerateContent?alt=sse`` sends them."""

from __future__ import annotations

__all__ = ["SSEDecoder"]


class SSEDecoder:
    """Feed lines, get the ``data`` of each completed event.

    An event ends at a blank line; several ``data:`` lines in one event are joined
    with newlines; comments (``:``) and other fields are ignored.
    """

    def __init__(self) -> None:
        self._data: list[str] = []

    def feed(self, line: str) -> str | None:
        """Take one line (without its line break); return an event's data when one completes."""
        line = line.rstrip("\r")
        if not line:
            return self.flush()
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        if name == "data":
            self._data.append(value[1:] if value.startswith(" ") else value)
        return None

    def flush(self) -> str | None:
        """End the current event (also at end of stream); ``None`` if it had no data."""
        if not self._data:
            return None
        data = "\n".join(self._data)
        self._data = []
        return data
