"""Operators that change an existing Gemini tuned model: update, delete, transfer ownership.

Their 0.1.0 class paths under :mod:`airflow_provider_tunedmodels.operators.tuned_model`
still import them. Importing this module is cheap: the hook is imported only when a
task runs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_tunedmodels.operators._base import GeminiBaseOperator

if TYPE_CHECKING:
    from airflow.sdk import Context

__all__ = [
    "DeleteTunedModelOperator",
    "TransferTunedModelOwnershipOperator",
    "UpdateTunedModelOperator",
]


class UpdateTunedModelOperator(GeminiBaseOperator):
    """Change a tuned model's mutable fields; returns the updated model (JSON-safe dict).

    Updatable: ``display_name``, ``description``, ``temperature``, ``top_p``,
    ``top_k``, ``reader_project_numbers``. The update mask is derived from the
    keys of ``fields`` unless ``update_mask`` is given; a key set to ``None``
    clears that field. The change is checked locally first, and repeating it
    gives the same result, so retries are safe.

    :param tuned_model_name: ``tunedModels/{id}`` or the id. Templated.
    :param fields: the new values, snake_case or camelCase keys. Templated.
    :param update_mask: only these paths are applied, e.g. ``"description,temperature"``
        or a list. Templated.
    :param gemini_conn_id: Airflow connection of type ``gemini_tuned_models``.

    Example::

        UpdateTunedModelOperator(
            task_id="describe",
            tuned_model_name="{{ ti.xcom_pull(task_ids='tune', key='tuned_model_name') }}",
            fields={"description": "trained on tickets up to {{ ds }}", "temperature": 0.2},
        )
    """

    template_fields: Sequence[str] = ("tuned_model_name", "fields", "update_mask")
    ui_color = "#e3ecfb"

    def __init__(
        self,
        *,
        tuned_model_name: str,
        fields: Mapping[str, Any],
        update_mask: Sequence[str] | str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.tuned_model_name = tuned_model_name
        self.fields = fields
        self.update_mask = update_mask
        from airflow_provider_tunedmodels.operators._arguments import (
            raise_argument_problems,
            update_argument_problems,
        )

        raise_argument_problems(
            update_argument_problems(tuned_model_name, fields, update_mask), self
        )

    def execute(self, context: Context) -> dict[str, Any]:
        """Apply the update and return the model."""
        from airflow_provider_tunedmodels.operators._arguments import (
            bad_input_fails_the_task,
            raise_argument_problems,
            update_argument_problems,
        )

        with bad_input_fails_the_task():
            raise_argument_problems(
                update_argument_problems(self.tuned_model_name, self.fields, self.update_mask),
                self,
            )
            model = self.hook.update_tuned_model(
                self.tuned_model_name, self.fields, update_mask=self.update_mask
            )
        self.log.info("Updated %s.", model.name)
        return model.to_wire()


class DeleteTunedModelOperator(GeminiBaseOperator):
    """Delete a tuned model; returns whether it existed.

    A retry whose earlier try already deleted the model succeeds (the hook
    recognises it); with ``ignore_if_missing`` a model that never existed is fine too.

    :param tuned_model_name: ``tunedModels/{id}`` or the id. Templated.
    :param ignore_if_missing: succeed (returning ``False``) if there is no such model.
    :param gemini_conn_id: Airflow connection of type ``gemini_tuned_models``.

    Example::

        DeleteTunedModelOperator(
            task_id="drop_old_model",
            tuned_model_name="{{ params.old_model }}",
            ignore_if_missing=True,
        )
    """

    template_fields: Sequence[str] = ("tuned_model_name",)
    ui_color = "#fbe3e3"

    def __init__(
        self, *, tuned_model_name: str, ignore_if_missing: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.tuned_model_name = tuned_model_name
        self.ignore_if_missing = ignore_if_missing
        _check_model_name_argument(self)

    def execute(self, context: Context) -> bool:
        """Delete the model."""
        name = _model_name_argument(self)
        existed = self.hook.delete_tuned_model(name, ignore_missing=self.ignore_if_missing)
        self.log.info(
            "%s %s.",
            self.tuned_model_name,
            "deleted" if existed else "did not exist; nothing to do",
        )
        return existed


class TransferTunedModelOwnershipOperator(GeminiBaseOperator):
    """Make another user the owner of a tuned model; the current owner becomes a WRITER.

    The API call itself is not safe to repeat (after it succeeded, the caller is
    no longer the owner). So when it is refused with PERMISSION_DENIED, the
    operator checks whether ``email_address`` already owns the model (an earlier
    try succeeded) and then succeeds instead of failing.

    :param tuned_model_name: ``tunedModels/{id}`` or the id. Templated.
    :param email_address: the new owner's email. Templated.
    :param gemini_conn_id: Airflow connection of type ``gemini_tuned_models``.

    Example::

        TransferTunedModelOwnershipOperator(
            task_id="hand_over",
            tuned_model_name="{{ ti.xcom_pull(task_ids='tune', key='tuned_model_name') }}",
            email_address="ml-platform@example.com",
        )
    """

    template_fields: Sequence[str] = ("tuned_model_name", "email_address")
    ui_color = "#fbf3e3"

    def __init__(self, *, tuned_model_name: str, email_address: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.tuned_model_name = tuned_model_name
        self.email_address = email_address
        _check_model_name_argument(self)

    def execute(self, context: Context) -> None:
        """Transfer ownership (or confirm an earlier try did)."""
        from airflow_provider_tunedmodels.core.errors import PermissionDeniedError

        _model_name_argument(self)
        try:
            self.hook.transfer_ownership(self.tuned_model_name, self.email_address)
        except PermissionDeniedError:
            if not self._already_owner():
                raise
            self.log.info("%s already owns %s.", self.email_address, self.tuned_model_name)
            return
        self.log.info("%s now owns %s.", self.email_address, self.tuned_model_name)

    def _already_owner(self) -> bool:
        from airflow_provider_tunedmodels.core.errors import ApiError
        from airflow_provider_tunedmodels.models.gemini import Role

        wanted = self.email_address.strip().lower()
        try:
            return any(
                permission.role == Role.OWNER and (permission.email_address or "").lower() == wanted
                for permission in self.hook.iter_permissions(self.tuned_model_name)
            )
        except ApiError:
            return False


def _check_model_name_argument(operator: Any) -> None:
    """Refuse a literal ``tuned_model_name`` that is not a tuned model's, when the DAG is parsed."""
    from airflow_provider_tunedmodels.models.gemini.names import TUNED_MODEL
    from airflow_provider_tunedmodels.operators._arguments import (
        literal_name_problems,
        raise_argument_problems,
    )

    problems = literal_name_problems(operator.tuned_model_name, TUNED_MODEL, "tuned_model_name")
    raise_argument_problems(problems, operator)


def _model_name_argument(operator: Any) -> str:
    """The rendered ``tuned_model_name`` as a full name; a wrong one fails the task at once."""
    from airflow_provider_tunedmodels._compat import AirflowFailException
    from airflow_provider_tunedmodels.core.errors import InvalidRequestError
    from airflow_provider_tunedmodels.models.gemini.names import TUNED_MODEL
    from airflow_provider_tunedmodels.operators._arguments import name_argument

    try:
        return name_argument(operator.tuned_model_name, TUNED_MODEL, "tuned_model_name")
    except InvalidRequestError as error:
        raise AirflowFailException(str(error)) from None
