"""The "Tuned model" button on a task: a link to the model the task created or adopted.

The link is read from XCom only. The create operator pushes it right after the
model exists, before waiting, so the button works while the task is deferred
and after it failed, and rendering it never reads a connection or calls the API.

Airflow also asks for the link when a task ends, in the task's own process.
There the operator knows whether it pushed one (:data:`PUSHED_URL_ATTRIBUTE`),
so a task that failed before any model existed is not sent looking for an XCom
that cannot be there (which Airflow logs as an error).

Where it points: ``{base URL}/{api version}/tunedModels/{id}``, the model's REST
resource on the server of the task's connection. For Google's API that is
``https://generativelanguage.googleapis.com/v1beta/tunedModels/{id}``: the
canonical, permanent address of the model (opening it needs the API key or an
OAuth token, like every Gemini API resource). Google AI Studio no longer has a
page per tuned model (its former ``/app/tuned_models`` pages are gone), so no
console URL would last. For any other base URL, such as the bundled emulator or
a proxy, the same rule gives ``{base_url}/v1beta/tunedModels/{id}``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from airflow.sdk import BaseOperatorLink

if TYPE_CHECKING:
    from airflow.sdk import BaseOperator
    from airflow.sdk.types import TaskInstanceKey

__all__ = [
    "PUSHED_URL_ATTRIBUTE",
    "TUNED_MODEL_URL_XCOM_KEY",
    "TUNING_JOB_URL_XCOM_KEY",
    "TunedModelLink",
    "TuningJobLink",
    "tuned_model_url",
]

#: XCom key under which the Gemini operators store the link.
TUNED_MODEL_URL_XCOM_KEY: Final = "tuned_model_url"
#: XCom key under which the Vertex AI operators store the job's Cloud console link.
TUNING_JOB_URL_XCOM_KEY: Final = "tuning_job_url"
#: Set on an operator by the process that runs it: the URL it pushed, or ``None`` if none yet.
PUSHED_URL_ATTRIBUTE: Final = "_pushed_tuned_model_url"


def tuned_model_url(base_url: str, api_version: str, tuned_model_name: str) -> str:
    """``{base_url}/{api_version}/tunedModels/{id}``; the URL never carries a credential."""
    return f"{base_url.rstrip('/')}/{api_version}/{tuned_model_name.lstrip('/')}"


class TunedModelLink(BaseOperatorLink):
    """Link to the tuned model, read from the task's ``tuned_model_url`` XCom."""

    name = "Tuned model"

    xcom_key = TUNED_MODEL_URL_XCOM_KEY

    def get_link(self, operator: BaseOperator, *, ti_key: TaskInstanceKey) -> str:
        """The pushed URL, or ``""`` while the task has not created a job yet."""
        from airflow.sdk.execution_time.xcom import XCom

        if PUSHED_URL_ATTRIBUTE in vars(operator):
            return str(vars(operator)[PUSHED_URL_ATTRIBUTE] or "")

        value = XCom.get_value(ti_key=ti_key, key=self.xcom_key)
        return value if isinstance(value, str) else ""


class TuningJobLink(TunedModelLink):
    """Link to a Vertex AI tuning job in the Cloud console, read from ``tuning_job_url``.

    The console page (``console.cloud.google.com/vertex-ai/generative/language/
    locations/{location}/tuning/tuningJob/{id}?project={project}``) shows the job's
    progress, metrics and data statistics; for an emulator or private base URL the
    link points at the job's REST resource instead.
    """

    name = "Tuning job"
    xcom_key = TUNING_JOB_URL_XCOM_KEY
