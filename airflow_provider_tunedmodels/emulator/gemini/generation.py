"""``generateContent`` and ``streamGenerateContent`` on tuned models and base models.

A tuned model's answer comes from its training examples and a base model's is
a generic restatement of the prompt (both in
:mod:`airflow_provider_tunedmodels.emulator.answers`); the prompt is the text
of the last ``user`` turn. ``maxOutputTokens`` truncates the answer
(``finishReason: MAX_TOKENS``), ``stopSequences`` cut it, ``candidateCount``
repeats it. Token counts are estimated at four characters per token. Tuned
models take text only and support neither system instructions nor JSON mode.
"""

from __future__ import annotations

import secrets
from typing import Any

from airflow_provider_tunedmodels.emulator.answers import (
    MAX_CANDIDATES,
    MAX_STOP_SEQUENCES,
    AnswerBook,
    Generation,
    base_model_answer,
)
from airflow_provider_tunedmodels.emulator.auth import Identity
from airflow_provider_tunedmodels.emulator.errors import (
    failed_precondition,
    invalid_argument,
    not_found,
)
from airflow_provider_tunedmodels.emulator.gemini import catalog, limits, render
from airflow_provider_tunedmodels.emulator.gemini.schemas import GENERATE_CONTENT_REQUEST
from airflow_provider_tunedmodels.emulator.gemini.store import TunedModelRecord
from airflow_provider_tunedmodels.emulator.gemini.tuned_models import TunedModels
from airflow_provider_tunedmodels.emulator.schemas import parse_message

__all__ = [
    "MAX_CANDIDATES",
    "MAX_STOP_SEQUENCES",
    "STREAM_CHUNK_CHARS",
    "Generation",
    "Generator",
    "count_tokens",
    "response_json",
    "stream_json",
]


#: Characters per streamed chunk.
STREAM_CHUNK_CHARS = 32
_SAFETY_CATEGORIES = (
    "HARM_CATEGORY_SEXUALLY_EXPLICIT",
    "HARM_CATEGORY_HATE_SPEECH",
    "HARM_CATEGORY_HARASSMENT",
    "HARM_CATEGORY_DANGEROUS_CONTENT",
)


def count_tokens(text: str) -> int:
    """Estimated token count: one token per four characters, rounded up."""
    return (len(text) + 3) // 4


class Generator:
    """Answers prompts with tuned models."""

    def __init__(self, tuned_models: TunedModels) -> None:
        self.tuned_models = tuned_models
        self._books: dict[tuple[str, float], AnswerBook] = {}

    def generate(self, model_id: str, body: dict[str, Any], identity: Identity) -> Generation:
        """Validate the request and produce the answer."""
        request = parse_message(GENERATE_CONTENT_REQUEST, body, "")
        record = self.tuned_models.authorized(model_id, identity, "READER")
        state = self.tuned_models.progress(record).state
        if state != "ACTIVE":
            raise failed_precondition(
                f"Tuned model {record.name} is not ready for inference: its state is {state}. "
                "Only ACTIVE tuned models can generate content."
            )
        prompt, prompt_tokens = _prompt_of(request)
        config: dict[str, Any] = request.get("generationConfig", {})
        _check_config(request, config)
        text, finish_reason = _shape_answer(self._book(record).answer(prompt), config)
        return Generation(
            text=text,
            finish_reason=finish_reason,
            candidate_count=int(config.get("candidateCount", 1)),
            prompt_tokens=prompt_tokens,
            model_version=render.base_model_version(record),
            response_id=secrets.token_urlsafe(16),
        )

    def generate_with_base_model(self, model_id: str, body: dict[str, Any]) -> Generation:
        """Answer with a base model (``models/{model_id}``), as an untuned baseline."""
        name = f"models/{model_id}"
        model = catalog.base_model(name)
        if model is None or "generateContent" not in model.get("supportedGenerationMethods", []):
            raise not_found(
                f"{name} is not found for API version v1beta, or is not supported for "
                "generateContent. Call ListModels to see the list of available models and "
                "their supported methods."
            )
        request = parse_message(GENERATE_CONTENT_REQUEST, body, "")
        prompt, prompt_tokens = _prompt_of(request)
        config: dict[str, Any] = request.get("generationConfig", {})
        _check_config(request, config, tuned=False)
        text, finish_reason = _shape_answer(base_model_answer(prompt), config)
        return Generation(
            text=text,
            finish_reason=finish_reason,
            candidate_count=int(config.get("candidateCount", 1)),
            prompt_tokens=prompt_tokens,
            model_version=model_id,
            response_id=secrets.token_urlsafe(16),
        )

    def _book(self, record: TunedModelRecord) -> AnswerBook:
        key = (record.model_id, record.create_time)
        book = self._books.get(key)
        if book is None:
            if len(self._books) > 256:
                self._books.clear()
            book = self._books[key] = AnswerBook(record.examples)
        return book


def response_json(generation: Generation) -> dict[str, Any]:
    """A complete ``GenerateContentResponse``."""
    return _response(generation, generation.text, final=True)


def stream_json(generation: Generation) -> list[dict[str, Any]]:
    """The ``GenerateContentResponse`` chunks of a streamed answer: always two or more.

    The text is cut into pieces of :data:`STREAM_CHUNK_CHARS` characters; a
    shorter one is cut in two (a one-character answer is followed by an empty
    piece), so every stream exercises a client's joining of chunks. The last
    chunk carries the finish reason, the safety ratings and the full usage.
    """
    text = generation.text
    pieces = [text[i : i + STREAM_CHUNK_CHARS] for i in range(0, len(text), STREAM_CHUNK_CHARS)]
    if len(pieces) < 2:
        middle = (len(text) + 1) // 2
        pieces = [text[:middle], text[middle:]]
    last = len(pieces) - 1
    return [_response(generation, piece, final=index == last) for index, piece in enumerate(pieces)]


def _response(generation: Generation, text: str, *, final: bool) -> dict[str, Any]:
    candidates = []
    for index in range(generation.candidate_count):
        candidate: dict[str, Any] = {"content": {"parts": [{"text": text}], "role": "model"}}
        if final:
            candidate["finishReason"] = generation.finish_reason
        candidate["index"] = index
        if final:
            candidate["safetyRatings"] = _safety_ratings()
        candidates.append(candidate)
    prompt = generation.prompt_tokens
    usage: dict[str, Any] = {"promptTokenCount": prompt, "totalTokenCount": prompt}
    if final:
        answer = count_tokens(generation.text) * generation.candidate_count
        usage = {
            "promptTokenCount": prompt,
            "candidatesTokenCount": answer,
            "totalTokenCount": prompt + answer,
        }
    out: dict[str, Any] = {"candidates": candidates}
    if final:
        out["promptFeedback"] = {"safetyRatings": _safety_ratings()}
    out["usageMetadata"] = {key: value for key, value in usage.items() if value}
    out["modelVersion"] = generation.model_version
    out["responseId"] = generation.response_id
    return out


def _safety_ratings() -> list[dict[str, str]]:
    return [{"category": category, "probability": "NEGLIGIBLE"} for category in _SAFETY_CATEGORIES]


def _prompt_of(request: dict[str, Any]) -> tuple[str, int]:
    contents: list[dict[str, Any]] = request.get("contents", [])
    if not contents:
        raise invalid_argument("* GenerateContentRequest.contents: contents is not specified\n")
    all_text = []
    for content in contents:
        for part in content.get("parts", []):
            if set(part) - {"text"}:
                raise invalid_argument(
                    "Tuned models only support text input: every part must be a text part."
                )
            all_text.append(str(part.get("text", "")))
    users = [content for content in contents if content.get("role", "user") == "user"]
    last = users[-1] if users else contents[-1]
    prompt = "".join(str(part.get("text", "")) for part in last.get("parts", []))
    if not prompt.strip():
        raise invalid_argument(
            "* GenerateContentRequest.contents[-1].parts: contains an empty text prompt\n"
        )
    if len(prompt) > limits.MAX_EXAMPLE_INPUT_CHARS:
        raise invalid_argument(
            f"The input text is longer than the tuned model's limit of "
            f"{limits.MAX_EXAMPLE_INPUT_CHARS} characters."
        )
    return prompt, count_tokens("".join(all_text))


def _check_config(request: dict[str, Any], config: dict[str, Any], *, tuned: bool = True) -> None:
    if tuned and request.get("systemInstruction"):
        raise invalid_argument("System instructions are not supported for tuned models.")
    if tuned and config.get("responseMimeType", "text/plain") not in ("text/plain", ""):
        raise invalid_argument("JSON mode is not supported for tuned models.")
    candidates = int(config.get("candidateCount", 1))
    if not 1 <= candidates <= MAX_CANDIDATES:
        raise invalid_argument(
            f"* GenerateContentRequest.generation_config.candidate_count: must be between 1 "
            f"and {MAX_CANDIDATES}, got {candidates}.\n"
        )
    stops = config.get("stopSequences", [])
    if len(stops) > MAX_STOP_SEQUENCES:
        raise invalid_argument(
            f"* GenerateContentRequest.generation_config.stop_sequences: at most "
            f"{MAX_STOP_SEQUENCES} stop sequences are allowed.\n"
        )
    max_tokens = config.get("maxOutputTokens")
    if max_tokens is not None and max_tokens < 0:
        raise invalid_argument(
            "* GenerateContentRequest.generation_config.max_output_tokens: must be positive.\n"
        )


def _shape_answer(answer: str, config: dict[str, Any]) -> tuple[str, str]:
    for stop in config.get("stopSequences", []):
        if stop and stop in answer:
            answer = answer[: answer.index(stop)]
    max_tokens = config.get("maxOutputTokens")
    if max_tokens and count_tokens(answer) > max_tokens:
        return answer[: max_tokens * 4], "MAX_TOKENS"
    return answer, "STOP"
