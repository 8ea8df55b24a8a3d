"""A sensor for a Vertex AI tuning job, in poke, reschedule or deferrable mode."""

from __future__ import annotations

from airflow_provider_tunedmodels.operators.vertex_tuning import (
    DEFAULT_VERTEX_CONN_ID,
    VERTEX_HOOK_CLASS_PATH,
)
from airflow_provider_tunedmodels.sensors.tuning_job import TuningJobSensor

__all__ = ["VertexTuningJobSensor"]


class VertexTuningJobSensor(TuningJobSensor):
    """Wait until a Vertex AI tuning job SUCCEEDED with an endpoint.

    FAILED, CANCELLED and EXPIRED fail the task with the job's error (skip with
    ``soft_fail``); a state the provider does not expect (PAUSED, UPDATING, a new
    one) fails it too, never waits forever. Everything else is :class:`TuningJobSensor`'s.

    :param job_name: ``projects/{p}/locations/{l}/tuningJobs/{id}``. Templated.
    :param conn_id: a ``vertex_ai_tuning`` or ``google_cloud_platform`` connection.
    """

    hook_class_path = VERTEX_HOOK_CLASS_PATH
    default_conn_id = DEFAULT_VERTEX_CONN_ID
