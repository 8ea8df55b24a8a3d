"""CRC-32C: the pure-Python implementation against known values and ``google-crc32c``."""

from __future__ import annotations

import base64
import random

import google_crc32c
import pytest

from airflow_provider_tunedmodels.emulator.gcs import crc32c as crc_module
from airflow_provider_tunedmodels.emulator.gcs.crc32c import Crc32c, b64_crc32c, crc32c


@pytest.mark.parametrize("pure_python", [True, False])
def test_known_values(pure_python: bool) -> None:
    # RFC 3720 (iSCSI), appendix B.4, and the usual check value.
    assert Crc32c(b"123456789", pure_python=pure_python).value() == 0xE3069283
    assert Crc32c(bytes(32), pure_python=pure_python).value() == 0x8A9136AA
    assert Crc32c(b"\xff" * 32, pure_python=pure_python).value() == 0x62A8AB43
    assert Crc32c(bytes(range(32)), pure_python=pure_python).value() == 0x46DD794E
    assert Crc32c(b"", pure_python=pure_python).value() == 0


def test_multiplier_constants_are_what_they_claim() -> None:
    assert crc_module._x_power(8 * crc_module._BLOCK) == crc_module._BLOCK_MULTIPLIER
    assert crc_module._BLOCK_MULTIPLIER == (1 << 31) | (1 << 6) | 1
    assert tuple(sorted(crc_module._FOLD_EXPONENTS)) == crc_module._FOLD_EXPONENTS


@pytest.mark.parametrize(
    "size",
    [
        1,
        3,
        4,
        31,
        33,
        255,
        1000,
        crc_module._BLOCK - 1,
        crc_module._BLOCK,
        2 * crc_module._BLOCK + 7,
    ],
)
def test_pure_python_matches_google_crc32c_in_any_pieces(size: int) -> None:
    rng = random.Random(size)
    data = rng.randbytes(size)
    expected = google_crc32c.value(data)
    assert crc32c(data) == expected
    assert Crc32c(data, pure_python=True).value() == expected
    pieces = Crc32c(pure_python=True)
    position = 0
    while position < size:
        step = rng.choice((1, 7, 4096, 300_000, 900_000))
        pieces.update(memoryview(data)[position : position + step])
        position += step
    assert pieces.value() == expected


def test_digests_and_copies() -> None:
    data = b"hello, storage"
    expected = google_crc32c.value(data).to_bytes(4, "big")
    assert Crc32c(data, pure_python=True).digest() == expected
    assert b64_crc32c(data) == base64.b64encode(expected).decode()
    for pure_python in (True, False):
        first = Crc32c(b"hello, ", pure_python=pure_python)
        second = first.copy()
        second.update(b"storage")
        assert first.value() == google_crc32c.value(b"hello, ")
        assert second.digest() == expected
