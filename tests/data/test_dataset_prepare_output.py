"""prepare_tuning_dataset writes exactly the bytes of the reference algorithm.

Two independent guards:

* the SHA-256 of the files written for a fixed, tricky input and seed, recorded from
  the plain one-record-at-a-time implementation (JSON-decode every line, one
  duplicate lookup per row, re-encode every example);
* a frozen copy of that implementation, kept below, compared on random inputs.

The tricky input covers what a faster reader could get wrong: other key spellings and
orders, extra keys, JSON escapes, raw non-ASCII text, Unicode whitespace, CRLF line
endings, a byte-order mark, blank lines, broken JSON, bad UTF-8 and invalid examples.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import json
import random
from pathlib import Path

import pytest

from airflow_provider_tunedmodels.data import PreparedDataset, checked_rows, prepare_tuning_dataset

WORDS = ("parcel", "refund", "übergröße", "café", "naïve", "日本語", "order", "a", "b")
SPACES = (" ", "  ", "\t", "\n", "\u00a0", "\u2003", "\r\n", " \u3000 ")
INPUT_KEYS = ("text_input", "textInput", "input", "prompt")
OUTPUT_KEYS = ("output", "completion", "target")


def random_text(rng: random.Random) -> str:
    words = rng.choices(WORDS, k=rng.randint(1, 6))
    text = "".join(word + rng.choice(SPACES if rng.random() < 0.2 else (" ",)) for word in words)
    if rng.random() < 0.1:
        text = rng.choice(('say "hi"', "back\\slash", "slash/", "tab\tend")) + text
    return text.strip() if rng.random() < 0.7 else text


def tricky_line(rng: random.Random, earlier: list[bytes]) -> bytes:
    """Return one JSONL line (with its line ending) of a randomly chosen kind."""
    roll = rng.random()
    if roll < 0.12 and earlier:
        return rng.choice(earlier)
    if roll < 0.16:
        return rng.choice(
            [
                b"{broken\n",
                b"\n",
                b"   \r\n",
                b'{"text_input": "bad \xff utf-8", "output": "x"}\n',
                b'{"text_input": "a", "output": 3}\n',
                b'["a", "b"]\n',
                b'{"text_input": "a", "output": "lone \\ud800 surrogate"}\n',
                b'{"text_input": "a", "input": "b", "output": "c"}\n',
                b'{"text_input": "a", "output": ""}\n',
                b'{"text_input": "a", "output": " \\t "}\n',
                b'{"text_input": "a"}\n',
                b'{"output": "only an output"}\n',
                b'{"text_input": "dup", "output": "first", "output": "second"}\n',
                b'{"text_input": "a", "output": "' + b"y" * 5_001 + b'"}\n',
                b'{"text_input": "' + b"x" * 40_001 + b'", "output": "too long input"}\n',
                b'{"text_input": null, "output": "null input"}\n',
            ]
        )
    record: dict[str, object] = {
        rng.choice(INPUT_KEYS): random_text(rng),
        rng.choice(OUTPUT_KEYS): random_text(rng),
    }
    if rng.random() < 0.1:
        record = dict(reversed(record.items()))
    if rng.random() < 0.1:
        record["id"] = rng.randint(0, 99)
    options: dict[str, object] = {"ensure_ascii": rng.random() < 0.5}
    if rng.random() < 0.2:
        options["separators"] = (",", ":")
    text = json.dumps(record, **options)  # type: ignore[arg-type]
    if rng.random() < 0.05:
        text = f" {text}\t"
    line = (text + ("\r\n" if rng.random() < 0.1 else "\n")).encode("utf-8")
    earlier.append(line)
    del earlier[:-50]
    return line


def write_tricky_jsonl(path: Path, rows: int, seed: int) -> Path:
    rng = random.Random(seed)
    earlier: list[bytes] = []
    lines = [tricky_line(rng, earlier) for _ in range(rows)]
    path.write_bytes(b"\xef\xbb\xbf" + b"".join(lines))
    return path


# --- the frozen reference implementation -------------------------------------------------


def reference_prepare(
    source: Path, *, eval_fraction: float, seed: str, deduplicate: bool
) -> tuple[bytes, bytes]:
    """Return the (train, eval) bytes the reference algorithm writes, invalid rows dropped."""
    threshold = int(eval_fraction * 2**64)
    key = hashlib.blake2b(seed.encode(), digest_size=32).digest() if seed else b""
    seen: set[bytes] = set()
    train: list[str] = []
    evaluation: list[str] = []
    with source.open("rb") as lines:
        examples = [
            reference_example(raw.removeprefix(b"\xef\xbb\xbf") if number == 1 else raw)
            for number, raw in enumerate(lines, start=1)
        ]
    for example in examples:
        if example is None:
            continue
        text_input = " ".join(example[0].split()).encode()
        output = " ".join(example[1].split()).encode()
        fingerprint = hashlib.blake2b(
            b"%d:" % len(text_input) + text_input + output, digest_size=16
        ).digest()
        if deduplicate and fingerprint in seen:
            continue
        seen.add(fingerprint)
        digest = hashlib.blake2b(fingerprint, digest_size=8, key=key).digest()
        line = json.dumps({"text_input": example[0], "output": example[1]}, ensure_ascii=False)
        target = evaluation if int.from_bytes(digest, "big") < threshold else train
        target.append(line + "\n")
    return "".join(train).encode(), "".join(evaluation).encode()


def reference_example(raw: bytes) -> tuple[str, str] | None:
    """Return (input, output) of a valid line, or None for a blank or invalid one."""
    if not raw.strip():
        return None
    try:
        record = json.loads(raw.decode("utf-8").rstrip("\r\n"))
    except ValueError:
        return None
    if isinstance(record, list) and len(record) == 2:
        text_input, output = record
    elif isinstance(record, dict):
        inputs = [key for key in INPUT_KEYS if key in record]
        outputs = [key for key in OUTPUT_KEYS if key in record]
        if len(inputs) > 1 or len(outputs) != 1:
            return None
        text_input = record[inputs[0]] if inputs else None
        output = record[outputs[0]]
    else:
        return None
    text_input = "" if text_input is None else text_input
    if not isinstance(text_input, str) or not isinstance(output, str):
        return None
    if len(text_input) > 40_000 or len(output) > 5_000 or not output or output.isspace():
        return None
    try:
        (text_input + output).encode("utf-8")
    except UnicodeEncodeError:
        return None
    return text_input, output


# --- the tests ---------------------------------------------------------------------------


def prepare_file(source: Path, directory: Path, **options: object) -> PreparedDataset:
    return prepare_tuning_dataset(
        source,
        train_path=directory / "train.jsonl",
        eval_path=directory / "eval.jsonl",
        drop_invalid=True,
        **options,  # type: ignore[arg-type]
    )


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_output_bytes_are_pinned(tmp_path: Path) -> None:
    source = write_tricky_jsonl(tmp_path / "tricky.jsonl", 3_000, seed=2024)
    result = prepare_file(source, tmp_path / "out", eval_fraction=0.2, seed="pinned")
    assert (result.rows_read, result.invalid, result.duplicates_removed) == (2_991, 65, 389)
    assert (result.train_count, result.eval_count) == (2_011, 526)
    assert sha256(tmp_path / "out" / "train.jsonl") == (
        "be0e95cc68ad1a962c2f83d7d9757d65c972928b686587b8d03c9a7525e287de"
    )
    assert sha256(tmp_path / "out" / "eval.jsonl") == (
        "6928edf8ce679ab80c3f01cb352e6ce7c24206bfe253737825de10fc812465c1"
    )


def test_csv_output_bytes_are_pinned(tmp_path: Path) -> None:
    rng = random.Random(5)
    rows = [["prompt", "target", "id"]]
    rows += [[random_text(rng), random_text(rng), str(n)] for n in range(400)]
    rows += [[row[0], row[1], "copy"] for row in rows[1:40]]
    source = tmp_path / "data.csv"
    with source.open("w", encoding="utf-8", newline="") as file:
        csv.writer(file).writerows(rows)
    result = prepare_file(source, tmp_path / "out", eval_fraction=0.3, seed="csv")
    assert (result.rows_read, result.invalid, result.duplicates_removed) == (439, 0, 39)
    assert (result.train_count, result.eval_count) == (275, 125)
    assert sha256(tmp_path / "out" / "train.jsonl") == (
        "965a215fb5281b96d3598426e66b6576e96223e76309d8707ee24d37d90902ba"
    )
    assert sha256(tmp_path / "out" / "eval.jsonl") == (
        "73269fcd3b86b9e16afdfaa4107f8897c36c02ccccd667056dc1d86d7f107923"
    )


@pytest.mark.parametrize(
    ("input_seed", "eval_fraction", "seed", "deduplicate"),
    [(1, 0.1, "", True), (2, 0.5, "x", True), (3, 0.0, "s", True), (4, 0.3, "d", False)],
)
def test_matches_the_reference_algorithm(
    tmp_path: Path, input_seed: int, eval_fraction: float, seed: str, deduplicate: bool
) -> None:
    source = write_tricky_jsonl(tmp_path / "tricky.jsonl", 2_500, seed=input_seed)
    prepare_file(source, tmp_path, eval_fraction=eval_fraction, seed=seed, deduplicate=deduplicate)
    train, evaluation = reference_prepare(
        source, eval_fraction=eval_fraction, seed=seed, deduplicate=deduplicate
    )
    assert (tmp_path / "train.jsonl").read_bytes() == train
    assert (tmp_path / "eval.jsonl").read_bytes() == evaluation


def write_mostly_plain_jsonl(path: Path, rows: int, seed: int) -> Path:
    """Lines as this package writes them, with a few tricky ones among them."""
    rng = random.Random(seed)
    earlier: list[bytes] = []
    lines = []
    for number in range(rows):
        if rng.random() < 0.03:
            lines.append(tricky_line(rng, earlier))
            continue
        text = " ".join(rng.choices(("order", "refund", "a", "parcel"), k=rng.randint(0, 12)))
        output = rng.choice(("billing", "shipping", "", "x" * 5_001))
        line = json.dumps({"text_input": f"{number} {text}".strip(), "output": output}) + "\n"
        lines.append(rng.choice(earlier) if earlier and rng.random() < 0.05 else line.encode())
        earlier = [*earlier[-20:], lines[-1]]
    lines[-1] = lines[-1].rstrip(b"\n")  # the last line without its newline
    path.write_bytes(b"\xef\xbb\xbf" + b"".join(lines))
    return path


@pytest.mark.parametrize(("block_bytes", "piece_rows"), [(64, 1), (1_000, 4), (7_777, 32)])
def test_blocks_and_pieces_give_the_same_bytes_and_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block_bytes: int, piece_rows: int
) -> None:
    source = write_mostly_plain_jsonl(tmp_path / "mostly-plain.jsonl", 3_000, seed=block_bytes)
    whole = prepare_file(
        source, tmp_path / "whole", eval_fraction=0.2, seed="b", max_reported_errors=10_000
    )
    monkeypatch.setattr(checked_rows, "BLOCK_BYTES", block_bytes)
    monkeypatch.setattr(checked_rows, "PIECE_ROWS", piece_rows)
    pieces = prepare_file(
        source, tmp_path / "pieces", eval_fraction=0.2, seed="b", max_reported_errors=10_000
    )
    train, evaluation = reference_prepare(source, eval_fraction=0.2, seed="b", deduplicate=True)
    assert whole.invalid > 50
    assert pieces == dataclasses.replace(
        whole, train_path=pieces.train_path, eval_path=pieces.eval_path
    )
    for directory in ("whole", "pieces"):
        assert (tmp_path / directory / "train.jsonl").read_bytes() == train
        assert (tmp_path / directory / "eval.jsonl").read_bytes() == evaluation
