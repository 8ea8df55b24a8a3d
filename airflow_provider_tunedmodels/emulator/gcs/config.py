"""Settings of the emulator's Cloud Storage."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["MIB", "StorageConfig"]

MIB = 1024 * 1024


@dataclass(frozen=True)
class StorageConfig:
    """How object contents are held.

    Contents stay in memory while that is cheap and go to files otherwise, so an
    upload of a gigabyte needs no more memory than one of a few megabytes. With a
    state file every object is written next to it instead, and survives restarts.
    """

    #: Object bytes kept in memory in total; further objects go to files.
    memory_limit: int = 256 * MIB
    #: An object larger than this goes to a file while it arrives.
    spill_threshold: int = 8 * MIB
    #: Directory of those files; default: a temporary directory removed at exit.
    spill_directory: str | None = None

    def __post_init__(self) -> None:
        if self.memory_limit < 0 or self.spill_threshold < 0:
            raise ValueError("storage memory_limit and spill_threshold must not be negative")
