"""Every example DAG imports cleanly and has the shape its documentation describes."""

from __future__ import annotations

import itertools
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

EXAMPLE_DAGS = Path(__file__).resolve().parents[2] / "example_dags"
SUPPORT_ROUTER_URI = "gemini-tuned-model://support-router/"


@pytest.fixture(scope="module")
def dagbag() -> Any:
    from airflow_provider_tunedmodels._compat import DagBag

    return DagBag(dag_folder=str(EXAMPLE_DAGS), safe_mode=False)


def test_every_example_dag_imports_without_errors_or_warnings(dagbag: Any) -> None:
    assert dagbag.import_errors == {}
    assert dagbag.captured_warnings == {}
    assert sorted(dagbag.dag_ids) == [
        "tuned_model_housekeeping",
        "tuned_model_pipeline",
        "tuned_model_smoke_test",
        "vertex_preference_tuning",
        "vertex_tuning_pipeline",
        "vertex_tuning_smoke_test",
    ]


def test_pipeline_runs_its_tasks_in_the_documented_order(dagbag: Any) -> None:
    dag = dagbag.dags["tuned_model_pipeline"]
    order = [
        "prepare_dataset",
        "tune",
        "wait_for_tuning",
        "evaluate",
        "promote",
        "share_with_support_team",
        "publish",
    ]
    for upstream, downstream in itertools.pairwise(order):
        assert upstream in dag.get_task(downstream).upstream_task_ids, (upstream, downstream)
    assert dag.get_task("wait_for_tuning").deferrable is True
    assert [asset.uri for asset in dag.get_task("publish").outlets] == [SUPPORT_ROUTER_URI]


def test_smoke_test_is_scheduled_on_the_published_asset(dagbag: Any) -> None:
    dag = dagbag.dags["tuned_model_smoke_test"]
    assert [asset.uri for asset in dag.timetable.asset_condition.objects] == [SUPPORT_ROUTER_URI]


def test_smoke_test_tests_the_model_of_the_newest_event(dagbag: Any) -> None:
    """A run can consume several events, which need not come in time order."""

    class TriggeringEvents:
        def __init__(self, *events: SimpleNamespace) -> None:
            self.events = list(events)

        def __getitem__(self, asset: Any) -> list[SimpleNamespace]:
            assert asset.uri == SUPPORT_ROUTER_URI
            return self.events

    def event(hour: int, model: str) -> SimpleNamespace:
        timestamp = datetime(2025, 3, 1, hour, tzinfo=timezone.utc)
        return SimpleNamespace(timestamp=timestamp, extra={"tuned_model": model})

    promoted_model = dagbag.dags["tuned_model_smoke_test"].get_task("promoted_model")
    events = TriggeringEvents(
        event(9, "tunedModels/a"), event(11, "tunedModels/c"), event(10, "tunedModels/b")
    )
    assert promoted_model.python_callable(triggering_asset_events=events) == "tunedModels/c"


def test_housekeeping_deletes_through_one_mapped_task_per_model(dagbag: Any) -> None:
    dag = dagbag.dags["tuned_model_housekeeping"]
    assert dag.get_task("list_candidates").downstream_task_ids == {"delete"}
    assert dag.params["retention_days"] == 14


VERTEX_CHAMPION_URI = "vertex-tuned-model://support-router-vertex/"


def test_vertex_pipeline_runs_its_tasks_in_the_documented_order(dagbag: Any) -> None:
    dag = dagbag.dags["vertex_tuning_pipeline"]
    order = [
        "prepare_dataset",
        "to_vertex_format",
        "tune",
        "evaluate",
        "champion_challenger",
        "promote",
        "publish",
    ]
    for upstream, downstream in itertools.pairwise(order):
        assert upstream in dag.get_task(downstream).upstream_task_ids, (upstream, downstream)
    tune = dag.get_task("tune")
    assert (tune.deferrable, tune.max_billable_tokens) == (True, 2_000_000)
    assert [asset.uri for asset in dag.get_task("publish").outlets] == [VERTEX_CHAMPION_URI]
    assert [asset.uri for asset in dag.get_task("champion_challenger").inlets] == [
        VERTEX_CHAMPION_URI
    ]


def test_vertex_smoke_test_is_scheduled_on_the_champion_asset(dagbag: Any) -> None:
    dag = dagbag.dags["vertex_tuning_smoke_test"]
    assert [asset.uri for asset in dag.timetable.asset_condition.objects] == [VERTEX_CHAMPION_URI]


def test_preference_tuning_continues_from_the_supervised_checkpoint(dagbag: Any) -> None:
    dag = dagbag.dags["vertex_preference_tuning"]
    preference = dag.get_task("tune_preference")
    assert "tune_supervised" in preference.upstream_task_ids
    assert preference.method == "preference"
    assert "tune_supervised" in str(preference.pre_tuned_model)
