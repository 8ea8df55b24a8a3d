"""A set of fingerprints that keeps a fixed amount of memory, however many it holds.

Duplicate detection asks, for every row, "was this fingerprint seen before?". Most
answers are "no", and a disk lookup per row (or a database insert per row) would
cost more than everything else preparation does. So the store answers from memory
whenever it can:

* the most recent fingerprints, up to ``memory_limit`` of them, are kept in a set;
* when the set is full, it is written out, sorted, as a *run* file in a private
  temporary directory (deleted on close), and emptied. A run keeps in memory only
  the first fingerprint of each 4 KiB block, to find the one block to read;
* from the first run on, a Bloom filter of fixed size (:data:`FILTER_BITS` bits,
  4 MiB) remembers every fingerprint. One it has not seen is certainly new, so only
  duplicates and rare false alarms read the disk: one block per run;
* when :data:`MERGE_FANIN` runs of the same size class exist, they are merged into
  one, so the number of runs grows only with the logarithm of the input.

Memory is the set, the filter and a few bytes per 4 KiB of runs on disk. An input
with fewer distinct rows than ``memory_limit`` never writes a run nor needs the filter.
"""

from __future__ import annotations

import bisect
import heapq
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from types import TracebackType

    from typing_extensions import Self

__all__ = ["DEFAULT_MEMORY_LIMIT", "FILTER_BITS", "MERGE_FANIN", "SeenStore"]

#: How many fingerprints are kept in memory before they are written to a run.
DEFAULT_MEMORY_LIMIT = 65_536
#: Size of the Bloom filter: 2**25 bits (4 MiB). With two probes per fingerprint,
#: about 0.4% of new fingerprints are false alarms after a million, 20% after ten million.
FILTER_BITS = 1 << 25
#: How many runs of one size class are merged together.
MERGE_FANIN = 16
#: Fingerprints per block of a run: the unit read from disk by a lookup.
BLOCK_RECORDS = 256
# The two probes come from the bytes' own hash, which Python computes once and caches
# on the object (the in-memory set needs it anyway): its low and its high 32 bits.
_FILTER_MASK = FILTER_BITS - 1
_SECOND_PROBE_SHIFT = 32


class SeenStore:
    """Remember fingerprints (byte strings of one length) and tell whether one was seen.

    Use it as a context manager::

        with SeenStore() as seen:
            if seen.add(fingerprint):
                ...  # first time

    Fingerprints should be hash digests, so that sorted runs hold no patterns.
    """

    def __init__(self, *, memory_limit: int | None = None) -> None:
        """Set how many fingerprints stay in memory; the directory is created on ``with``.

        :param memory_limit: how many fingerprints are kept in memory before they are
            written to disk; :data:`DEFAULT_MEMORY_LIMIT` when omitted.
        """
        if memory_limit is None:
            memory_limit = DEFAULT_MEMORY_LIMIT
        if memory_limit < 1:
            raise ValueError(f"memory_limit must be at least 1, got {memory_limit}")
        self._memory_limit = memory_limit
        self._directory: tempfile.TemporaryDirectory[str] | None = None
        self._recent: set[bytes] | None = None
        self._width: int | None = None
        self._filter = bytearray()
        self._runs: list[_Run] = []
        self._runs_written = 0

    def __enter__(self) -> Self:
        """Create the scratch directory."""
        self._directory = tempfile.TemporaryDirectory(prefix="tunedmodels-seen-")
        self._recent = set()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Delete the runs and their directory, and free the memory."""
        for run in self._runs:
            run.close()
        self._runs = []
        self._recent = None
        self._filter = bytearray()
        if self._directory is not None:
            self._directory.cleanup()
            self._directory = None

    def add(self, fingerprint: bytes) -> bool:
        """Record ``fingerprint``; return ``True`` if it was new, ``False`` if seen before."""
        return self.add_many([fingerprint])[0]

    def add_many(self, fingerprints: Iterable[bytes]) -> list[bool]:
        """Record ``fingerprints`` in order; tell for each whether it was new.

        A fingerprint repeated within ``fingerprints`` is new only the first time. One
        call per batch is much faster than one per fingerprint; the set may exceed
        ``memory_limit`` by a batch before it is written out.
        """
        recent = self._recent
        if recent is None:
            raise RuntimeError("SeenStore must be used as a context manager")
        if not self._runs:  # nothing on disk yet: the set alone answers
            verdicts = []
            for fingerprint in fingerprints:
                verdicts.append(fingerprint not in recent)
                recent.add(fingerprint)
            if len(recent) >= self._memory_limit:
                self._spill(recent)
            return verdicts
        bits, runs = self._filter, self._runs
        verdicts = []
        for fingerprint in fingerprints:
            if fingerprint in recent:
                verdicts.append(False)
                continue
            # A new fingerprint enters the filter now, while it is at hand.
            probes = hash(fingerprint)
            first, second = probes & _FILTER_MASK, (probes >> _SECOND_PROBE_SHIFT) & _FILTER_MASK
            first_byte, first_bit = first >> 3, 1 << (first & 7)
            second_byte, second_bit = second >> 3, 1 << (second & 7)
            maybe_written = runs and bits[first_byte] & first_bit and bits[second_byte] & second_bit
            if maybe_written and any(run.contains(fingerprint) for run in runs):
                verdicts.append(False)
                continue
            bits[first_byte] |= first_bit
            bits[second_byte] |= second_bit
            recent.add(fingerprint)
            verdicts.append(True)
        if len(recent) >= self._memory_limit:
            self._spill(recent)
        return verdicts

    def _check_widths(self, fingerprints: set[bytes]) -> int:
        """Return the one length of ``fingerprints`` (and of every earlier run)."""
        widths = set(map(len, fingerprints))
        if self._width is not None:
            widths.add(self._width)
        if len(widths) > 1:
            raise ValueError(
                f"fingerprints must all have one length, got {', '.join(map(str, sorted(widths)))}"
            )
        return widths.pop()

    def _spill(self, recent: set[bytes]) -> None:
        """Write the in-memory fingerprints to a new run and empty the set."""
        # Checked here rather than at every add, which runs once per row.
        self._width = self._check_widths(recent)
        if not self._filter:  # the first run: later fingerprints enter the filter as they come
            self._filter = bytearray(FILTER_BITS // 8)
            self._remember_in_filter(recent)
        self._runs.append(self._write_run(sorted(recent), size_class=0))
        recent.clear()
        self._merge_full_classes()

    def _remember_in_filter(self, fingerprints: Iterable[bytes]) -> None:
        bits = self._filter
        for fingerprint in fingerprints:
            probes = hash(fingerprint)
            first, second = probes & _FILTER_MASK, (probes >> _SECOND_PROBE_SHIFT) & _FILTER_MASK
            bits[first >> 3] |= 1 << (first & 7)
            bits[second >> 3] |= 1 << (second & 7)

    def _merge_full_classes(self) -> None:
        """Merge the runs of every size class that has reached :data:`MERGE_FANIN` runs."""
        size_class = 0
        while True:
            group = [run for run in self._runs if run.size_class == size_class]
            if len(group) < MERGE_FANIN:
                return
            merged = self._write_run(
                heapq.merge(*(run.records() for run in group)), size_class=size_class + 1
            )
            for run in group:
                run.close()
            self._runs = [run for run in self._runs if run.size_class != size_class]
            self._runs.append(merged)
            size_class += 1

    def _write_run(self, records: Iterable[bytes], *, size_class: int) -> _Run:
        if self._directory is None or self._width is None:
            raise RuntimeError("SeenStore must be used as a context manager")
        self._runs_written += 1
        path = Path(self._directory.name) / f"run-{self._runs_written}.bin"
        return _Run.write(path, records, width=self._width, size_class=size_class)


class _Run:
    """A file of sorted, fixed-width fingerprints, with a sparse index in memory."""

    def __init__(self, path: Path, index: list[bytes], width: int, size_class: int) -> None:
        self.path = path
        self.size_class = size_class
        self._index = index
        self._width = width
        self._block_bytes = width * BLOCK_RECORDS
        self._descriptor = os.open(path, os.O_RDONLY)

    @classmethod
    def write(cls, path: Path, records: Iterable[bytes], *, width: int, size_class: int) -> _Run:
        """Write ``records`` (sorted, unique) to ``path``; keep every block's first one."""
        index: list[bytes] = []
        with path.open("xb") as file:
            if isinstance(records, list):  # a spill: written at once, without a Python loop
                index = records[::BLOCK_RECORDS]
                file.write(b"".join(records))
                return cls(path, index, width, size_class)
            block: list[bytes] = []
            for record in records:
                if not block:
                    index.append(record)
                block.append(record)
                if len(block) == BLOCK_RECORDS:
                    file.write(b"".join(block))
                    block.clear()
            file.write(b"".join(block))
        return cls(path, index, width, size_class)

    def contains(self, fingerprint: bytes) -> bool:
        """Read the one block that could hold ``fingerprint`` and look for it there."""
        block = bisect.bisect_right(self._index, fingerprint) - 1
        if block < 0:
            return False
        data = os.pread(self._descriptor, self._block_bytes, block * self._block_bytes)
        position = data.find(fingerprint)
        while position > 0 and position % self._width:  # a match across two records
            position = data.find(fingerprint, position + 1)
        return position >= 0

    def records(self) -> Iterator[bytes]:
        """Yield the fingerprints in order, reading a block at a time."""
        width = self._width
        offset = 0
        while data := os.pread(self._descriptor, self._block_bytes, offset):
            offset += len(data)
            yield from (data[start : start + width] for start in range(0, len(data), width))

    def close(self) -> None:
        """Close and delete the file."""
        os.close(self._descriptor)
        self.path.unlink()
