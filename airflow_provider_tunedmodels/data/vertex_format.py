"""Convert examples and chat transcripts into Vertex AI tuning JSONL, streaming.

Vertex AI tunes Gemini models from JSONL files of ``Content`` objects. A
supervised line::

    {"systemInstruction": {"parts": [{"text": "..."}]},
     "contents": [{"role": "user", "parts": [{"text": "..."}]},
                  {"role": "model", "parts": [{"text": "..."}]}]}

and a preference line, whose ``contents`` end on a user turn::

    {"systemInstruction": ..., "contents": [...],
     "completions": [{"score": 1, "completion": {"role": "model", "parts": [...]}},
                     {"score": 0, "completion": {"role": "model", "parts": [...]}}]}

(``systemInstruction`` is optional.) Accepted items:

* supervised: an :class:`~airflow_provider_tunedmodels.data.Example`, an
  ``(input, output)`` pair or a prompt/answer mapping (as in
  :func:`~airflow_provider_tunedmodels.data.example_from_record`), a
  :class:`Conversation`, a list of messages, or a mapping with ``messages`` (and
  optionally ``system``);
* preference: a :class:`PreferenceExample`, or a mapping with a prompt (a prompt key
  or ``messages``), ``chosen``/``preferred`` and ``rejected``/``dispreferred``.

A message is a mapping with a ``role`` and a ``text`` or ``content`` string, or a
:class:`Message`. Roles ``user``/``human`` and ``model``/``assistant`` are accepted;
``system`` messages may open a transcript and become its system instruction.
Consecutive messages of one role become one turn with several parts, since roles
must alternate.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast

from airflow_provider_tunedmodels.data.errors import InvalidRecordError
from airflow_provider_tunedmodels.data.examples import (
    INPUT_KEYS,
    Example,
    as_record_iterable,
    example_from_record,
)
from airflow_provider_tunedmodels.data.storage import AtomicTextWriter, Location, resolve_location

__all__ = [
    "CHOSEN_KEYS",
    "MESSAGE_TEXT_KEYS",
    "REJECTED_KEYS",
    "ROLE_ALIASES",
    "Conversation",
    "Message",
    "PreferenceExample",
    "conversation_from_messages",
    "preference_record",
    "supervised_record",
    "write_preference_jsonl",
    "write_supervised_jsonl",
]

#: Accepted message roles and the Vertex role each means (``system`` opens a transcript).
ROLE_ALIASES: dict[str, str] = {
    "user": "user",
    "human": "user",
    "model": "model",
    "assistant": "model",
    "system": "system",
}
#: Accepted spellings of a message's text.
MESSAGE_TEXT_KEYS: tuple[str, ...] = ("text", "content")
#: Accepted spellings of a preference example's preferred answer.
CHOSEN_KEYS: tuple[str, ...] = ("chosen", "preferred")
#: Accepted spellings of a preference example's dispreferred answer.
REJECTED_KEYS: tuple[str, ...] = ("rejected", "dispreferred")

_COMPACT_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True, slots=True)
class Message:
    """One message of a conversation."""

    role: Literal["user", "model"]
    text: str


@dataclass(frozen=True, slots=True)
class Conversation:
    """A chat transcript: messages in order, and the system instruction if any."""

    messages: tuple[Message, ...]
    system_instruction: str | None = None


@dataclass(frozen=True, slots=True)
class PreferenceExample:
    """A prompt (text or conversation ending on a user message) and two ranked answers."""

    prompt: str | Conversation
    chosen: str
    rejected: str


def conversation_from_messages(
    messages: Iterable[object], *, system_instruction: str | None = None
) -> Conversation:
    """Build a :class:`Conversation` from messages (see the module docstring).

    Leading ``system`` messages become the system instruction (joined by blank
    lines), replacing ``system_instruction``.

    :raises InvalidRecordError: a message has no role, an unknown role, no text, or is
        a ``system`` message after the conversation began.
    """
    system_texts: list[str] = []
    turns: list[Message] = []
    for number, raw in enumerate(_as_list(messages, "messages"), start=1):
        role, text = _read_message(raw, number)
        if role != "system":
            turns.append(Message(cast("Literal['user', 'model']", role), text))
        elif turns:
            raise InvalidRecordError(
                f"message {number} is a system message after the conversation began; "
                "system messages must come first"
            )
        else:
            system_texts.append(text)
    return Conversation(tuple(turns), "\n\n".join(system_texts) or system_instruction)


def _read_message(raw: object, number: int) -> tuple[str, str]:
    if isinstance(raw, Message):
        return raw.role, _require_text(raw.text, f"message {number}")
    if not isinstance(raw, Mapping):
        raise InvalidRecordError(
            f"message {number} must be an object with role and text, got {type(raw).__name__}"
        )
    role = raw.get("role")
    if not isinstance(role, str) or role.lower() not in ROLE_ALIASES:
        raise InvalidRecordError(
            f"message {number} has role {role!r}; use one of {', '.join(ROLE_ALIASES)}"
        )
    return ROLE_ALIASES[role.lower()], _require_text(
        _pick(raw, MESSAGE_TEXT_KEYS, f"message {number}"), f"message {number}"
    )


def supervised_record(item: object, *, system_instruction: str | None = None) -> dict[str, Any]:
    """Return the supervised JSONL object for one item (see the module docstring).

    :param system_instruction: used when the item brings no system instruction of its own.
    :raises InvalidRecordError: the item cannot become a supervised example.
    """
    conversation = _as_conversation(item, system_instruction)
    if not any(message.role == "model" for message in conversation.messages):
        raise InvalidRecordError("the conversation has no model message to learn from")
    return _line_object(conversation)


def preference_record(item: object, *, system_instruction: str | None = None) -> dict[str, Any]:
    """Return the preference JSONL object for one item (see the module docstring).

    :param system_instruction: used when the item brings no system instruction of its own.
    :raises InvalidRecordError: the item cannot become a preference example.
    """
    example = _as_preference_example(item)
    prompt = example.prompt
    if isinstance(prompt, str):
        prompt = Conversation((Message("user", _require_text(prompt, "prompt")),))
    if not prompt.messages or prompt.messages[-1].role != "user":
        raise InvalidRecordError("the prompt must end with a user message")
    if prompt.system_instruction is None and system_instruction:
        prompt = Conversation(prompt.messages, system_instruction)
    line = _line_object(prompt)
    line["completions"] = [
        {"score": 1, "completion": _turn("model", [_require_text(example.chosen, "chosen")])},
        {"score": 0, "completion": _turn("model", [_require_text(example.rejected, "rejected")])},
    ]
    return line


def write_supervised_jsonl(
    items: Iterable[object], destination: Location, *, system_instruction: str | None = None
) -> int:
    """Write ``items`` as supervised Vertex JSONL and return how many were written.

    Streaming and atomic, like :func:`~airflow_provider_tunedmodels.data.write_jsonl`:
    the file appears only when every item was converted.

    :param items: examples, pairs, mappings, conversations or message lists; a file of
        examples can be passed as ``iter_examples(path)``.
    :param destination: a local path, a URI or an ``ObjectStoragePath``.
    :param system_instruction: added to every item that has none of its own.
    :raises InvalidRecordError: an item cannot be converted; the message locates it.
    """
    return _write(items, destination, supervised_record, system_instruction)


def write_preference_jsonl(
    items: Iterable[object], destination: Location, *, system_instruction: str | None = None
) -> int:
    """Write ``items`` as preference Vertex JSONL and return how many were written.

    Streaming and atomic, like :func:`write_supervised_jsonl`.

    :param items: :class:`PreferenceExample` objects or mappings (see the module docstring).
    :param destination: a local path, a URI or an ``ObjectStoragePath``.
    :param system_instruction: added to every item that has none of its own.
    :raises InvalidRecordError: an item cannot be converted; the message locates it.
    """
    return _write(items, destination, preference_record, system_instruction)


def _write(
    items: Iterable[object],
    destination: Location,
    convert: Callable[..., dict[str, Any]],
    system_instruction: str | None,
) -> int:
    count = 0
    with AtomicTextWriter(resolve_location(destination)) as writer:
        for position, item in enumerate(as_record_iterable(items), start=1):
            try:
                line = convert(item, system_instruction=system_instruction)
            except InvalidRecordError as error:
                raise InvalidRecordError(f"item {position}: {error}") from None
            writer.write(_COMPACT_ENCODER.encode(line) + "\n")
            count += 1
        writer.commit()
    return count


def _as_conversation(item: object, system_instruction: str | None) -> Conversation:
    if isinstance(item, Conversation):
        conversation = item
    elif isinstance(item, Mapping) and "messages" in item:
        conversation = conversation_from_messages(
            _as_list(item["messages"], "messages"), system_instruction=_optional_system(item)
        )
    elif _is_message_list(item):
        conversation = conversation_from_messages(_as_list(item, "messages"))
    else:
        conversation = _conversation_from_example(example_from_record(item))
    if conversation.system_instruction is None and system_instruction:
        return Conversation(conversation.messages, system_instruction)
    return conversation


def _conversation_from_example(example: Example) -> Conversation:
    return Conversation(
        (
            Message("user", _require_text(example.text_input, "input")),
            Message("model", _require_text(example.output, "output")),
        )
    )


def _as_preference_example(item: object) -> PreferenceExample:
    if isinstance(item, PreferenceExample):
        return item
    if not isinstance(item, Mapping):
        raise InvalidRecordError(
            "expected a preference example: an object with a prompt, chosen and rejected, "
            f"got {type(item).__name__}"
        )
    prompt: str | Conversation
    if "messages" in item:
        prompt = conversation_from_messages(
            _as_list(item["messages"], "messages"), system_instruction=_optional_system(item)
        )
    else:
        prompt = _require_text(_pick(item, INPUT_KEYS, "prompt"), "prompt")
        system = _optional_system(item)
        if system:
            prompt = Conversation((Message("user", prompt),), system)
    return PreferenceExample(
        prompt=prompt,
        chosen=_require_text(_pick(item, CHOSEN_KEYS, "chosen"), "chosen"),
        rejected=_require_text(_pick(item, REJECTED_KEYS, "rejected"), "rejected"),
    )


def _line_object(conversation: Conversation) -> dict[str, Any]:
    """The JSON object of a conversation: system instruction and alternating turns."""
    line: dict[str, Any] = {}
    if conversation.system_instruction:
        line["systemInstruction"] = {"parts": [{"text": conversation.system_instruction}]}
    contents: list[dict[str, Any]] = []
    texts: list[str] = []
    for index, message in enumerate(conversation.messages):
        texts.append(message.text)
        following = conversation.messages[index + 1 : index + 2]
        if not following or following[0].role != message.role:
            contents.append(_turn(message.role, texts))
            texts = []
    line["contents"] = contents
    return line


def _turn(role: str, texts: Sequence[str]) -> dict[str, Any]:
    return {"role": role, "parts": [{"text": text} for text in texts]}


def _pick(record: Mapping[Any, Any], keys: tuple[str, ...], field: str) -> object:
    present = [key for key in keys if key in record]
    if len(present) > 1:
        raise InvalidRecordError(
            f"{field} is given twice ({' and '.join(present)}); keep only one of them"
        )
    if not present:
        raise InvalidRecordError(f"{field} is missing (expected one of {', '.join(keys)})")
    return record[present[0]]


def _optional_system(record: Mapping[Any, Any]) -> str | None:
    system = record.get("system")
    return None if system is None else _require_text(system, "system")


def _require_text(value: object, field: str) -> str:
    if not isinstance(value, str):
        raise InvalidRecordError(f"{field} must be a string, got {type(value).__name__}")
    if not value.strip():
        raise InvalidRecordError(f"{field} is empty")
    return value


def _as_list(value: object, field: str) -> list[object]:
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        raise InvalidRecordError(f"{field} must be a list, got {type(value).__name__}")
    return list(value)


def _is_message_list(item: object) -> bool:
    """A non-empty list of messages, as opposed to an ``(input, output)`` pair of strings."""
    return (
        isinstance(item, (list, tuple))
        and bool(item)
        and all(isinstance(message, (Mapping, Message)) for message in item)
    )
