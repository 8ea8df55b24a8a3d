"""Operators for the tuned-model lifecycle: create (tune), update, delete, transfer ownership.

Importing this module is cheap: the hook (with httpx, pydantic models and
google-auth) and the data readers are imported only when a task runs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal

from airflow_provider_tunedmodels._compat import conf
from airflow_provider_tunedmodels.links import (
    PUSHED_URL_ATTRIBUTE,
    TUNED_MODEL_URL_XCOM_KEY,
    TunedModelLink,
)
from airflow_provider_tunedmodels.operators._base import GeminiBaseOperator, TuningCreateOperator
from airflow_provider_tunedmodels.tuning_policy import (
    DEFAULT_POLL_INTERVAL,
    DEFAULT_TUNING_TIMEOUT,
    deterministic_tuned_model_id,
    deterministic_tuned_model_id_of,
)

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_tunedmodels.data import ExampleSource, FileFormat
    from airflow_provider_tunedmodels.hooks.base import JobStatus
    from airflow_provider_tunedmodels.models.gemini import TunedModel

# The other tuned-model operators live in ``tuned_model_changes``; their 0.1.0 class
# paths (this module) stay importable.
from airflow_provider_tunedmodels.operators.tuned_model_changes import (
    DeleteTunedModelOperator,
    TransferTunedModelOwnershipOperator,
    UpdateTunedModelOperator,
)

__all__ = [
    "CreateTunedModelOperator",
    "DeleteTunedModelOperator",
    "TransferTunedModelOwnershipOperator",
    "UpdateTunedModelOperator",
    "deterministic_tuned_model_id",
]

IfExists = Literal["reuse", "replace", "fail"]
#: Accepted values of ``if_exists``.
IF_EXISTS_CHOICES: frozenset[str] = frozenset({"reuse", "replace", "fail"})
#: XCom keys pushed by :class:`CreateTunedModelOperator` right after creation.
TUNED_MODEL_NAME_XCOM_KEY = "tuned_model_name"
OPERATION_NAME_XCOM_KEY = "operation_name"


@dataclass(frozen=True)
class _Started:
    """A tuning job this task created or adopted, and how it stood at that moment."""

    status: JobStatus
    reused: bool


class CreateTunedModelOperator(TuningCreateOperator, GeminiBaseOperator):
    """Tune a model: create a tuned model, wait until it is ACTIVE, and return it.

    **Idempotence.** The model gets a fixed id: ``tuned_model_id``, or by default
    :func:`~airflow_provider_tunedmodels.tuning_policy.deterministic_tuned_model_id`
    of the DAG, the task, the logical date (the run id when there is none) and the
    map index. A retry, a rerun or a backfill of the same run therefore finds the
    model its earlier try created, and ``if_exists`` decides what happens:

    * ``"reuse"`` (default): adopt the model if it is ACTIVE (return it at once) or
      still CREATING (wait for it). A FAILED model is *not* adopted: the task fails
      without using its retries and names the model, since tuning it again under
      the same id needs an explicit choice: ``"replace"``, or deleting the model.
    * ``"replace"``: delete whatever model has the id, then create a new one. A
      retry of this task also replaces the model its earlier try started.
    * ``"fail"``: fail if the id is taken, including by an earlier try of this task.

    Within one try, the hook recognises a create that succeeded but whose answer
    was lost, so no second model is made either.

    **What happens when.** Everything (id, source model, sampling values,
    hyperparameters, every training example) is checked locally before the first
    API call. Right after the model exists its name, its operation and its link
    are pushed to XCom (keys ``tuned_model_name``, ``operation_name``,
    ``tuned_model_url``), before any waiting. With ``wait_for_completion`` the task
    then waits, in the triggerer when ``deferrable`` (no worker slot is held), or
    by polling on the worker. Progress (steps, percent, epoch, loss) is logged at
    every poll. A FAILED model fails the task without retries; a timeout fails it
    with retries allowed (a retry adopts the still-running model).

    **Return value** (XCom ``return_value``): the tuned model as a JSON-safe dict
    in wire format (camelCase keys), ACTIVE when waiting, CREATING otherwise.

    **Asset.** When waiting, the task's outlets include
    :func:`~airflow_provider_tunedmodels.assets.tuned_model_asset` of
    ``model_family`` (default ``"<dag_id>.<task_id>"``), and its asset event's
    ``extra`` names the new model, so DAGs scheduled on that asset start when a
    new model is ACTIVE. Without waiting no asset is declared, since the model is
    not ready when the task ends (wait with
    :class:`~airflow_provider_tunedmodels.sensors.TunedModelSensor` and give it the
    asset as an outlet instead).

    :param training_data: the training examples: a JSONL or CSV file (a local path, a
        URI such as ``s3://bucket/train.jsonl`` or ``gs://...`` whose Airflow provider
        is installed, or an ``ObjectStoragePath``), or a list of records (mappings with
        ``text_input``/``input``/``prompt`` and ``output``/``completion``/``target``,
        or ``(input, output)`` pairs), e.g. an upstream task's output such as
        ``prepare.output["train_path"]``. Templated; an inline list is rendered too,
        so wrap it in ``airflow.sdk.literal(...)`` if its texts contain ``{{``.
    :param base_model: the model to tune, e.g. ``"models/gemini-1.5-flash-001-tuning"``
        (``models/`` is added if missing). Exactly one of ``base_model`` and
        ``source_model``. Templated.
    :param source_model: a tuned model to tune further, ``tunedModels/{id}``. Templated.
    :param tuned_model_id: the new model's id (``[a-z]([a-z0-9-]{0,38}[a-z0-9])?``);
        ``None`` derives a deterministic one (see above). Templated.
    :param display_name: up to 40 characters. Templated.
    :param description: Templated.
    :param temperature: default sampling temperature of the model, in [0, 1].
    :param top_p: default nucleus sampling value, in [0, 1].
    :param top_k: default top-k sampling value, at least 1.
    :param hyperparameters: ``learning_rate`` or ``learning_rate_multiplier``,
        ``epoch_count`` and ``batch_size`` (snake_case or camelCase keys); unset ones
        get the server's defaults. Templated.
    :param training_data_format: ``"jsonl"`` or ``"csv"``; guessed from the file suffix.
    :param if_exists: ``"reuse"``, ``"replace"`` or ``"fail"`` (see above).
    :param wait_for_completion: wait until the model is ACTIVE or FAILED.
    :param deferrable: wait in the triggerer; defaults to ``[operators] default_deferrable``.
    :param poll_interval: seconds between status polls.
    :param timeout: how long to wait for tuning (seconds or a ``timedelta``).
    :param cancel_on_kill: when the task is killed while waiting, cancel the tuning job
        (or delete the model if it cannot be cancelled). Applies to the worker wait,
        and to the deferred wait on Airflow versions that call a trigger's ``on_kill``.
    :param model_family: name of the tuned-model asset this task produces.
    :param gemini_conn_id: Airflow connection of type ``gemini_tuned_models``.

    Example::

        from airflow_provider_tunedmodels.operators.tuned_model import CreateTunedModelOperator

        tune = CreateTunedModelOperator(
            task_id="tune",
            base_model="models/gemini-1.5-flash-001-tuning",
            display_name="support router {{ ds }}",
            training_data="s3://my-bucket/prepared/{{ ds }}/train.jsonl",
            hyperparameters={"epoch_count": 5, "batch_size": 4, "learning_rate": 0.001},
            model_family="support-router",
            deferrable=True,
            poll_interval=120,
            timeout=timedelta(hours=6),
        )
        # Downstream: tune.output["name"], or the XCom key "tuned_model_name".
    """

    template_fields: Sequence[str] = (
        "training_data",
        "base_model",
        "source_model",
        "tuned_model_id",
        "display_name",
        "description",
        "hyperparameters",
    )
    ui_color = "#e3ecfb"
    operator_extra_links = (TunedModelLink(),)

    def __init__(
        self,
        *,
        training_data: ExampleSource,
        base_model: str | None = None,
        source_model: str | None = None,
        tuned_model_id: str | None = None,
        display_name: str | None = None,
        description: str | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        top_k: int | None = None,
        hyperparameters: Mapping[str, Any] | None = None,
        training_data_format: FileFormat | None = None,
        if_exists: IfExists = "reuse",
        wait_for_completion: bool = True,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        timeout: float | timedelta = DEFAULT_TUNING_TIMEOUT,
        cancel_on_kill: bool = False,
        model_family: str | None = None,
        **kwargs: Any,
    ) -> None:
        # Each key of the returned dict is also its own XCom, so downstream tasks
        # can use e.g. ``task.output["name"]``.
        kwargs.setdefault("multiple_outputs", True)
        super().__init__(**kwargs)
        self.training_data = training_data
        self.base_model = base_model
        self.source_model = source_model
        self.tuned_model_id = tuned_model_id
        self.display_name = display_name
        self.description = description
        self.temperature = temperature
        self.top_p = top_p
        self.top_k = top_k
        self.hyperparameters = hyperparameters
        self.training_data_format = training_data_format
        self.if_exists = if_exists
        self.wait_for_completion = wait_for_completion
        self.deferrable = deferrable
        self.poll_interval = float(poll_interval)
        self.timeout = timeout.total_seconds() if isinstance(timeout, timedelta) else float(timeout)
        self.cancel_on_kill = cancel_on_kill
        self.model_family = model_family
        self._check_arguments()
        self._declare_asset()
        self._waiting_for: JobStatus | None = None

    def _check_arguments(self) -> None:
        """Refuse, when the DAG is parsed, every literal argument the API would refuse."""
        from airflow_provider_tunedmodels.operators._arguments import raise_argument_problems

        problems = self._request_argument_problems()
        if self.if_exists not in IF_EXISTS_CHOICES:
            problems.append(
                f"if_exists: {self.if_exists!r}; use one of {', '.join(sorted(IF_EXISTS_CHOICES))}"
            )
        if not self.poll_interval > 0:
            problems.append(f"poll_interval: {self.poll_interval:g} must be positive")
        if not self.timeout > 0:
            problems.append(f"timeout: {self.timeout:g} must be positive")
        raise_argument_problems(problems, self)

    def _request_argument_problems(self) -> list[str]:
        from airflow_provider_tunedmodels.operators._tuned_model_request import (
            create_argument_problems,
        )

        return create_argument_problems(
            tuned_model_id=self.tuned_model_id,
            base_model=self.base_model,
            source_model=self.source_model,
            display_name=self.display_name,
            temperature=self.temperature,
            top_p=self.top_p,
            top_k=self.top_k,
            hyperparameters=self.hyperparameters,
        )

    def _family_asset(self, family: str) -> Any:
        """The ``gemini-tuned-model`` asset of the model family."""
        from airflow_provider_tunedmodels.assets import tuned_model_asset

        return tuned_model_asset(family)

    # --- execute -----------------------------------------------------------------------------

    def execute(self, context: Context) -> dict[str, Any]:
        """Check locally, create or adopt the model, push its names, then wait (or not)."""
        setattr(self, PUSHED_URL_ATTRIBUTE, None)  # no link until a model exists
        tuned_model_id, request = self._checked_request(context)
        started = self._create_or_adopt(tuned_model_id, request)
        self._push_names(context, started.status)
        if not self.wait_for_completion:
            return self.hook.get_tuned_model(started.status.result_name).to_wire()
        status = self._wait_until_finished(started.status, reused=started.reused)
        return self._finish(context, status.result_name, reused=started.reused)

    # --- steps -------------------------------------------------------------------------------

    def _checked_request(self, context: Context) -> tuple[str, TunedModel]:
        """The id and the request, both validated; bad input fails without retries."""
        from airflow_provider_tunedmodels.models.gemini.validation import validate_new_tuned_model
        from airflow_provider_tunedmodels.operators._arguments import (
            bad_input_fails_the_task,
            raise_argument_problems,
        )
        from airflow_provider_tunedmodels.operators._reuse import with_fingerprint
        from airflow_provider_tunedmodels.operators._tuned_model_request import (
            build_tuned_model,
            create_spelling,
            load_training_examples,
            normalise_tuned_model_id,
        )

        with bad_input_fails_the_task():
            raise_argument_problems(self._request_argument_problems(), self)
            tuned_model_id = normalise_tuned_model_id(self._tuned_model_id(context))
            examples = load_training_examples(
                self.training_data, file_format=self.training_data_format
            )
            request = build_tuned_model(
                examples=examples,
                base_model=self.base_model,
                source_model=self.source_model,
                display_name=self.display_name,
                description=self.description,
                temperature=self.temperature,
                top_p=self.top_p,
                top_k=self.top_k,
                hyperparameters=self.hyperparameters,
            )
            validate_new_tuned_model(
                request, tuned_model_id, spelling=create_spelling(self.hyperparameters)
            )
        self.log.info("Tuning request is valid: %d training examples.", len(examples))
        return tuned_model_id, with_fingerprint(request)

    def _tuned_model_id(self, context: Context) -> str:
        if self.tuned_model_id:
            return str(self.tuned_model_id)
        return deterministic_tuned_model_id_of(self, context)

    def _create_or_adopt(self, tuned_model_id: str, request: TunedModel) -> _Started:
        from airflow_provider_tunedmodels._compat import AirflowFailException
        from airflow_provider_tunedmodels.core.errors import AlreadyExistsError, NotFoundError
        from airflow_provider_tunedmodels.hooks.gemini_jobs import status_from_operation

        try:
            existing = self.hook.get_tuned_model(tuned_model_id)
        except NotFoundError:
            existing = None
        if existing is not None:
            if self.if_exists == "reuse":
                return self._adopt(existing, request)
            if self.if_exists == "fail":
                raise AirflowFailException(
                    f"{existing.name} exists already ({existing.state}) and if_exists='fail'. "
                    "Choose another tuned_model_id, delete the model, or use if_exists='reuse'."
                )
            self._replace(existing)
        try:
            operation = self.hook.create_tuned_model(request, tuned_model_id=tuned_model_id)
        except AlreadyExistsError:
            if self.if_exists != "reuse":
                raise
            return self._adopt(self.hook.get_tuned_model(tuned_model_id), request)
        self.log.info("Created tunedModels/%s; operation %s.", tuned_model_id, operation.name)
        return _Started(status_from_operation(operation, f"tunedModels/{tuned_model_id}"), False)

    def _adopt(self, model: TunedModel, request: TunedModel) -> _Started:
        from airflow_provider_tunedmodels._compat import AirflowFailException
        from airflow_provider_tunedmodels.hooks.gemini_jobs import status_from_model
        from airflow_provider_tunedmodels.operators._reuse import request_differences

        if model.is_failed:
            raise AirflowFailException(
                f"{model.name} exists and its tuning FAILED; it is not reused. Delete it, or "
                "set if_exists='replace' to tune it again under the same id."
            )
        differences = request_differences(model, request)
        if differences:
            raise AirflowFailException(
                f"{model.name} exists but was not tuned from this task's request, so it is not "
                f"reused: {'; '.join(differences)}. Set if_exists='replace' to tune it again "
                "under the same id, or give another tuned_model_id."
            )
        name = model.name or "?"
        operation = self.hook.latest_operation(name)
        status = status_from_model(model, operation_name=operation.name if operation else None)
        self.log.info("Reusing %s, which is %s (if_exists='reuse').", name, status.state)
        return _Started(status, True)

    def _replace(self, model: TunedModel) -> None:
        self.log.info(
            "Deleting %s (%s) to replace it (if_exists='replace').", model.name, model.state
        )
        self.hook.delete_tuned_model(model.name or "?", ignore_missing=True)

    def _push_names(self, context: Context, status: JobStatus) -> None:
        ti = context["ti"]
        operation = status.job_name if "/operations/" in status.job_name else None
        ti.xcom_push(key=TUNED_MODEL_NAME_XCOM_KEY, value=status.result_name)
        ti.xcom_push(key=OPERATION_NAME_XCOM_KEY, value=operation)
        url = self.hook.job_url(status.job_name)
        ti.xcom_push(key=TUNED_MODEL_URL_XCOM_KEY, value=url)
        setattr(self, PUSHED_URL_ATTRIBUTE, url)

    def _finish(self, context: Context, name: str, *, reused: bool) -> dict[str, Any]:
        """Read the ACTIVE model, record the asset event, and return the model."""
        from airflow_provider_tunedmodels.assets import asset_event_extra, attach_asset_events

        model = self.hook.get_tuned_model(name)
        extra = asset_event_extra(model, reused=reused)
        attach_asset_events(self.outlets, context["outlet_events"], extra)
        self.log.info("%s is %s.", model.name, extra["state"])
        return model.to_wire()
