"""The emulator's state file: one JSON document with a section per API.

Each API package keeps its resources in memory and registers a
:class:`StateSection` under its own name (``gemini``, ``vertex``...). Without a
state file nothing is written; with one, every :meth:`StateFile.save` rewrites
the whole file atomically (write a temporary file, then rename), and a restart
restores each section from it. Everything runs on the server's event loop, so
no locking is needed.

Format (version 2)::

    {"version": 2, "sections": {"gemini": {...}, "vertex": {...}}}

A version 1 file (``{"version": 1, "models": [...]}``, written before the
emulator served more than the Gemini API) is read as the ``gemini`` section.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, Protocol

__all__ = ["STATE_FILE_VERSION", "StateFile", "StateSection"]

#: Format version written to the state file.
STATE_FILE_VERSION = 2
_LEGACY_VERSION = 1
_LEGACY_SECTION = "gemini"


class StateSection(Protocol):
    """What an API package's state offers the state file."""

    def dump(self) -> dict[str, Any]:
        """The section as JSON-compatible data."""

    def restore(self, data: dict[str, Any]) -> None:
        """Replace the in-memory state with ``data`` (as :meth:`dump` wrote it)."""

    def reset(self) -> None:
        """Forget everything (the control API's reset)."""


class StateFile:
    """The sections of every API and the optional file that keeps them."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None else None
        self._sections: dict[str, StateSection] = {}
        self._saved: dict[str, dict[str, Any]] = {}
        if self.path is not None and self.path.exists():
            self._saved = _read(self.path)

    def add_section(self, name: str, section: StateSection) -> None:
        """Register ``section`` under ``name`` and restore what the file holds for it."""
        if name in self._sections:
            raise ValueError(f"state section {name!r} is already registered")
        self._sections[name] = section
        saved = self._saved.pop(name, None)
        if saved is not None:
            section.restore(saved)

    def reset(self) -> None:
        """Reset every section and persist the empty state."""
        for section in self._sections.values():
            section.reset()
        self.save()

    def save(self) -> None:
        """Rewrite the state file atomically, if one is configured."""
        if self.path is None:
            return
        sections = {name: section.dump() for name, section in self._sections.items()}
        # Sections of APIs this server does not serve are kept, not dropped.
        sections.update({name: data for name, data in self._saved.items() if name not in sections})
        payload = {"version": STATE_FILE_VERSION, "sections": sections}
        directory = self.path.parent
        directory.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=directory, prefix=".tunedmodels-state-")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                json.dump(payload, stream, ensure_ascii=False)
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


def _read(path: Path) -> dict[str, dict[str, Any]]:
    payload = json.loads(path.read_text(encoding="utf-8"))
    version = payload.get("version")
    if version == _LEGACY_VERSION:
        return {_LEGACY_SECTION: {"models": payload.get("models", [])}}
    if version != STATE_FILE_VERSION:
        raise ValueError(f"{path}: unsupported state file version {version!r}")
    sections: dict[str, dict[str, Any]] = payload.get("sections", {})
    return sections
