"""Text metrics comparing a model's prediction with the reference answer.

Every metric takes ``(prediction, reference)`` and returns a float in ``[0, 1]``,
1 meaning identical. They are pure functions using only the standard library.

Normalisation, shared by all metrics: text is case-folded (a stronger, Unicode-aware
lowercasing), stripped, and every run of whitespace becomes one space. Token F1
additionally drops punctuation and symbols, as the SQuAD evaluation script does;
unlike that script it does not drop English articles, so it behaves the same in
every language.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType

__all__ = [
    "METRICS",
    "Metric",
    "char_similarity",
    "exact_match",
    "levenshtein_distance",
    "normalize_text",
    "score_example",
    "summarize",
    "token_f1",
    "tokenize",
]

#: A metric: ``(prediction, reference) -> score in [0, 1]``.
Metric = Callable[[str, str], float]

# Anything that is neither a word character nor whitespace, and the underscore
# (which counts as a word character): punctuation and symbols.
_PUNCTUATION = re.compile(r"[^\w\s]|_")


def normalize_text(text: str) -> str:
    """Case-fold ``text``, strip it, and collapse each run of whitespace into one space."""
    return " ".join(text.casefold().split())


def tokenize(text: str) -> list[str]:
    """Split ``text`` into case-folded words, with punctuation and symbols removed.

    ``"Don't panic!"`` becomes ``["dont", "panic"]``.
    """
    return _PUNCTUATION.sub("", text.casefold()).split()


def exact_match(prediction: str, reference: str) -> float:
    """Return 1.0 if both texts are equal after normalisation (case, whitespace), else 0.0.

    Punctuation counts: ``"Billing."`` does not match ``"billing"``.
    """
    return 1.0 if normalize_text(prediction) == normalize_text(reference) else 0.0


def token_f1(prediction: str, reference: str) -> float:
    """Return the SQuAD-style F1 of the words shared by prediction and reference.

    Words are counted as a multiset: precision is the share of predicted words found
    in the reference, recall the share of reference words found in the prediction,
    and F1 their harmonic mean. Two texts without any word score 1.0; if only one
    of them has words, 0.0.
    """
    predicted, expected = tokenize(prediction), tokenize(reference)
    if not predicted or not expected:
        return 1.0 if predicted == expected else 0.0
    shared = sum((Counter(predicted) & Counter(expected)).values())
    if shared == 0:
        return 0.0
    precision = shared / len(predicted)
    recall = shared / len(expected)
    return 2 * precision * recall / (precision + recall)


def char_similarity(prediction: str, reference: str) -> float:
    """Return ``1 - edit distance / length of the longer text``, after normalisation.

    The edit distance is the Levenshtein distance (insertions, deletions and
    substitutions of single characters). Two empty texts score 1.0.
    """
    predicted, expected = normalize_text(prediction), normalize_text(reference)
    longest = max(len(predicted), len(expected))
    if longest == 0:
        return 1.0
    return 1.0 - levenshtein_distance(predicted, expected) / longest


def levenshtein_distance(first: str, second: str) -> int:
    """Return the Levenshtein distance between two strings.

    This uses the bit-parallel algorithm of Myers (1999), in the formulation of
    Hyyrö (2001): one column of the classic dynamic-programming table is held as
    two bit vectors (where the value goes up, where it goes down by one), and
    Python's unbounded integers hold the whole column, so each character of the
    longer string costs a handful of integer operations instead of a loop over
    the shorter one.
    """
    if len(first) < len(second):
        first, second = second, first
    pattern, text = second, first
    if not pattern:
        return len(text)

    # match_masks[c] has bit i set where pattern[i] == c.
    match_masks: dict[str, int] = {}
    for index, char in enumerate(pattern):
        match_masks[char] = match_masks.get(char, 0) | (1 << index)

    all_ones = (1 << len(pattern)) - 1
    last_bit = 1 << (len(pattern) - 1)
    up, down = all_ones, 0  # vertical deltas of the current column: +1 / -1
    distance = len(pattern)

    for char in text:
        matches = match_masks.get(char, 0)
        vertical = matches | down
        horizontal = (((matches & up) + up) ^ up) | matches
        right_up = down | ~(horizontal | up)
        right_down = up & horizontal
        if right_up & last_bit:
            distance += 1
        elif right_down & last_bit:
            distance -= 1
        # The top row of the table grows by one per character: shift in a +1.
        right_up = (right_up << 1) | 1
        right_down <<= 1
        up = (right_down | ~(vertical | right_up)) & all_ones
        down = right_up & vertical & all_ones
    return distance


#: The available metrics by name; read-only.
METRICS: Mapping[str, Metric] = MappingProxyType(
    {
        "exact_match": exact_match,
        "token_f1": token_f1,
        "char_similarity": char_similarity,
    }
)


def score_example(
    prediction: str, reference: str, metrics: Iterable[str] | None = None
) -> dict[str, float]:
    """Score one prediction with the named metrics (all of :data:`METRICS` by default).

    Raises:
        KeyError: a name is not in :data:`METRICS`.
    """
    names = list(METRICS) if metrics is None else list(metrics)
    unknown = [name for name in names if name not in METRICS]
    if unknown:
        raise KeyError(f"unknown metric(s) {unknown}; available: {sorted(METRICS)}")
    return {name: METRICS[name](prediction, reference) for name in names}


def summarize(per_example: Iterable[Mapping[str, float]]) -> dict[str, float]:
    """Average per-example scores: ``{"count": n, "<metric>": mean, ...}``.

    Every example must have the same metric names. The input is consumed once, so
    a generator over a large results file works in constant memory. With no
    examples the result is ``{"count": 0}``.

    Raises:
        ValueError: examples have different metric names, or a metric is named ``count``.
    """
    totals: dict[str, float] = {}
    count = 0
    for count, scores in enumerate(per_example, start=1):
        if count == 1:
            if "count" in scores:
                raise ValueError("a metric cannot be named 'count'; the summary uses that key")
            totals = dict.fromkeys(scores, 0.0)
        elif scores.keys() != totals.keys():
            raise ValueError(
                f"example {count} has metrics {sorted(scores)}, "
                f"but the first example has {sorted(totals)}"
            )
        for name, value in scores.items():
            totals[name] += value
    summary: dict[str, float] = {"count": count}
    summary.update({name: total / count for name, total in totals.items()})
    return summary
