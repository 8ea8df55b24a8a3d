"""Operator that generates text with a tuned model or a base model."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import aclosing
from typing import TYPE_CHECKING, Any

from airflow_provider_tunedmodels.core.errors import InvalidRequestError
from airflow_provider_tunedmodels.operators._base import GeminiBaseOperator

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_tunedmodels.models import GenerateContentResponse

__all__ = ["GenerateContentOperator"]

#: Requests in flight at once when ``max_concurrency`` is not given.
DEFAULT_MAX_CONCURRENCY = 4


class GenerateContentOperator(GeminiBaseOperator):
    """Generate text from prompts (or one conversation) with a tuned or a base model.

    Give either ``prompt`` (one string, or a list of strings answered independently)
    or ``contents`` (one conversation, as the API's list of turns). Several prompts
    are sent concurrently on the async hook, at most ``max_concurrency`` at a time;
    answers keep the order of the prompts. Transient errors are retried by the
    hook's client; any request that still fails fails the task.

    The text is that of the first candidate. A blocked prompt has no candidate: its
    text is ``""`` and a warning names the reason.

    :param model: ``tunedModels/<id>`` for a tuned model, or ``models/<id>`` (or a bare
        ``<id>``) for a base model. Templated.
    :param prompt: a prompt, or a list of prompts (e.g. an upstream task's output).
        Templated: wrap it in ``airflow.sdk.literal(...)`` if it contains ``{{``.
    :param contents: a conversation instead of prompts: turns like
        ``{"role": "user", "parts": [{"text": "..."}]}``. Templated.
    :param generation_config: the API's ``GenerationConfig``, e.g.
        ``{"temperature": 0.2, "maxOutputTokens": 256}``. Templated.
    :param system_instruction: text the model is told before the prompt. Templated.
    :param include_usage: return dicts with the text, finish reason and token usage
        instead of bare texts.
    :param max_concurrency: requests in flight at once (at least 1).
    :param gemini_conn_id: Airflow connection of type ``gemini_tuned_models``.

    Returns (and pushes to XCom) the text for a single prompt or for ``contents``,
    and a list of texts, in prompt order, for a list of prompts. With
    ``include_usage`` each text becomes ``{"text": ..., "finish_reason": ...,
    "usage": {"promptTokenCount": ..., "candidatesTokenCount": ...,
    "totalTokenCount": ...}}``. Everything goes to XCom: for large batches, use
    the evaluate operator, which writes a file.

    Example::

        from airflow_provider_tunedmodels.operators.generate import GenerateContentOperator

        answer = GenerateContentOperator(
            task_id="route_tickets",
            model="tunedModels/support-router-v3",
            prompt=["My invoice is wrong", "The app crashes on start"],
            generation_config={"temperature": 0.0},
        )
    """

    template_fields: Sequence[str] = (
        "model",
        "prompt",
        "contents",
        "generation_config",
        "system_instruction",
    )
    template_fields_renderers = {"contents": "json", "generation_config": "json"}
    ui_color = "#e7f0fd"

    def __init__(
        self,
        *,
        model: str,
        prompt: str | Sequence[str] | None = None,
        contents: Sequence[Mapping[str, Any]] | None = None,
        generation_config: Mapping[str, Any] | None = None,
        system_instruction: str | None = None,
        include_usage: bool = False,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if (prompt is None) == (contents is None):
            raise ValueError("give exactly one of prompt (a string or a list) and contents")
        if max_concurrency < 1:
            raise ValueError(f"max_concurrency must be at least 1, got {max_concurrency}")
        self.model = model
        self.prompt = prompt
        self.contents = contents
        self.generation_config = generation_config
        self.system_instruction = system_instruction
        self.include_usage = include_usage
        self.max_concurrency = max_concurrency
        from airflow_provider_tunedmodels.operators._arguments import raise_argument_problems

        raise_argument_problems(self._literal_problems(), self)

    def _model_name_problems(self) -> list[str]:
        """The model name's problem, if it is known when the DAG is parsed."""
        from airflow_provider_tunedmodels.models.gemini.names import GENERATION_MODEL
        from airflow_provider_tunedmodels.operators._arguments import literal_name_problems

        return literal_name_problems(self.model, GENERATION_MODEL, "model")

    def _literal_problems(self) -> list[str]:
        """The model name and the prompts, where they are known when the DAG is parsed."""
        problems = self._model_name_problems()
        if isinstance(self.prompt, (str, list, tuple)):
            problems += _prompt_problems(self.prompt)
        return problems

    def execute(self, context: Context) -> Any:
        """Send the requests and return the answers (see the class docstring)."""
        from airflow_provider_tunedmodels.operators._arguments import bad_input_fails_the_task
        from airflow_provider_tunedmodels.operators._concurrency import run_with_async_hook

        with bad_input_fails_the_task():
            requests = self._requests()
        self.log.info("Sending %d request(s) to %s.", len(requests), self.model)
        responses = run_with_async_hook(self.hook, lambda: self._generate_all(requests))
        answers = [self._answer(response) for response in responses]
        return answers if self._is_batch else answers[0]

    @property
    def _is_batch(self) -> bool:
        return self.prompt is not None and not isinstance(self.prompt, str)

    def _check_model_name(self) -> None:
        """Reject a malformed model name before sending anything."""
        from airflow_provider_tunedmodels.hooks.gemini_calls import model_path

        model_path(self.model, "model")

    def _requests(self) -> list[dict[str, Any]]:
        self._check_model_name()
        if self.contents is not None:
            return [self._request(list(self.contents))]
        prompts = [self.prompt] if isinstance(self.prompt, str) else list(self.prompt or [])
        problems = _prompt_problems(self.prompt)
        if problems:
            raise InvalidRequestError("the prompts", problems)
        return [self._request([_user_turn(prompt)]) for prompt in prompts]

    def _request(self, contents: list[Any]) -> dict[str, Any]:
        request: dict[str, Any] = {"contents": contents}
        if self.system_instruction:
            request["systemInstruction"] = {"parts": [{"text": self.system_instruction}]}
        return request

    async def _generate_all(self, requests: list[dict[str, Any]]) -> list[GenerateContentResponse]:
        from airflow_provider_tunedmodels.operators._concurrency import ordered_map

        async def generate(request: dict[str, Any]) -> GenerateContentResponse:
            return await self.hook.agenerate_content(
                self.model, request, generation_config=self.generation_config
            )

        answers = ordered_map(generate, requests, concurrency=self.max_concurrency)
        async with aclosing(answers):
            return [response async for response in answers]

    def _answer(self, response: GenerateContentResponse) -> Any:
        finish_reason = _finish_reason(response)
        if not response.text:
            block = response.prompt_feedback.block_reason if response.prompt_feedback else None
            self.log.warning(
                "Empty answer from %s (block reason: %s, finish reason: %s).",
                self.model,
                block,
                finish_reason,
            )
        if not self.include_usage:
            return response.text
        usage = response.usage_metadata.to_wire() if response.usage_metadata else {}
        return {"text": response.text, "finish_reason": finish_reason, "usage": usage}


def _prompt_problems(prompt: object) -> list[str]:
    """Prompts that are not strings, or are empty (templates are checked once rendered)."""
    from airflow_provider_tunedmodels.operators._arguments import is_literal

    if isinstance(prompt, str):
        return [] if prompt.strip() or not is_literal(prompt) else ["prompt: empty; give some text"]
    if not isinstance(prompt, (list, tuple)):
        return []
    problems = []
    for index, item in enumerate(prompt):
        if not isinstance(item, str):
            if is_literal(item) or isinstance(item, (list, dict)):
                problems.append(f"prompt[{index}]: expected a string, got {type(item).__name__}")
        elif not item.strip() and is_literal(item):
            problems.append(f"prompt[{index}]: empty; give some text")
    if not prompt:
        problems.append("prompt: an empty list; give at least one prompt")
    return problems


def _user_turn(prompt: str) -> dict[str, Any]:
    return {"role": "user", "parts": [{"text": prompt}]}


def _finish_reason(response: GenerateContentResponse) -> str | None:
    candidates = response.candidates or []
    reason = candidates[0].finish_reason if candidates else None
    return str(reason) if reason is not None else None
