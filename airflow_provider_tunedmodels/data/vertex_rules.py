"""The rules of one Vertex AI tuning example, as Google's published checks state them.

Every example (supervised and preference):

* is a JSON object with ``contents``, a non-empty list of turns;
* every turn is an object with a ``role`` (``"user"`` or ``"model"``) and ``parts``,
  a non-empty list of objects with a string ``text`` (or, supervised only, a
  ``fileData`` with string ``mimeType`` and ``fileUri``);
* roles alternate: no two turns in a row have the same role;
* ``systemInstruction`` (optional) is an object with such text parts;
* input and output together hold at most
  :data:`~airflow_provider_tunedmodels.data.vertex_limits.MAX_EXAMPLE_TOKENS` tokens,
  counted by the rule of :mod:`~airflow_provider_tunedmodels.data.token_estimate`.

A supervised example has a ``model`` turn. A preference example's ``contents`` end
on a ``user`` turn, and ``completions`` holds exactly one preferred (``score`` 1)
and one dispreferred (``score`` 0) completion, each a ``model`` turn.

Proto3 JSON spellings are accepted too (``system_instruction``, ``file_data``,
``mime_type``, ``file_uri``). The token limit is checked only on an example with no
other problem, since its count means little otherwise.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from airflow_provider_tunedmodels.data.token_estimate import example_tokens
from airflow_provider_tunedmodels.data.vertex_limits import MAX_EXAMPLE_TOKENS
from airflow_provider_tunedmodels.data.vertex_reader import DatasetKind, not_an_object

__all__ = ["ExampleCheck", "check_example", "preference_problems", "supervised_problems"]

_ROLES = ("user", "model")
_SYSTEM_KEYS = ("systemInstruction", "system_instruction")
_FILE_DATA_KEYS = ("fileData", "file_data")


class ExampleCheck(NamedTuple):
    """What checking one example found."""

    #: Every rule the example breaks, in words; empty when it is valid.
    problems: list[str]
    #: Input tokens; counted only when nothing but the token limit is broken, else 0.
    input_tokens: int
    #: Output tokens; counted only when nothing but the token limit is broken, else 0.
    output_tokens: int
    #: Whether the example has a ``fileData`` part (the multimodal limits apply).
    has_files: bool


def supervised_problems(record: object) -> list[str]:
    """Return every rule a supervised example breaks (empty when it is valid)."""
    return check_example(record, "supervised").problems


def preference_problems(record: object) -> list[str]:
    """Return every rule a preference example breaks (empty when it is valid)."""
    return check_example(record, "preference").problems


def check_example(record: object, kind: DatasetKind) -> ExampleCheck:
    """Check one decoded example of ``kind``; count its tokens when it is valid."""
    if not isinstance(record, Mapping):
        return ExampleCheck([not_an_object(record)], 0, 0, has_files=False)
    checker = _Checker(text_only=kind == "preference")
    checker.check_system_instruction(record)
    roles = checker.check_contents(record)
    if kind == "supervised" and roles and "model" not in roles:
        checker.problems.append("contents has no model turn; a supervised example needs one")
    if kind == "preference":
        if roles and roles[-1] != "user":
            checker.problems.append("contents must end on a user turn")
        checker.check_completions(record)
    if checker.problems:
        return ExampleCheck(checker.problems, 0, 0, checker.has_files)
    input_tokens, output_tokens = example_tokens(record, kind)
    if input_tokens + output_tokens > MAX_EXAMPLE_TOKENS:
        checker.problems.append(
            f"the example has {input_tokens + output_tokens:,} tokens (input and output); "
            f"the limit is {MAX_EXAMPLE_TOKENS:,}"
        )
    return ExampleCheck(checker.problems, input_tokens, output_tokens, checker.has_files)


@dataclass
class _Checker:
    """Collects the problems of one example, field by field."""

    text_only: bool
    problems: list[str] = field(default_factory=list)
    has_files: bool = False

    def check_system_instruction(self, record: Mapping[str, Any]) -> None:
        present = [key for key in _SYSTEM_KEYS if key in record]
        if len(present) > 1:
            self.problems.append(
                "systemInstruction is given twice (systemInstruction and "
                "system_instruction); keep only one of them"
            )
        elif present and record[present[0]] is not None:
            instruction = record[present[0]]
            if isinstance(instruction, Mapping):
                self._check_parts(instruction, present[0], text_only=True)
            else:
                self.problems.append(f"{present[0]} must be an object with parts")

    def check_contents(self, record: Mapping[str, Any]) -> list[str]:
        """Check ``contents``; return the valid roles, in order (empty if unusable)."""
        contents = record.get("contents")
        if contents is None:
            self.problems.append("contents is missing")
            return []
        if not isinstance(contents, list) or not contents:
            self.problems.append("contents must be a non-empty list of turns")
            return []
        roles: list[str | None] = []
        for index, turn in enumerate(contents):
            role = self._check_turn(turn, f"contents[{index}]")
            if role is not None and roles and roles[-1] == role:
                self.problems.append(
                    f"contents[{index}] is a second {role} turn in a row; roles must alternate"
                )
            roles.append(role)
        valid = [role for role in roles if role is not None]
        return valid if len(valid) == len(roles) else []

    def check_completions(self, record: Mapping[str, Any]) -> None:
        completions = record.get("completions")
        if not isinstance(completions, list):
            self.problems.append(
                "completions is missing" if completions is None else "completions must be a list"
            )
            return
        scores = []
        for index, item in enumerate(completions):
            where = f"completions[{index}]"
            if not isinstance(item, Mapping):
                self.problems.append(f"{where} must be an object with score and completion")
                continue
            score = item.get("score")
            if isinstance(score, (int, float)) and not isinstance(score, bool) and score in (0, 1):
                scores.append(int(score))
            else:
                self.problems.append(
                    f"{where}.score is {json.dumps(score)}; use 1 (preferred) or 0 (dispreferred)"
                )
            completion = item.get("completion")
            if isinstance(completion, Mapping) and completion.get("role") == "model":
                self._check_parts(completion, f"{where}.completion", text_only=True)
            else:
                self.problems.append(f'{where}.completion must be a turn with role "model"')
        if sorted(scores) != [0, 1] or len(completions) != 2:
            self.problems.append(
                "completions must hold exactly two completions: one preferred (score 1) "
                "and one dispreferred (score 0)"
            )

    def _check_turn(self, turn: object, where: str) -> str | None:
        """Check one turn; return its role when valid."""
        if not isinstance(turn, Mapping):
            self.problems.append(f"{where} must be an object with role and parts")
            return None
        role = turn.get("role")
        if role is None:
            self.problems.append(f'{where} has no role; use "user" or "model"')
        elif role not in _ROLES:
            self.problems.append(f'{where}.role is {json.dumps(role)}; use "user" or "model"')
        self._check_parts(turn, where, text_only=self.text_only)
        return role if role in _ROLES else None

    def _check_parts(self, content: Mapping[str, Any], where: str, *, text_only: bool) -> None:
        parts = content.get("parts")
        if not isinstance(parts, list) or not parts:
            self.problems.append(f"{where}.parts must be a non-empty list of parts")
            return
        for index, part in enumerate(parts):
            problem = self._part_problem(part, text_only=text_only)
            if problem:
                self.problems.append(f"{where}.parts[{index}] {problem}")

    def _part_problem(self, part: object, *, text_only: bool) -> str | None:
        if isinstance(part, Mapping) and isinstance(part.get("text"), str):
            return None
        file_data = _file_data(part)
        if file_data is None:
            return "needs a string text" + (
                "" if text_only else " (or a fileData with mimeType and fileUri)"
            )
        if text_only:
            return "is a fileData part; only text parts are allowed here"
        self.has_files = True
        if not all(
            isinstance(file_data.get(camel, file_data.get(snake)), str)
            for camel, snake in (("mimeType", "mime_type"), ("fileUri", "file_uri"))
        ):
            return "has a fileData without a string mimeType and fileUri"
        return None


def _file_data(part: object) -> Mapping[str, Any] | None:
    if not isinstance(part, Mapping):
        return None
    for key in _FILE_DATA_KEYS:
        if isinstance(part.get(key), Mapping):
            return part[key]  # type: ignore[no-any-return]
    return None
