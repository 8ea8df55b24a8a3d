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

import hashlib

from airflow_provider_tunedmodels.data.examples import Example

__all__ = ["EvalSelector", "example_fingerprint", "normalize_whitespace"]

#: Size of a fingerprint: 128 bits, so accidental collisions are negligible.
FINGERPRINT_BYTES = 16
_SPLIT_HASH_BYTES = 8


def normalize_whitespace(text: str) -> str:
    """Strip ``text`` and collapse every run of whitespace into one space."""
    return " ".join(text.split())


def example_fingerprint(example: Example) -> bytes:
    """Return a 16-byte BLAKE2b digest of the whitespace-normalised example."""
    text_input = normalize_whitespace(example.text_input).encode("utf-8")
    output = normalize_whitespace(example.output).encode("utf-8")
    # The length prefix keeps ("ab", "c") and ("a", "bc") apart.
    payload = b"%d:" % len(text_input) + text_input + output
    return hashlib.blake2b(payload, digest_size=FINGERPRINT_BYTES).digest()


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
        self._threshold = int(eval_fraction * 2 ** (8 * _SPLIT_HASH_BYTES))
        self._key = hashlib.blake2b(seed.encode("utf-8"), digest_size=32).digest() if seed else b""

    def is_eval(self, fingerprint: bytes) -> bool:
        """Return whether the example with ``fingerprint`` goes to the evaluation split."""
        digest = hashlib.blake2b(fingerprint, digest_size=_SPLIT_HASH_BYTES, key=self._key)
        return int.from_bytes(digest.digest(), "big") < self._threshold
