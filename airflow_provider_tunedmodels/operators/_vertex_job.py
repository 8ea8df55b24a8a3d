"""The steps of starting a Vertex AI tuning job from a task: stage, estimate, decide, create.

Kept apart from the operator so each step is small and testable; used by
:class:`~airflow_provider_tunedmodels.operators.vertex_tuning.CreateTuningJobOperator`
when its task runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from airflow_provider_tunedmodels._compat import AirflowFailException

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_tunedmodels.operators.vertex_tuning import CreateTuningJobOperator

__all__ = ["StartedJob", "prepare_and_start"]


@dataclass(frozen=True)
class StartedJob:
    """The job a task created or re-attached to."""

    name: str
    reused: bool


def prepare_and_start(operator: CreateTuningJobOperator, context: Context) -> StartedJob:
    """Stage the data, guard the cost, then create a job or re-attach to this run's job."""
    from airflow_provider_tunedmodels.operators._vertex_request import build_tuning_job
    from airflow_provider_tunedmodels.operators.vertex_tuning import BILLING_ESTIMATE_XCOM_KEY
    from airflow_provider_tunedmodels.tuning_policy import run_key_of

    estimate = _estimate(operator, operator.training_dataset)
    context["ti"].xcom_push(key=BILLING_ESTIMATE_XCOM_KEY, value=estimate)
    _guard_cost(operator, estimate)
    training = _dataset_uri(operator, operator.training_dataset, "training_dataset")
    validation = (
        _dataset_uri(operator, operator.validation_dataset, "validation_dataset")
        if operator.validation_dataset
        else None
    )
    job = build_tuning_job(
        method=operator.method,
        training_dataset_uri=training,
        validation_dataset_uri=validation,
        base_model=operator.base_model,
        pre_tuned_model=operator.pre_tuned_model,
        checkpoint_id=operator.checkpoint_id,
        display_name=operator.display_name,
        description=operator.description,
        labels=operator.labels,
        hyperparameters=operator.hyperparameters,
        tuning_spec=operator.tuning_spec,
    )
    started = _create_or_reattach(operator, job, run_key_of(operator, context))
    operator.push_names(context, started.name)
    return started


def _create_or_reattach(
    operator: CreateTuningJobOperator, job: dict[str, Any], run_key: str
) -> StartedJob:
    from airflow_provider_tunedmodels.core.errors import InvalidRequestError
    from airflow_provider_tunedmodels.hooks.vertex_reattach import RunKeyConflictError

    hook = operator.vertex
    replacing = None
    try:
        found = hook.find_tuning_job(run_key, job)
        if found is not None:
            existing = _decide(operator, found)
            if existing is not None:
                return existing
            replacing = str(found.job.name)
        created = hook.create_tuning_job(job, run_key=run_key, replacing=replacing)
    except (InvalidRequestError, RunKeyConflictError) as exc:
        raise AirflowFailException(str(exc)) from exc
    operator.log.info("Created tuning job %s (run key %s).", created.name, run_key)
    return StartedJob(str(created.name), reused=False)


def _decide(operator: CreateTuningJobOperator, found: Any) -> StartedJob | None:
    """What ``if_exists`` does with the job this run key already has (``None``: create anew)."""
    job = found.job
    status = operator.vertex.read_job_status(job.name)
    if operator.if_exists == "fail":
        raise AirflowFailException(
            f"This run already has tuning job {job.name} ({status.state}) and "
            "if_exists='fail'. Use if_exists='reuse' to adopt it or 'replace' to start anew."
        )
    if operator.if_exists == "replace":
        if not status.finished:
            operator.log.info("%s", operator.vertex.cancel_job(job.name))
        operator.log.info("Replacing %s (%s) with a new job.", job.name, status.state)
        return None
    if found.fingerprint_matches is False:
        raise AirflowFailException(
            f"This run already has tuning job {job.name}, created from a different request "
            "(other data, model or settings), so it is not reused. Set if_exists='replace' "
            "to cancel it if it runs and tune anew."
        )
    if status.outcome in ("failed", "unexpected"):
        raise AirflowFailException(
            f"This run's tuning job {job.name} ended {status.state}; it is not reused. Set "
            "if_exists='replace' to tune again."
        )
    operator.log.info(
        "Re-attaching to %s, which is %s (if_exists='reuse').", job.name, status.state
    )
    return StartedJob(str(job.name), reused=True)


def _dataset_uri(operator: CreateTuningJobOperator, source: Any, param: str) -> str:
    """A URI Vertex can read: a ``gs://`` or Vertex dataset as is, anything else staged."""
    from airflow_provider_tunedmodels.operators._vertex_request import is_cloud_dataset

    text = str(source)
    if is_cloud_dataset(text):
        return text
    if not operator.staging_prefix:
        raise AirflowFailException(
            f"{param}={text!r} is not in Cloud Storage; set staging_prefix='gs://bucket/prefix/' "
            "so the task uploads it, or give a gs:// URI."
        )
    from airflow_provider_tunedmodels.hooks.cloud_storage import CloudStorageHook

    staged: str = CloudStorageHook(operator.conn_id).stage_file(source, operator.staging_prefix)
    operator.log.info("Staged %s as %s.", text, staged)
    return staged


def _guard_cost(operator: CreateTuningJobOperator, estimate: dict[str, Any] | None) -> None:
    """Log the estimate; refuse above ``max_billable_tokens`` (after it was pushed to XCom)."""
    if estimate is None:
        return
    operator.log.info(
        "Billing estimate: %d examples, %d tokens per epoch, %d epochs -> %d billable tokens.",
        estimate["example_count"],
        estimate["tokens_per_epoch"],
        estimate["epochs"],
        estimate["total_billable_tokens"],
    )
    limit = operator.max_billable_tokens
    if limit is not None and estimate["total_billable_tokens"] > limit:
        raise AirflowFailException(
            f"The job would bill about {estimate['total_billable_tokens']:,} tokens, above "
            f"max_billable_tokens={limit:,}; nothing was submitted. Shrink the dataset or the "
            "epochs, or raise the limit."
        )


def _estimate(operator: CreateTuningJobOperator, source: Any) -> dict[str, Any] | None:
    from airflow_provider_tunedmodels.data.token_estimate import estimate_billable_tokens

    kind: Literal["supervised", "preference"] = (
        "preference" if operator.method == "preference" else "supervised"
    )
    epochs = (operator.hyperparameters or {}).get("epoch_count") or (
        operator.hyperparameters or {}
    ).get("epochCount")
    try:
        lines = _read_lines(operator, source)
        estimate = estimate_billable_tokens(lines, epochs=epochs, kind=kind)
    except Exception as exc:
        if operator.max_billable_tokens is not None:
            raise AirflowFailException(
                f"max_billable_tokens is set but the training data could not be read to "
                f"estimate the cost ({type(exc).__name__}: {exc})."
            ) from exc
        operator.log.warning("No billing estimate: the training data could not be read (%s).", exc)
        return None
    return dict(estimate.to_dict())


def _read_lines(operator: CreateTuningJobOperator, source: Any) -> Any:
    text = str(source)
    if text.startswith("gs://"):
        from airflow_provider_tunedmodels.hooks.cloud_storage import CloudStorageHook

        data: bytes = CloudStorageHook(operator.conn_id).read_object(text)
        return data.decode("utf-8").splitlines()
    if text.startswith("projects/"):
        raise ValueError("a Vertex dataset cannot be read locally")
    return Path(text) if "://" not in text else source
