"""How simulated models answer, shared by every API the emulator serves.

A tuned model answers from the examples it was tuned on: an input seen in
training gets its trained output (the first one, if the input appears more
than once). Any other input gets the output of the most similar training input,
by Jaccard similarity of character trigrams of the lowercased,
whitespace-collapsed text; ties go to the earliest example.

A base model knows no task, so it gives a generic, deterministic answer that
restates the prompt (:func:`base_model_answer`): a fair "before tuning"
baseline for evaluations.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "MAX_CANDIDATES",
    "MAX_STOP_SEQUENCES",
    "AnswerBook",
    "Generation",
    "base_model_answer",
    "similarity",
]

#: Most ``candidateCount`` a ``generateContent`` request may ask for (both APIs).
MAX_CANDIDATES = 8
#: Most ``stopSequences`` a ``generationConfig`` may hold (both APIs, as documented).
MAX_STOP_SEQUENCES = 5


@dataclass(frozen=True)
class Generation:
    """The outcome of one generation request."""

    text: str
    finish_reason: str
    candidate_count: int
    prompt_tokens: int
    model_version: str
    response_id: str


def _normalise(text: str) -> str:
    return " ".join(text.lower().split())


def _trigrams(text: str) -> frozenset[str]:
    padded = f"  {_normalise(text)} "
    return frozenset(padded[index : index + 3] for index in range(len(padded) - 2))


def similarity(left: str, right: str) -> float:
    """Jaccard similarity of the character trigrams of two strings (0.0 to 1.0)."""
    a, b = _trigrams(left), _trigrams(right)
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


class AnswerBook:
    """Looks up the answer of a tuned model for a prompt."""

    def __init__(self, examples: Sequence[tuple[str, str]]) -> None:
        if not examples:
            raise ValueError("a tuned model needs at least one example")
        self._outputs = [output for _, output in examples]
        self._exact: dict[str, str] = {}
        for text_input, output in examples:
            self._exact.setdefault(text_input, output)
        self._grams = [_trigrams(text_input) for text_input, _ in examples]

    def answer(self, prompt: str) -> str:
        """The trained output for ``prompt``, or the closest example's output."""
        exact = self._exact.get(prompt)
        if exact is not None:
            return exact
        grams = _trigrams(prompt)
        best_index, best_score = 0, -1.0
        for index, candidate in enumerate(self._grams):
            union = len(grams | candidate)
            score = len(grams & candidate) / union if union else 1.0
            if score > best_score:
                best_index, best_score = index, score
        return self._outputs[best_index]


def base_model_answer(prompt: str) -> str:
    """What an untuned base model says: a polite restatement of the first words of the prompt."""
    words = prompt.split()
    topic = " ".join(words[:12]) + (" ..." if len(words) > 12 else "")
    return f"Thank you for your message. Here is some general information about: {topic}"
