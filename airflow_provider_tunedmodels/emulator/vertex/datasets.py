"""Tuning datasets: JSONL files read from Cloud Storage, checked and summarised.

A supervised example is ``{"systemInstruction"?, "contents": [Content...]}``
with turns of role ``user`` (or no role) and ``model`` that alternate and at
least one ``model`` turn; a preference example is ``{"systemInstruction"?,
"contents": [...ending on a user turn], "completions": [{"score", "completion"},
{"score", "completion"}]}`` with two differently scored completions. Keys may be
camelCase or snake_case. Every problem of a file is collected (the first few are
reported); a file with problems fails the job with error code 3 naming it.

Examples longer than :data:`MAX_EXAMPLE_TOKENS` tokens are not refused: they are
reported in the statistics as truncated, as the service does. The token rule is
in :mod:`.tokens`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_tunedmodels.emulator.vertex.tokens import count_tokens, distribution

__all__ = [
    "MAX_EXAMPLE_TOKENS",
    "Dataset",
    "DatasetError",
    "read_dataset",
]

#: Longest example (input plus output tokens) trained on whole.
MAX_EXAMPLE_TOKENS = 131_072
#: Problems named in the error of an invalid file.
MAX_REPORTED_PROBLEMS = 5
#: Examples shown in ``userDatasetExamples``, and the characters kept of each text.
SAMPLE_EXAMPLES = 3
SAMPLE_TEXT_CHARS = 400
#: Truncated examples listed by index.
MAX_LISTED_TRUNCATIONS = 10


class DatasetError(Exception):
    """A dataset that cannot be used; the message names the file and what to fix."""


@dataclass
class Dataset:
    """What a tuning job learns from its training file."""

    method: str  # supervised | preference
    input_tokens: list[int] = field(default_factory=list)
    output_tokens: list[int] = field(default_factory=list)
    messages: list[int] = field(default_factory=list)
    samples: list[dict[str, Any]] = field(default_factory=list)
    answers: list[tuple[str, str]] = field(default_factory=list)
    over_limit: list[tuple[int, int]] = field(default_factory=list)  # (1-based index, tokens)

    @property
    def example_count(self) -> int:
        """Examples in the file."""
        return len(self.input_tokens)

    def stats(self) -> dict[str, Any]:
        """The job's ``tuningDataStats``."""
        billable = str(sum(self.input_tokens) + sum(self.output_tokens))
        if self.method == "preference":
            return {"preferenceOptimizationDataStats": self._preference_stats(billable)}
        stats: dict[str, Any] = {
            "tuningDatasetExampleCount": str(self.example_count),
            "totalBillableTokenCount": billable,
            "userInputTokenDistribution": distribution(self.input_tokens),
            "userOutputTokenDistribution": distribution(self.output_tokens),
            "userMessagePerExampleDistribution": distribution(self.messages),
            "userDatasetExamples": [turn for sample in self.samples for turn in sample["contents"]],
        }
        if self.over_limit:
            stats["totalTruncatedExampleCount"] = str(len(self.over_limit))
            stats["truncatedExampleIndices"] = [str(index) for index, _ in self._listed()]
            stats["droppedExampleReasons"] = self._reasons()
        return {"supervisedTuningDataStats": stats}

    def _preference_stats(self, billable: str) -> dict[str, Any]:
        stats: dict[str, Any] = {
            "tuningDatasetExampleCount": str(self.example_count),
            "totalBillableTokenCount": billable,
            "userInputTokenDistribution": distribution(self.input_tokens, int64_sum=False),
            "userOutputTokenDistribution": distribution(self.output_tokens, int64_sum=False),
            "userDatasetExamples": self.samples,
        }
        if self.over_limit:
            stats["droppedExampleIndices"] = [str(index) for index, _ in self._listed()]
            stats["droppedExampleReasons"] = self._reasons()
        return stats

    def _listed(self) -> list[tuple[int, int]]:
        return self.over_limit[:MAX_LISTED_TRUNCATIONS]

    def _reasons(self) -> list[str]:
        return [
            f"Example {index} has {tokens} tokens, more than the limit of {MAX_EXAMPLE_TOKENS}."
            for index, tokens in self._listed()
        ]


def read_dataset(uri: str, data: bytes | None, method: str) -> Dataset:
    """Check and summarise the JSONL file ``data`` read from ``uri``.

    :param method: ``supervised`` or ``preference``.
    :raises DatasetError: the object is missing or has problems (all counted, a few named).
    """
    if data is None:
        raise DatasetError(f"The dataset {uri} does not exist: upload it before tuning.")
    dataset = Dataset(method)
    problems: list[str] = []
    for number, line in _lines(uri, data):
        try:
            example = json.loads(line)
            if not isinstance(example, dict):
                raise ValueError("each line must be a JSON object")
            _add_example(dataset, example)
        except ValueError as exc:
            problems.append(f"line {number}: {_reason(exc)}")
    if not problems and not dataset.example_count:
        problems.append("the file contains no examples")
    if problems:
        named = "; ".join(problems[:MAX_REPORTED_PROBLEMS])
        more = len(problems) - MAX_REPORTED_PROBLEMS
        suffix = f" (and {more} more problems)" if more > 0 else ""
        raise DatasetError(f"The dataset {uri} is invalid: {named}{suffix}.")
    return dataset


def _lines(uri: str, data: bytes) -> Iterator[tuple[int, str]]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DatasetError(f"The dataset {uri} is invalid: it is not UTF-8 text.") from exc
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            yield number, line


def _reason(exc: ValueError) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"not valid JSON ({exc.msg})"
    return str(exc)


def _get(mapping: dict[str, Any], camel: str, snake: str) -> Any:
    return mapping.get(camel, mapping.get(snake))


def _add_example(dataset: Dataset, example: dict[str, Any]) -> None:
    system = _get(example, "systemInstruction", "system_instruction")
    system_tokens = _content_tokens(system, "systemInstruction") if system is not None else 0
    contents = example.get("contents")
    if not isinstance(contents, list) or not contents:
        raise ValueError('"contents" must be a non-empty list of turns')
    if dataset.method == "preference":
        inputs, outputs, answers = _preference_example(example, contents)
    else:
        inputs, outputs, answers = _supervised_example(contents)
    inputs += system_tokens
    dataset.input_tokens.append(inputs)
    dataset.output_tokens.append(outputs)
    dataset.messages.append(len(contents))
    dataset.answers.extend(answers)
    if inputs + outputs > MAX_EXAMPLE_TOKENS:
        dataset.over_limit.append((dataset.example_count, inputs + outputs))
    if len(dataset.samples) < SAMPLE_EXAMPLES:
        dataset.samples.append(_sample(example, contents))


def _supervised_example(contents: list[Any]) -> tuple[int, int, list[tuple[str, str]]]:
    """Token counts and one (prompt, answer) pair per ``model`` turn."""
    inputs = outputs = 0
    previous_role = None
    prompt = ""
    answers: list[tuple[str, str]] = []
    for index, turn in enumerate(contents):
        role = _role(turn, index)
        if role == previous_role:
            raise ValueError(f"contents[{index}] repeats the role {role!r}: roles must alternate")
        previous_role = role
        text = _text(turn, f"contents[{index}]")
        if role == "model":
            outputs += count_tokens(text)
            answers.append((prompt, text))
        else:
            inputs += count_tokens(text)
            prompt = text
    if not answers:
        raise ValueError('the example has no "model" turn to learn from')
    return inputs, outputs, answers


def _preference_example(
    example: dict[str, Any], contents: list[Any]
) -> tuple[int, int, list[tuple[str, str]]]:
    """Token counts and the (prompt, preferred completion) pair."""
    inputs = 0
    prompt = ""
    for index, turn in enumerate(contents):
        role = _role(turn, index)
        text = _text(turn, f"contents[{index}]")
        inputs += count_tokens(text)
        if role == "user":
            prompt = text
    if _role(contents[-1], len(contents) - 1) != "user":
        raise ValueError('"contents" must end on a "user" turn')
    completions = example.get("completions")
    if not isinstance(completions, list) or len(completions) != 2:
        raise ValueError('"completions" must hold exactly two completions')
    scored: list[tuple[float, str]] = []
    outputs = 0
    for index, item in enumerate(completions):
        path = f"completions[{index}]"
        score = item.get("score") if isinstance(item, dict) else None
        completion = item.get("completion") if isinstance(item, dict) else None
        if isinstance(score, bool) or not isinstance(score, (int, float)):
            raise ValueError(f'{path} needs a numeric "score"')
        text = _text(completion, f"{path}.completion")
        outputs += count_tokens(text)
        scored.append((float(score), text))
    if scored[0][0] == scored[1][0]:
        raise ValueError("the two completions need different scores (preferred and not)")
    return inputs, outputs, [(prompt, max(scored)[1])]


def _role(turn: Any, index: int) -> str:
    if not isinstance(turn, dict):
        raise ValueError(f"contents[{index}] must be an object with parts")
    role = turn.get("role") or "user"
    if role not in ("user", "model"):
        raise ValueError(f'contents[{index}] has role {role!r}; use "user" or "model"')
    return str(role)


def _content_tokens(content: Any, path: str) -> int:
    return count_tokens(_text(content, path))


def _text(content: Any, path: str) -> str:
    """The concatenated part texts of a Content (file parts carry no text)."""
    if not isinstance(content, dict):
        raise ValueError(f"{path} must be an object with parts")
    parts = content.get("parts")
    if not isinstance(parts, list) or not parts:
        raise ValueError(f"{path} needs a non-empty list of parts")
    texts = []
    for index, part in enumerate(parts):
        if not isinstance(part, dict):
            raise ValueError(f"{path}.parts[{index}] must be an object")
        text = part.get("text")
        if isinstance(text, str):
            texts.append(text)
        elif not (_get(part, "fileData", "file_data") or _get(part, "inlineData", "inline_data")):
            raise ValueError(f'{path}.parts[{index}] needs a string "text" (or file data)')
    return "".join(texts)


def _sample(example: dict[str, Any], contents: list[Any]) -> dict[str, Any]:
    sample: dict[str, Any] = {"contents": [_short_content(turn) for turn in contents]}
    completions = example.get("completions")
    if isinstance(completions, list):
        sample["completions"] = [
            {"completion": _short_content(item["completion"]), "score": item["score"]}
            for item in completions
        ]
    return sample


def _short_content(turn: dict[str, Any]) -> dict[str, Any]:
    """A turn as ``userDatasetExamples`` shows it: text parts cut to 400 characters."""
    parts = []
    for part in turn.get("parts", []):
        text = part.get("text")
        if isinstance(text, str):
            short = text if len(text) <= SAMPLE_TEXT_CHARS else text[:SAMPLE_TEXT_CHARS] + "..."
            parts.append({"text": short})
    out: dict[str, Any] = {"role": turn.get("role") or "user"}
    if parts:
        out["parts"] = parts
    return out
