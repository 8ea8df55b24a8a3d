"""Vertex AI operators that use and manage a tuned model: generate, evaluate, promote, rebase.

Generation and evaluation reuse the Gemini operators' behaviour (bounded
concurrency, metrics, quality gate) with the Vertex backend: a tuned model answers
on its **endpoint** (``tunedModel.endpoint`` of the job), a base model on its
publisher path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_tunedmodels.operators._waiting import wait_on_worker
from airflow_provider_tunedmodels.operators.evaluate import EvaluateTunedModelOperator
from airflow_provider_tunedmodels.operators.generate import GenerateContentOperator
from airflow_provider_tunedmodels.operators.vertex_tuning import (
    DEFAULT_VERTEX_CONN_ID,
    VERTEX_HOOK_CLASS_PATH,
    VertexBaseOperator,
)

if TYPE_CHECKING:
    from airflow.sdk import Context

__all__ = [
    "RebaseTunedModelOperator",
    "UpdateVertexModelOperator",
    "VertexEvaluateOperator",
    "VertexGenerateContentOperator",
    "publisher_model_path",
]


def publisher_model_path(model: str, project: str, location: str) -> str:
    """``gemini-2.5-flash`` -> ``projects/{p}/locations/{l}/publishers/google/models/gemini-2.5-flash``.

    Full names (``projects/...``) are returned as they are.
    """
    if model.startswith("projects/"):
        return model
    return f"projects/{project}/locations/{location}/publishers/google/models/{model}"


class VertexGenerateContentOperator(GenerateContentOperator):
    """Generate with a tuned model's endpoint or a publisher model on Vertex AI.

    :param model: ``projects/*/locations/*/endpoints/*`` (a tuning job's
        ``endpoint``), or a base model (``gemini-2.5-flash`` or its publisher path).
        Everything else is as in :class:`GenerateContentOperator`.
    """

    hook_class_path = VERTEX_HOOK_CLASS_PATH
    default_conn_id = DEFAULT_VERTEX_CONN_ID

    def _model_name_problems(self) -> list[str]:
        return vertex_name_problems(self.model, "model")

    def _check_model_name(self) -> None:
        from airflow_provider_tunedmodels.models.vertex.names import generation_target

        self.model = _resolve(self, self.model)
        generation_target(self.model)


class VertexEvaluateOperator(EvaluateTunedModelOperator):
    """Evaluate a tuned endpoint against a base model on Vertex AI, with the quality gate.

    :param tuned_model_name: the tuned model's endpoint (a tuning job's ``endpoint``).
    :param baseline_model: a base model to compare with, e.g. ``gemini-2.5-flash``.
        Everything else is as in :class:`EvaluateTunedModelOperator`.
    """

    hook_class_path = VERTEX_HOOK_CLASS_PATH
    default_conn_id = DEFAULT_VERTEX_CONN_ID

    def _name_problems(self) -> list[str]:
        return vertex_name_problems(self.tuned_model_name, "tuned_model_name") + (
            vertex_name_problems(self.baseline_model, "baseline_model")
        )

    def _text_call(self, model: str, request: dict[str, Any]) -> Any:
        from airflow_provider_tunedmodels.core.calls import ApiCall
        from airflow_provider_tunedmodels.hooks.gemini_calls import first_candidate_text
        from airflow_provider_tunedmodels.models.vertex.names import generation_target

        path = f"{generation_target(model)}:generateContent"
        return ApiCall("POST", path, first_candidate_text, body=request)

    def _models(self) -> dict[str, str]:
        from airflow_provider_tunedmodels.evaluation.runner import BASELINE, TUNED

        models = {TUNED: _resolve(self, self.tuned_model_name)}
        if self.baseline_model:
            models[BASELINE] = _resolve(self, self.baseline_model)
        return models


def vertex_name_problems(value: object, field: str) -> list[str]:
    """The problem of a literal model argument: an endpoint, a publisher model or a base model id.

    Templates and upstream outputs are checked when they are rendered, before any request.
    """
    from airflow_provider_tunedmodels.core.errors import InvalidRequestError
    from airflow_provider_tunedmodels.models.vertex.names import generation_target
    from airflow_provider_tunedmodels.operators._arguments import is_literal

    if value is None or not is_literal(value):
        return []
    text = str(value)
    if not text.startswith("projects/"):
        if "/" in text or not text.strip():
            return [
                f"{field}: {text!r} is neither a base model id (e.g. 'gemini-2.5-flash') nor "
                "a full name (projects/.../endpoints/... or projects/.../publishers/google/"
                "models/...)"
            ]
        return []
    try:
        generation_target(text)
    except InvalidRequestError as error:
        return [f"{field}: {problem}" for problem in error.problems]
    return []


def _resolve(operator: Any, name: str) -> str:
    if name.startswith("projects/"):
        return name
    settings = operator.hook.settings
    return publisher_model_path(name, str(settings.project), str(settings.location))


class UpdateVertexModelOperator(VertexBaseOperator):
    """Patch a tuned model in the Model Registry: description, labels, default checkpoint.

    Changing ``default_checkpoint_id`` re-points the endpoint that serves the model, so
    promotion can make the best checkpoint the one its endpoint serves. Repeating the
    same patch gives the same result, so retries are safe.

    :param model_name: ``projects/*/locations/*/models/{id}`` (``@version`` allowed). Templated.
    :param display_name: Templated.
    :param description: Templated.
    :param labels: replaces the model's labels. Templated.
    :param default_checkpoint_id: the checkpoint the endpoint serves. Templated.
    """

    template_fields: Sequence[str] = (
        "model_name",
        "display_name",
        "description",
        "labels",
        "default_checkpoint_id",
    )
    ui_color = "#e3f4ea"

    def __init__(
        self,
        *,
        model_name: str,
        display_name: str | None = None,
        description: str | None = None,
        labels: Mapping[str, str] | None = None,
        default_checkpoint_id: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not any(
            v is not None for v in (display_name, description, labels, default_checkpoint_id)
        ):
            raise ValueError(
                "give at least one of display_name, description, labels, default_checkpoint_id"
            )
        self.model_name = model_name
        self.display_name = display_name
        self.description = description
        self.labels = labels
        self.default_checkpoint_id = default_checkpoint_id

    def execute(self, context: Context) -> dict[str, Any]:
        """Apply the patch and return the model (JSON-safe)."""
        fields = {
            "displayName": self.display_name,
            "description": self.description,
            "labels": dict(self.labels) if self.labels is not None else None,
            "defaultCheckpointId": (
                str(self.default_checkpoint_id) if self.default_checkpoint_id is not None else None
            ),
        }
        changes = {key: value for key, value in fields.items() if value is not None}
        model = self.vertex.update_model(self.model_name, changes)
        self.log.info("Updated %s: %s.", self.model_name, ", ".join(changes))
        return dict(model.to_wire())


class RebaseTunedModelOperator(VertexBaseOperator):
    """Re-tune a tuned model on a newer base model (``tuningJobs.rebaseTunedModel``).

    The call answers with a long-running operation; with ``wait_for_completion`` the
    task waits for it and then for the new tuning job, and returns that job.

    :param tuned_model: the ``Model``, tuning job or pipeline job to rebase. Templated.
    :param wait_for_completion: wait for the operation and the new job.
    :param poll_interval: seconds between polls.
    :param timeout: seconds to wait.
    """

    template_fields: Sequence[str] = ("tuned_model",)
    ui_color = "#e3f4ea"

    def __init__(
        self,
        *,
        tuned_model: str,
        wait_for_completion: bool = True,
        poll_interval: float = 60.0,
        timeout: float = 24 * 3600.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.tuned_model = tuned_model
        self.wait_for_completion = wait_for_completion
        self.poll_interval = poll_interval
        self.timeout = timeout

    def execute(self, context: Context) -> dict[str, Any]:
        """Start the rebase; optionally wait for the operation and the new job."""
        from airflow_provider_tunedmodels.operators._waiting import raise_for_outcome

        operation = self.vertex.rebase_tuned_model(self.tuned_model)
        context["ti"].xcom_push(key="operation_name", value=operation.name)
        if not self.wait_for_completion:
            return dict(operation.to_wire())
        done = self.vertex.wait_for_operation(
            operation.name, timeout=self.timeout, poll_interval=self.poll_interval
        )
        job = done.tuning_job
        status = wait_on_worker(
            self,
            self.vertex.read_job_status(job.name),
            poll_interval=self.poll_interval,
            timeout=self.timeout,
        )
        raise_for_outcome(status)
        return dict(self.vertex.job_result(status.result_name))
