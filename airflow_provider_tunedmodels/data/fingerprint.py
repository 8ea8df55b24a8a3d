"""Content fingerprints of examples: duplicate detection and the train/eval split.

Two examples are duplicates when their input and output are equal after whitespace
normalisation: leading and trailing whitespace is removed and every run of
whitespace (spaces, tabs, newlines) becomes one space. Case and punctuation are
kept, since they can matter to a model.

The split depends only on an example's fingerprint and the seed, never on the row
order or on the other rows, so a rerun puts every example on the same side, and
duplicates (when kept) always land together.
"""

from __future__ import annotations

import collections
import hashlib
import itertools
import operator
from collections.abc import Iterable

from airflow_provider_tunedmodels.data.examples import Example

__all__ = [
    "EvalSelector",
    "example_fingerprint",
    "normalize_whitespace",
    "normalized_fingerprint",
    "normalized_fingerprints",
    "text_fingerprint",
]

#: Size of a fingerprint: 128 bits, so accidental collisions are negligible.
FINGERPRINT_BYTES = 16
_SPLIT_HASH_BYTES = 8


def normalize_whitespace(text: str) -> str:
    """Strip ``text`` and collapse every run of whitespace into one space."""
    return " ".join(text.split())


def example_fingerprint(example: Example) -> bytes:
    """Return a 16-byte BLAKE2b digest of the whitespace-normalised example."""
    return text_fingerprint(example.text_input, example.output)


def text_fingerprint(text_input: str, output: str) -> bytes:
    """Return :func:`example_fingerprint` of the example with these texts."""
    return normalized_fingerprint(
        normalize_whitespace(text_input).encode("utf-8"),
        normalize_whitespace(output).encode("utf-8"),
    )


def normalized_fingerprint(normal_input: bytes, normal_output: bytes) -> bytes:
    """Return the fingerprint of two texts already normalised and encoded as UTF-8."""
    return normalized_fingerprints([normal_input], [normal_output])[0]


def normalized_fingerprints(normal_inputs: list[bytes], normal_outputs: list[bytes]) -> list[bytes]:
    """Return :func:`normalized_fingerprint` of each pair, faster than one by one.

    Every step is a ``map`` over C functions: the hashed bytes are joined from a cached
    length prefix and the two texts, and each hash is a copy of one empty state.
    """
    # The length prefix keeps ("ab", "c") and ("a", "bc") apart.
    prefixes = map(_LENGTH_PREFIXES.__getitem__, map(len, normal_inputs))
    hashes = list(map(_COPY, itertools.repeat(_EMPTY_FINGERPRINT, len(normal_inputs))))
    hashed = map(b"".join, zip(prefixes, normal_inputs, normal_outputs, strict=True))
    collections.deque(map(_BLAKE2B.update, hashes, hashed), maxlen=0)
    return list(map(_BLAKE2B.digest, hashes))


class _LengthPrefixes(dict[int, bytes]):
    """``b"<length>:"`` for each length, made once."""

    def __missing__(self, length: int) -> bytes:
        prefix = self[length] = b"%d:" % length
        return prefix


_LENGTH_PREFIXES = _LengthPrefixes()
_BLAKE2B = hashlib.blake2b
_EMPTY_FINGERPRINT = hashlib.blake2b(digest_size=FINGERPRINT_BYTES)
_COPY = operator.methodcaller("copy")


class EvalSelector:
    """Decide deterministically whether an example belongs to the evaluation split.

    The fingerprint is hashed again with a key derived from ``seed``; the first 8
    bytes, read as a number in ``[0, 1)``, select the evaluation split when they fall
    below ``eval_fraction``. Changing the seed reshuffles the split.
    """

    def __init__(self, eval_fraction: float, seed: str = "") -> None:
        """Validate ``eval_fraction`` (``0 <= eval_fraction < 1``) and derive the key."""
        if not 0.0 <= eval_fraction < 1.0:
            raise ValueError(f"eval_fraction must be at least 0 and below 1, got {eval_fraction}")
        threshold = int(eval_fraction * 2 ** (8 * _SPLIT_HASH_BYTES))
        # Equal-length big-endian byte strings compare in the order of their numbers.
        self._threshold = threshold.to_bytes(_SPLIT_HASH_BYTES, "big")
        self._never = threshold == 0
        key = hashlib.blake2b(seed.encode("utf-8"), digest_size=32).digest() if seed else b""
        # Keyed once; copying the keyed state is cheaper than keying it for every example.
        self._keyed_hash = hashlib.blake2b(digest_size=_SPLIT_HASH_BYTES, key=key)

    def is_eval(self, fingerprint: bytes) -> bool:
        """Return whether the example with ``fingerprint`` goes to the evaluation split."""
        return self.eval_flags([fingerprint])[0]

    def eval_flags(self, fingerprints: Iterable[bytes]) -> list[bool]:
        """Return :meth:`is_eval` of each fingerprint, much faster than one by one."""
        if self._never:
            return [False for _ in fingerprints]
        copy, threshold = self._keyed_hash.copy, self._threshold
        flags = []
        for fingerprint in fingerprints:
            digest = copy()
            digest.update(fingerprint)
            flags.append(digest.digest() < threshold)
        return flags
