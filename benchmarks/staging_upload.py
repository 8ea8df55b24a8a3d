"""Throughput and memory of staging a file in Cloud Storage, beside a raw upload of the same bytes.

P7: starts the emulator in a child process on loopback, writes a file of random
bytes, and uploads it twice from this process:

* the anchor: one resumable session and a single ``PUT`` streaming the file with
  ``httpx`` (no digests, no chunking, no verification): about as fast as this
  machine and the emulator can move the bytes;
* ``CloudStorageHook.stage_file``: digests (SHA-256, MD5, CRC-32C when
  google-crc32c is installed), existence check, resumable upload in chunks,
  verification of the stored object.

Figures: staging's throughput on the large file (1 GiB by default) against the
raw upload's, and its peak resident memory growth (sampled every 5 ms) on the
large file against that on a small one (constant memory: the growth stays near
one chunk whatever the file size). The staging reads the file twice (once for
the content-addressed name, once to upload), so a throughput ratio near 0.5
means its own work costs little.

Usage (from the repository root)::

    .venv/bin/python benchmarks/staging_upload.py [--size-mib 1024] [--small-mib 64]
        [--chunk-mib 8] [--quick] [--json]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import google.auth.transport.requests
import httpx
import psutil
from _common import Figure, emit
from google.oauth2 import service_account

from airflow_provider_tunedmodels.core.settings import ClientSettings
from airflow_provider_tunedmodels.emulator.testing import RunningEmulator, run_emulator
from airflow_provider_tunedmodels.hooks.cloud_storage import (
    STORAGE_SCOPES,
    CloudStorageHook,
    storage_settings,
)

MIB = 1024 * 1024
BUCKET = "benchmark"
#: Goals: staging's throughput over the raw upload's (it reads the file twice); its memory
#: growth on the large file over that on the small one.
THROUGHPUT_GOAL = ">= 0.40"
MEMORY_GOAL = "<= 1.20"


@dataclass
class Measure:
    """Seconds taken and peak RSS growth of one upload."""

    seconds: float
    rss_growth: int

    def throughput(self, size: int) -> float:
        """MiB per second."""
        return size / MIB / self.seconds


class PeakRss:
    """Samples this process's RSS in a thread; the peak above the starting value."""

    def __init__(self, interval: float = 0.005) -> None:
        self._process = psutil.Process()
        self._interval = interval
        self._stop = threading.Event()
        self._baseline = self._peak = self._process.memory_info().rss
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self._peak = max(self._peak, self._process.memory_info().rss)
            self._stop.wait(self._interval)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def growth(self) -> int:
        """Bytes of peak RSS above the baseline."""
        return self._peak - self._baseline


def measure(action: Callable[[], object]) -> Measure:
    """Run ``action`` once; its duration and peak RSS growth."""
    with PeakRss() as rss:
        started = time.perf_counter()
        action()
        seconds = time.perf_counter() - started
    return Measure(seconds, rss.growth)


def write_random_file(path: Path, size: int) -> None:
    """``size`` bytes: one random MiB repeated (random enough for uploads, quick to write)."""
    block = os.urandom(MIB)
    with path.open("wb") as stream:
        for start in range(0, size, MIB):
            stream.write(block[: min(MIB, size - start)])


def access_token(emulator: RunningEmulator) -> str:
    """A cloud-platform token from the emulator's token endpoint."""
    credentials = service_account.Credentials.from_service_account_info(
        emulator.service_account_info(), scopes=list(STORAGE_SCOPES)
    )
    credentials.refresh(google.auth.transport.requests.Request())
    return str(credentials.token)


def file_pieces(path: Path) -> Iterator[bytes]:
    """The file in 1 MiB pieces (a streamed request body)."""
    with path.open("rb") as stream:
        while piece := stream.read(MIB):
            yield piece


def raw_upload(http: httpx.Client, path: Path, name: str) -> None:
    """The anchor: a resumable session and one streamed PUT of the whole file."""
    size = path.stat().st_size
    start = http.post(
        f"/upload/storage/v1/b/{BUCKET}/o",
        params={"uploadType": "resumable"},
        json={"name": name},
    ).raise_for_status()
    response = http.put(
        start.headers["location"],
        content=file_pieces(path),
        headers={"content-length": str(size), "content-range": f"bytes 0-{size - 1}/{size}"},
    )
    if response.status_code != 200:
        raise RuntimeError(f"raw upload failed: {response.status_code} {response.text[:200]}")


def upload(size: int, chunk_size: int, *, raw: bool) -> tuple[Measure | None, Measure]:
    """Upload a ``size``-byte file with ``stage_file``, and first raw (the anchor) if ``raw``."""
    with tempfile.TemporaryDirectory(prefix="staging-benchmark-") as directory:
        source = Path(directory) / "dataset.jsonl"
        write_random_file(source, size)
        with run_emulator(subprocess=True) as emulator:
            headers = {"authorization": f"Bearer {access_token(emulator)}"}
            with httpx.Client(
                base_url=emulator.base_url, headers=headers, trust_env=False, timeout=600
            ) as http:
                http.post(
                    "/storage/v1/b", params={"project": "bench"}, json={"name": BUCKET}
                ).raise_for_status()
                anchor = (
                    measure(lambda: raw_upload(http, source, "raw/dataset.jsonl")) if raw else None
                )
            api = ClientSettings(
                base_url=emulator.base_url,
                service_account_info=emulator.service_account_info(),
                timeout=600,
            )
            hook = CloudStorageHook(settings=storage_settings(api), chunk_size=chunk_size)
            try:
                hook.object_exists(f"gs://{BUCKET}/warm-up")  # token and connection first
                staged = measure(lambda: hook.stage_file(source, f"gs://{BUCKET}/staged/"))
            finally:
                hook.close()
    return anchor, staged


def figures(small: int, large: int, chunk_size: int) -> list[Figure]:
    """Throughput at ``large`` bytes against the raw upload; memory at ``large`` against ``small``."""
    _, staged_small = upload(small, chunk_size, raw=False)
    anchor, staged = upload(large, chunk_size, raw=True)
    assert anchor is not None
    floor = chunk_size  # growths below one chunk are noise, not memory that grows
    return [
        Figure(
            f"staging throughput, {large / MIB:,.0f} MiB file",
            staged.throughput(large),
            anchor.throughput(large),
            "MiB/s",
            "one raw streamed httpx PUT of the same bytes",
            THROUGHPUT_GOAL,
            note="staging reads the file twice (its content-addressed name, then the upload), "
            "hashes it and verifies the stored object; 0.5 means its own work costs little",
        ),
        Figure(
            f"peak RSS growth staging {large / MIB:,.0f} MiB",
            max(staged.rss_growth, floor) / MIB,
            max(staged_small.rss_growth, floor) / MIB,
            "MiB",
            f"the same, staging {small / MIB:,.0f} MiB",
            MEMORY_GOAL,
            note=f"constant memory: growths floored at one {chunk_size / MIB:g} MiB chunk; "
            f"the raw PUT grew {anchor.rss_growth / MIB:.1f} MiB",
        ),
    ]


def main() -> None:
    """Parse the command line and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024, help="large file (default 1024)")
    parser.add_argument("--small-mib", type=int, default=64, help="small file (default 64)")
    parser.add_argument("--quick", action="store_true", help="16 and 64 MiB, for a smoke run")
    parser.add_argument("--chunk-mib", type=int, default=8, help="resumable chunk (default 8)")
    parser.add_argument("--json", action="store_true", help="print the FIGURES line")
    args = parser.parse_args()
    small, large = (16, 64) if args.quick else (args.small_mib, args.size_mib)
    emit(
        "P7 staging a dataset in Cloud Storage",
        figures(small * MIB, large * MIB, args.chunk_mib * MIB),
        args.json,
    )


if __name__ == "__main__":
    main()
