"""The token rule and the dataset distributions of ``tuningDataStats``.

**The token rule is a contract** with the provider's billing estimate, which
implements it independently (so that a mistake on one side cannot hide the
same mistake on the other)::

    count_tokens(text) = len(re.findall(r"\\w+|[^\\w\\s]", text))

that is, every run of word characters and every other non-space character is
one token. For a supervised example, input tokens are those of the
``systemInstruction`` part texts plus the part texts of the turns whose role is
``user`` (or missing), output tokens those of the ``model`` turns. For a
preference example, input tokens are the ``systemInstruction`` plus every
``contents`` turn, output tokens every completion's part texts.
``totalBillableTokenCount`` is the sum of all input and output tokens of the
training file, counted once (not once per epoch).
"""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Sequence
from typing import Any

__all__ = ["TOKEN_PATTERN", "count_tokens", "distribution", "number", "truncate_to_tokens"]

#: One token: a run of word characters, or any other non-space character.
TOKEN_PATTERN = re.compile(r"\w+|[^\w\s]")
_BUCKETS = 6


def count_tokens(text: str) -> int:
    """The number of tokens of ``text`` under the contract rule."""
    return len(TOKEN_PATTERN.findall(text))


def truncate_to_tokens(text: str, limit: int) -> str:
    """``text`` cut right after its ``limit``-th token."""
    for index, found in enumerate(TOKEN_PATTERN.finditer(text), start=1):
        if index == limit:
            return text[: found.end()]
    return text


def number(value: float) -> float | int:
    """A double as proto3 JSON prints it: ``25`` rather than ``25.0``."""
    return int(value) if float(value).is_integer() else value


def distribution(values: Sequence[int], *, int64_sum: bool = True) -> dict[str, Any]:
    """``{sum, min, max, mean, median, p5, p95, buckets}`` of a population.

    Percentiles are nearest-rank; the histogram has up to six equal-width
    buckets between the minimum and the maximum (empty ones omitted).
    ``int64_sum`` writes ``sum`` as a string, as ``SupervisedTuningDatasetDistribution``
    does (``DatasetDistribution`` of preference stats uses a double).
    """
    if not values:
        return {}
    ordered = sorted(values)
    total = sum(ordered)
    out: dict[str, Any] = {"sum": str(total) if int64_sum else total}
    out["min"] = number(ordered[0])
    out["max"] = number(ordered[-1])
    out["mean"] = number(total / len(ordered))
    out["median"] = number(statistics.median(ordered))
    out["p5"] = number(_nearest_rank(ordered, 5))
    out["p95"] = number(_nearest_rank(ordered, 95))
    out["buckets"] = _buckets(ordered)
    return {key: value for key, value in out.items() if value not in (0, "0")}


def _nearest_rank(ordered: Sequence[int], percent: int) -> int:
    rank = max(1, math.ceil(percent / 100 * len(ordered)))
    return ordered[rank - 1]


def _buckets(ordered: Sequence[int]) -> list[dict[str, Any]]:
    low, high = ordered[0], ordered[-1]
    if low == high:
        return [_bucket(len(ordered), low, high)]
    width = (high - low) / _BUCKETS
    counts = [0] * _BUCKETS
    for value in ordered:
        counts[min(_BUCKETS - 1, int((value - low) / width))] += 1
    return [
        _bucket(count, low + index * width, low + (index + 1) * width)
        for index, count in enumerate(counts)
        if count
    ]


def _bucket(count: int, left: float, right: float) -> dict[str, Any]:
    bucket = {"count": count, "left": number(left), "right": number(right)}
    return {key: value for key, value in bucket.items() if value != 0}
