"""``generateContent`` and ``streamGenerateContent`` on tuned endpoints and publisher models.

A tuned endpoint answers from the examples its job trained on, a publisher
model (``publishers/google/models/{id}``) with the generic untuned answer: the
same logic as the Gemini API's (:mod:`airflow_provider_tunedmodels.emulator.answers`).
The prompt is the text of the last ``user`` turn; a system instruction is
accepted and counted. Token counts follow the contract rule of :mod:`.tokens`.
``maxOutputTokens`` cuts the answer after that many tokens (``MAX_TOKENS``),
``stopSequences`` cut it, ``candidateCount`` repeats it. A streamed answer comes
in several chunks, the last one with the finish reason and the usage.

An endpoint exists once its checkpoint is deployed: intermediate checkpoints
as their epochs complete, the final one when the job succeeds.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any

from airflow_provider_tunedmodels.emulator.answers import (
    MAX_CANDIDATES,
    MAX_STOP_SEQUENCES,
    AnswerBook,
    Generation,
    base_model_answer,
)
from airflow_provider_tunedmodels.emulator.errors import invalid_argument, not_found
from airflow_provider_tunedmodels.emulator.schemas import parse_message
from airflow_provider_tunedmodels.emulator.vertex import catalog
from airflow_provider_tunedmodels.emulator.vertex.jobs import Location, TuningJobs
from airflow_provider_tunedmodels.emulator.vertex.schedule import checkpoints
from airflow_provider_tunedmodels.emulator.vertex.schemas import GENERATE_CONTENT_REQUEST
from airflow_provider_tunedmodels.emulator.vertex.store import TuningJobRecord
from airflow_provider_tunedmodels.emulator.vertex.tokens import count_tokens, truncate_to_tokens
from airflow_provider_tunedmodels.emulator.wire import format_timestamp

__all__ = [
    "MAX_CANDIDATES",
    "MAX_STOP_SEQUENCES",
    "Answer",
    "VertexGenerator",
    "response_json",
    "stream_json",
]

_WORDS_PER_CHUNK = 2
_WORD = re.compile(r"\s*\S+\s*")


@dataclass(frozen=True)
class Answer(Generation):
    """The outcome of one generation request, and when it was made."""

    create_time: float


class VertexGenerator:
    """Answers prompts sent to endpoints and publisher models."""

    def __init__(self, jobs: TuningJobs) -> None:
        self.jobs = jobs
        self._books: dict[str, AnswerBook] = {}

    def endpoint(self, parent: Location, endpoint_id: str, body: dict[str, Any]) -> Answer:
        """Answer with the checkpoint deployed on ``endpoint_id``."""
        request = parse_message(GENERATE_CONTENT_REQUEST, body, "")
        job = self._deployed(parent, endpoint_id)
        prompt = _prompt(request)
        return self._answer(request, self._book(job).answer(prompt), job.base_model)

    def publisher(self, parent: Location, model: str, body: dict[str, Any]) -> Answer:
        """Answer with an untuned base model (the evaluation baseline)."""
        request = parse_message(GENERATE_CONTENT_REQUEST, body, "")
        if model not in catalog.BASE_MODELS:
            raise not_found(
                f"Publisher Model `projects/{parent.project}/locations/{parent.location}/"
                f"publishers/google/models/{model}` was not found or your project does not "
                "have access to it."
            )
        return self._answer(request, base_model_answer(_prompt(request)), model)

    def _deployed(self, parent: Location, endpoint_id: str) -> TuningJobRecord:
        """The newest job whose checkpoint is deployed on the endpoint now."""
        candidates = [
            job
            for job in self.jobs.store.jobs.values()
            if endpoint_id in job.endpoint_ids
            and (job.project, job.location) == (parent.project, parent.location)
            and self._serves(job, job.endpoint_ids.index(endpoint_id))
        ]
        if not candidates:
            name = f"projects/{parent.project}/locations/{parent.location}/endpoints/{endpoint_id}"
            raise not_found(f"Endpoint {name} not found.")
        return max(candidates, key=lambda job: job.create_time)

    def _serves(self, job: TuningJobRecord, index: int) -> bool:
        snap = self.jobs.snapshot(job)
        if job.outcome == "endpoint_failure" or job.answers == []:
            return False
        if snap.state == "JOB_STATE_SUCCEEDED":
            return True
        plan = checkpoints(job)
        intermediate = not job.export_last_only and index < len(plan) - 1
        return intermediate and plan[index].step <= snap.completed_steps

    def _book(self, job: TuningJobRecord) -> AnswerBook:
        book = self._books.get(job.job_id)
        if book is None:
            if len(self._books) > 256:
                self._books.clear()
            book = self._books[job.job_id] = AnswerBook(job.answers)
        return book

    def _answer(self, request: dict[str, Any], text: str, model_version: str) -> Answer:
        config: dict[str, Any] = request.get("generationConfig", {})
        candidates = int(config.get("candidateCount", 1))
        _check_config(config, candidates)
        text, finish_reason = _shape(text, config)
        return Answer(
            text=text,
            finish_reason=finish_reason,
            candidate_count=candidates,
            prompt_tokens=_prompt_tokens(request),
            model_version=model_version,
            response_id=secrets.token_urlsafe(12),
            create_time=self.jobs.now,
        )


def _texts(content: dict[str, Any]) -> str:
    return "".join(str(part.get("text", "")) for part in content.get("parts", []))


def _prompt(request: dict[str, Any]) -> str:
    contents: list[dict[str, Any]] = request.get("contents", [])
    if not contents:
        raise invalid_argument(
            "Unable to submit request because it must include at least one contents field, "
            "which describes the prompt input."
        )
    users = [content for content in contents if content.get("role", "user") == "user"]
    prompt = _texts(users[-1] if users else contents[-1])
    if not prompt.strip():
        raise invalid_argument(
            "Unable to submit request because it has an empty text parameter. Add a value to "
            "the parameter and try again."
        )
    return prompt


def _prompt_tokens(request: dict[str, Any]) -> int:
    texts = [_texts(content) for content in request.get("contents", [])]
    if "systemInstruction" in request:
        texts.append(_texts(request["systemInstruction"]))
    return sum(count_tokens(text) for text in texts)


def _check_config(config: dict[str, Any], candidates: int) -> None:
    problems = []
    if not 1 <= candidates <= MAX_CANDIDATES:
        problems.append(
            f"generation_config.candidate_count must be between 1 and {MAX_CANDIDATES}."
        )
    if len(config.get("stopSequences", [])) > MAX_STOP_SEQUENCES:
        problems.append(
            f"generation_config.stop_sequences allows at most {MAX_STOP_SEQUENCES} sequences."
        )
    if config.get("maxOutputTokens", 1) <= 0:
        problems.append("generation_config.max_output_tokens must be positive.")
    if problems:
        raise invalid_argument("\n".join(problems))


def _shape(answer: str, config: dict[str, Any]) -> tuple[str, str]:
    for stop in config.get("stopSequences", []):
        if stop and stop in answer:
            answer = answer[: answer.index(stop)]
    limit = config.get("maxOutputTokens")
    if limit and count_tokens(answer) > limit:
        return truncate_to_tokens(answer, limit), "MAX_TOKENS"
    return answer, "STOP"


def response_json(answer: Answer) -> dict[str, Any]:
    """A complete ``GenerateContentResponse``."""
    return _response(answer, answer.text, final=True)


def stream_json(answer: Answer) -> list[dict[str, Any]]:
    """The chunks of a streamed answer: several, the last one carrying finish reason and usage."""
    pieces = _pieces(answer.text)
    last = len(pieces) - 1
    return [_response(answer, piece, final=index == last) for index, piece in enumerate(pieces)]


def _pieces(text: str) -> list[str]:
    words = _WORD.findall(text)
    pieces = [
        "".join(words[index : index + _WORDS_PER_CHUNK])
        for index in range(0, len(words), _WORDS_PER_CHUNK)
    ]
    if len(pieces) < 2 and len(text) >= 2:
        middle = len(text) // 2
        return [text[:middle], text[middle:]]
    return pieces or [text]


def _response(answer: Answer, text: str, *, final: bool) -> dict[str, Any]:
    candidates = []
    for index in range(answer.candidate_count):
        candidate: dict[str, Any] = {"content": {"role": "model", "parts": [{"text": text}]}}
        if final:
            candidate["finishReason"] = answer.finish_reason
        if index:
            candidate["index"] = index
        candidates.append(candidate)
    out: dict[str, Any] = {"candidates": candidates}
    if final:
        out["usageMetadata"] = _usage(answer)
    out["modelVersion"] = answer.model_version
    out["createTime"] = format_timestamp(answer.create_time)
    out["responseId"] = answer.response_id
    return out


def _usage(answer: Answer) -> dict[str, Any]:
    prompt = answer.prompt_tokens
    output = count_tokens(answer.text) * answer.candidate_count
    usage: dict[str, Any] = {
        "promptTokenCount": prompt,
        "candidatesTokenCount": output,
        "totalTokenCount": prompt + output,
        "trafficType": "ON_DEMAND",
        "promptTokensDetails": [{"modality": "TEXT", "tokenCount": prompt}],
        "candidatesTokensDetails": [{"modality": "TEXT", "tokenCount": output}],
    }
    return {key: value for key, value in usage.items() if value}
