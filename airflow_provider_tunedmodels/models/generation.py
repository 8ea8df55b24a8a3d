"""The text subset of ``generateContent``: requests, responses and their parts.

Fields outside the text subset (tools, safety settings, inline data, ...) pass
through untouched as unknown fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airflow_provider_tunedmodels.models._wire import WireModel

__all__ = [
    "Candidate",
    "Content",
    "GenerateContentRequest",
    "GenerateContentResponse",
    "GenerationConfig",
    "Part",
    "PromptFeedback",
    "UsageMetadata",
]


class Part(WireModel):
    """A piece of content; only ``text`` is modelled."""

    text: str | None = None


class Content(WireModel):
    """A turn of a conversation: ``role`` is ``user`` or ``model``."""

    parts: list[Part] | None = None
    role: str | None = None

    @classmethod
    def user_text(cls, text: str) -> Content:
        """A user turn holding one text part."""
        return cls(role="user", parts=[Part(text=text)])

    @property
    def text(self) -> str:
        """The text parts joined."""
        return "".join(p.text or "" for p in self.parts or [])


class GenerationConfig(WireModel):
    """Sampling controls for one request."""

    candidate_count: int | None = None
    stop_sequences: list[str] | None = None
    max_output_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    seed: int | None = None
    response_mime_type: str | None = None


class GenerateContentRequest(WireModel):
    """Body of ``generateContent`` / ``streamGenerateContent`` (``model`` is in the URL)."""

    contents: list[Content] | None = None
    generation_config: GenerationConfig | None = None
    safety_settings: list[dict[str, Any]] | None = None
    system_instruction: Content | None = None

    @classmethod
    def from_prompt(
        cls, prompt: str, generation_config: GenerationConfig | dict[str, Any] | None = None
    ) -> GenerateContentRequest:
        """A single-turn request for ``prompt``."""
        config = (
            GenerationConfig.model_validate(generation_config)
            if isinstance(generation_config, dict)
            else generation_config
        )
        return cls(contents=[Content.user_text(prompt)], generation_config=config)

    @classmethod
    def coerce(
        cls,
        request: str | GenerateContentRequest | Mapping[str, Any],
        generation_config: GenerationConfig | Mapping[str, Any] | None = None,
    ) -> GenerateContentRequest:
        """A request from a prompt, a request or its JSON; ``generation_config`` replaces its own."""
        if isinstance(request, str):
            built = cls.from_prompt(request)
        elif isinstance(request, GenerateContentRequest):
            built = request
        else:
            built = cls.model_validate(dict(request))
        if generation_config is None:
            return built
        config = (
            generation_config
            if isinstance(generation_config, GenerationConfig)
            else GenerationConfig.model_validate(dict(generation_config))
        )
        return built.model_copy(update={"generation_config": config})


class Candidate(WireModel):
    """One generated answer."""

    content: Content | None = None
    finish_reason: str | None = None
    index: int | None = None
    safety_ratings: list[dict[str, Any]] | None = None
    token_count: int | None = None


class PromptFeedback(WireModel):
    """Whether the prompt was blocked, and why."""

    block_reason: str | None = None
    safety_ratings: list[dict[str, Any]] | None = None


class UsageMetadata(WireModel):
    """Token counts of one request."""

    prompt_token_count: int | None = None
    candidates_token_count: int | None = None
    total_token_count: int | None = None


class GenerateContentResponse(WireModel):
    """Answer of ``generateContent``, or one chunk of ``streamGenerateContent``."""

    candidates: list[Candidate] | None = None
    prompt_feedback: PromptFeedback | None = None
    usage_metadata: UsageMetadata | None = None
    model_version: str | None = None
    response_id: str | None = None

    @property
    def text(self) -> str:
        """Text of the first candidate (empty if there is none, e.g. a blocked prompt)."""
        candidates = self.candidates or []
        return candidates[0].content.text if candidates and candidates[0].content else ""
