"""Operators for Vertex AI tuning jobs: tune (with a cost guard), cancel, rebase, update the model.

Importing this module is cheap: the hook (with httpx, pydantic models and
google-auth), the staging client and the data readers are imported only when a
task runs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal

from airflow_provider_tunedmodels._compat import conf
from airflow_provider_tunedmodels.defaults import DEFAULT_WAIT_TIMEOUT, VERTEX_CONN_ID
from airflow_provider_tunedmodels.links import (
    PUSHED_URL_ATTRIBUTE,
    TUNING_JOB_URL_XCOM_KEY,
    TuningJobLink,
)
from airflow_provider_tunedmodels.operators._base import TuningBaseOperator, TuningCreateOperator
from airflow_provider_tunedmodels.operators._vertex_request import check_literal_arguments
from airflow_provider_tunedmodels.operators._waiting import wait_on_worker

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_tunedmodels.hooks.base import JobStatus

__all__ = [
    "DEFAULT_VERTEX_CONN_ID",
    "VERTEX_HOOK_CLASS_PATH",
    "CancelTuningJobOperator",
    "CreateTuningJobOperator",
    "VertexBaseOperator",
]

#: Default Airflow connection id of the Vertex AI backend.
DEFAULT_VERTEX_CONN_ID = VERTEX_CONN_ID
#: The Vertex AI backend's hook.
VERTEX_HOOK_CLASS_PATH = "airflow_provider_tunedmodels.hooks.vertex_ai.VertexTuningJobsHook"
#: Seconds between polls of a tuning job (Google's samples poll every 60 s).
DEFAULT_VERTEX_POLL_INTERVAL = 60.0
#: XCom keys pushed right after the job exists, before any waiting.
TUNING_JOB_NAME_XCOM_KEY = "tuning_job_name"
BILLING_ESTIMATE_XCOM_KEY = "billing_estimate"

IfExists = Literal["reuse", "replace", "fail"]
Method = Literal["supervised", "preference", "distillation", "reinforcement"]


class VertexBaseOperator(TuningBaseOperator):
    """Base of the Vertex AI operators.

    :param conn_id: a ``vertex_ai_tuning`` connection, or a ``google_cloud_platform`` one.
    """

    hook_class_path = VERTEX_HOOK_CLASS_PATH
    default_conn_id = DEFAULT_VERTEX_CONN_ID

    @property
    def vertex(self) -> Any:
        """The Vertex hook (typed loosely so this module stays cheap to import)."""
        return self.hook


class CreateTuningJobOperator(TuningCreateOperator, VertexBaseOperator):
    """Tune a model on Vertex AI: stage the data, check the cost, create or re-attach, wait.

    **Re-attach instead of duplicate.** Vertex has no client-chosen job id, so a
    retried create would start a second billed job. The job is labelled with the
    task's run key (DAG, task, logical date or run id, map index -- never the try
    number) and a fingerprint of the request; a retry, rerun or backfill of the same
    run finds it, and ``if_exists`` decides:

    * ``"reuse"`` (default): adopt a running or succeeded job of this run key created
      from **the same request**; a job from a different request fails the task and
      names what to do; a failed one is not adopted either (``replace`` tunes again).
    * ``"replace"``: cancel a job of this run key that still runs, then create anew.
    * ``"fail"``: fail if the run key already has a job.

    **Cost guard.** When the training data can be read (a local or object-store
    file before staging, or a ``gs://`` object), billable tokens are estimated as
    Vertex's ``tuningDataStats`` counts them, times the epochs; the estimate is
    logged and pushed to XCom (``billing_estimate``), and above ``max_billable_tokens``
    the task fails before anything is submitted. After the job, more dropped or
    truncated examples than ``max_dropped_examples`` fail the task.

    **What happens when.** Right after the job exists its name and Cloud console link
    are pushed to XCom (``tuning_job_name``, ``tuning_job_url``). With
    ``wait_for_completion`` the task then waits in the triggerer (``deferrable``; no
    worker slot is held) or on the worker. FAILED, CANCELLED and EXPIRED fail the
    task with the job's error (no retries); a state this provider does not expect
    fails loudly; a timeout fails with retries allowed (a retry re-attaches).

    **Return value**: ``name``, ``state``, times, ``tuned_model`` (``…/models/{id}@{version}``),
    ``endpoint``, ``checkpoints``, ``tuning_data_stats`` and the full ``tuning_job``,
    JSON-safe. When waiting, the task's outlets include
    :func:`~airflow_provider_tunedmodels.assets.vertex_tuned_model_asset` of ``model_family``.

    :param training_dataset: ``gs://…`` JSONL, a Vertex dataset, or a local / object-store
        file (staged under ``staging_prefix``). Templated.
    :param base_model: e.g. ``"gemini-2.5-flash"``; or give ``pre_tuned_model``. Templated.
    :param pre_tuned_model: a tuned model to tune further (``projects/…/models/{id}``). Templated.
    :param checkpoint_id: the checkpoint of ``pre_tuned_model`` to start from. Templated.
    :param method: ``supervised`` (default), ``preference``, ``distillation`` or
        ``reinforcement`` (the last two take their spec in ``tuning_spec``).
    :param validation_dataset: like ``training_dataset``, optional. Templated.
    :param staging_prefix: ``gs://bucket/prefix/`` for local or object-store datasets. Templated.
    :param hyperparameters: ``epoch_count``, ``learning_rate_multiplier``, ``adapter_size``
        (1, 2, 4, 8, 16) and, for preference tuning, ``beta``. Templated.
    :param tuning_spec: raw fields of the tuning spec (distillation, reinforcement, evaluation).
    :param display_name: the tuned model's name, up to 128 characters. Templated.
    :param description: Templated.
    :param labels: job labels. Templated.
    :param if_exists: ``reuse``, ``replace`` or ``fail`` (see above).
    :param wait_for_completion: wait until the job succeeds or fails.
    :param deferrable: wait in the triggerer; defaults to ``[operators] default_deferrable``.
    :param poll_interval: seconds between polls.
    :param timeout: how long the job may run once it started (seconds or ``timedelta``),
        counted from its start on the server: time waiting for quota is not included.
    :param quota_timeout: how long the job may wait to start (quota, capacity); default
        as long as ``timeout``.
    :param cancel_on_kill: cancel the job when the task is killed while waiting.
    :param max_billable_tokens: refuse to submit above this estimate.
    :param max_dropped_examples: fail after the job if the service dropped or truncated more.
    :param model_family: name of the tuned-model asset this task produces.
    """

    template_fields: Sequence[str] = (
        "training_dataset",
        "validation_dataset",
        "base_model",
        "pre_tuned_model",
        "checkpoint_id",
        "staging_prefix",
        "hyperparameters",
        "display_name",
        "description",
        "labels",
    )
    ui_color = "#e3f4ea"
    operator_extra_links = (TuningJobLink(),)

    def __init__(
        self,
        *,
        training_dataset: Any,
        base_model: str | None = None,
        pre_tuned_model: str | None = None,
        checkpoint_id: str | None = None,
        method: Method = "supervised",
        validation_dataset: Any = None,
        staging_prefix: str | None = None,
        hyperparameters: Mapping[str, Any] | None = None,
        tuning_spec: Mapping[str, Any] | None = None,
        display_name: str | None = None,
        description: str | None = None,
        labels: Mapping[str, str] | None = None,
        if_exists: IfExists = "reuse",
        wait_for_completion: bool = True,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        poll_interval: float = DEFAULT_VERTEX_POLL_INTERVAL,
        timeout: float | timedelta = DEFAULT_WAIT_TIMEOUT,
        quota_timeout: float | timedelta | None = None,
        cancel_on_kill: bool = False,
        max_billable_tokens: int | None = None,
        max_dropped_examples: int | None = None,
        model_family: str | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("multiple_outputs", True)
        super().__init__(**kwargs)
        check_literal_arguments(
            method=method,
            if_exists=if_exists,
            base_model=base_model,
            pre_tuned_model=pre_tuned_model,
            hyperparameters=hyperparameters,
        )
        self.training_dataset = training_dataset
        self.base_model = base_model
        self.pre_tuned_model = pre_tuned_model
        self.checkpoint_id = checkpoint_id
        self.method = method
        self.validation_dataset = validation_dataset
        self.staging_prefix = staging_prefix
        self.hyperparameters = hyperparameters
        self.tuning_spec = tuning_spec
        self.display_name = display_name
        self.description = description
        self.labels = labels
        self.if_exists = if_exists
        self.wait_for_completion = wait_for_completion
        self.deferrable = deferrable
        self.poll_interval = float(poll_interval)
        self.timeout = _seconds(timeout)
        self.quota_timeout = _seconds(quota_timeout) if quota_timeout is not None else self.timeout
        self.cancel_on_kill = cancel_on_kill
        self.max_billable_tokens = max_billable_tokens
        self.max_dropped_examples = max_dropped_examples
        self.model_family = model_family
        if self.poll_interval <= 0 or self.timeout <= 0:
            raise ValueError("poll_interval and timeout must be positive")
        self._declare_asset()
        self._waiting_for: JobStatus | None = None

    def _family_asset(self, family: str) -> Any:
        """The Vertex AI tuned-model asset of the model family."""
        from airflow_provider_tunedmodels.assets import vertex_tuned_model_asset

        return vertex_tuned_model_asset(family)

    # --- execute -----------------------------------------------------------------------------

    def execute(self, context: Context) -> dict[str, Any]:
        """Stage, estimate, create or re-attach, push the names, then wait (or not)."""
        from airflow_provider_tunedmodels.operators._vertex_job import prepare_and_start

        setattr(self, PUSHED_URL_ATTRIBUTE, None)  # no link until a job exists
        started = prepare_and_start(self, context)
        status = self.vertex.read_job_status(started.name)
        if not self.wait_for_completion:
            return self._summary(self.vertex.job_result(status.result_name))
        status = self._wait_until_finished(
            status, reused=started.reused, start_timeout=self.quota_timeout
        )
        return self._finish(context, status.result_name, reused=started.reused)

    # --- steps -------------------------------------------------------------------------------

    def push_names(self, context: Context, job_name: str) -> None:
        """Push the job's name and console link, before any waiting."""
        ti = context["ti"]
        url = self.vertex.job_url(job_name)
        ti.xcom_push(key=TUNING_JOB_NAME_XCOM_KEY, value=job_name)
        ti.xcom_push(key=TUNING_JOB_URL_XCOM_KEY, value=url)
        setattr(self, PUSHED_URL_ATTRIBUTE, url)

    def _finish(self, context: Context, job_name: str, *, reused: bool) -> dict[str, Any]:
        from airflow_provider_tunedmodels._compat import AirflowFailException
        from airflow_provider_tunedmodels.assets import attach_asset_events
        from airflow_provider_tunedmodels.operators._vertex_request import dropped_examples

        job = self.vertex.job_result(job_name)
        dropped = dropped_examples(job)
        if self.max_dropped_examples is not None and dropped > self.max_dropped_examples:
            raise AirflowFailException(
                f"{job_name} succeeded, but the service dropped or truncated {dropped} "
                f"examples, more than max_dropped_examples={self.max_dropped_examples}; see "
                "tuningDataStats in the returned job and shorten or fix those examples."
            )
        extra = self.vertex.asset_event_extra(job, reused=reused)
        attach_asset_events(self.outlets, context["outlet_events"], extra)
        return self._summary(job)

    @staticmethod
    def _summary(job: Mapping[str, Any]) -> dict[str, Any]:
        from airflow_provider_tunedmodels.operators._vertex_request import summarize_tuning_job

        return summarize_tuning_job(job)


class CancelTuningJobOperator(VertexBaseOperator):
    """Cancel a Vertex AI tuning job; a job that already ended is left as it is.

    Cancellation is asynchronous on Vertex: the job goes CANCELLING, then CANCELLED
    (or ends otherwise). With ``wait_for_completion`` the task waits until it ended.

    :param job_name: ``projects/{p}/locations/{l}/tuningJobs/{id}``. Templated.
    :param wait_for_completion: wait until the job has ended.
    :param poll_interval: seconds between polls while waiting.
    :param timeout: seconds to wait.
    """

    template_fields: Sequence[str] = ("job_name",)
    ui_color = "#fbe3e3"

    def __init__(
        self,
        *,
        job_name: str,
        wait_for_completion: bool = True,
        poll_interval: float = 10.0,
        timeout: float = 600.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.job_name = job_name
        self.wait_for_completion = wait_for_completion
        self.poll_interval = poll_interval
        self.timeout = timeout

    def execute(self, context: Context) -> dict[str, Any]:
        """Cancel, optionally wait until the job ended; return its state and error."""
        self.log.info("%s", self.vertex.cancel_job(self.job_name))
        status = self.vertex.read_job_status(self.job_name)
        if self.wait_for_completion:
            status = wait_on_worker(
                self, status, poll_interval=self.poll_interval, timeout=self.timeout
            )
        return {"name": status.job_name, "state": status.state, "error": status.error}


def _seconds(value: float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
