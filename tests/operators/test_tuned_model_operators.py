"""Create, update, delete and transfer-ownership operators; the extra link and the asset.

Stateful behaviour (reuse / replace / fail, retries, failed tuning, deferral and
resume) runs against the bundled emulator; request building and local
validation run against respx routes, which also prove no request was sent.
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import respx

from airflow_provider_tunedmodels._compat import AirflowFailException, TaskDeferred
from airflow_provider_tunedmodels.assets import (
    asset_event_extra,
    normalize_uri,
    tuned_model_asset,
)
from airflow_provider_tunedmodels.core.errors import (
    NotFoundError,
    OperationTimeoutError,
    PermissionDeniedError,
)
from airflow_provider_tunedmodels.emulator.testing import RunningEmulator, run_emulator
from airflow_provider_tunedmodels.hooks.gemini import GeminiTunedModelsHook
from airflow_provider_tunedmodels.links import TunedModelLink
from airflow_provider_tunedmodels.models.gemini import TunedModel
from airflow_provider_tunedmodels.operators.tuned_model import (
    CreateTunedModelOperator,
    DeleteTunedModelOperator,
    TransferTunedModelOwnershipOperator,
    UpdateTunedModelOperator,
    deterministic_tuned_model_id,
)
from airflow_provider_tunedmodels.triggers import TuningJobTrigger
from airflow_provider_tunedmodels.tuning_policy import (
    InvalidTriggerEventError,
    TuningWaitError,
    make_event,
)
from tests.support.emulator import BASE_MODEL, emulator_hook
from tests.support.tuning_fakes import (
    BASE_URL,
    LOGICAL_DATE,
    MODEL,
    OPERATION,
    error,
    examples,
    fake_api_hook,
    finished_operation,
    make_context,
    model_json,
    model_names,
    running_operation,
)

TUNED_ID = "router-1"


# --- fixtures --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tuning_emulator_session() -> Iterator[RunningEmulator]:
    with run_emulator(step_seconds=0.002, seed=11) as running:
        yield running


@pytest.fixture
def emulator(tuning_emulator_session: RunningEmulator) -> Iterator[RunningEmulator]:
    tuning_emulator_session.reset()
    yield tuning_emulator_session
    tuning_emulator_session.reset()


@pytest.fixture
def hook(emulator: RunningEmulator) -> Iterator[GeminiTunedModelsHook]:
    hook = emulator_hook(emulator)
    yield hook
    hook.close()


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE_URL, assert_all_called=False) as router:
        yield router


def create_operator(hook: GeminiTunedModelsHook, **overrides: Any) -> CreateTunedModelOperator:
    """A create operator on ``hook`` that polls fast."""
    kwargs: dict[str, Any] = {
        "task_id": "tune",
        "base_model": BASE_MODEL,
        "training_data": examples(),
        "poll_interval": 0.01,
        "timeout": 60,
        "deferrable": False,
    }
    kwargs.update(overrides)
    operator = CreateTunedModelOperator(**kwargs)
    operator.__dict__["hook"] = hook
    return operator


def with_hook(operator: Any, hook: GeminiTunedModelsHook) -> Any:
    operator.__dict__["hook"] = hook
    return operator


def tuned(hook: GeminiTunedModelsHook, tuned_model_id: str) -> TunedModel:
    """Create a model directly and wait until it is ACTIVE."""
    operator = create_operator(hook, tuned_model_id=tuned_model_id)
    operator.execute(make_context())
    return hook.get_tuned_model(tuned_model_id)


def start_without_waiting(hook: GeminiTunedModelsHook, tuned_model_id: str) -> str:
    operation = hook.create_tuned_model(
        {
            "baseModel": BASE_MODEL,
            "tuningTask": {
                "hyperparameters": {"epochCount": 20},
                "trainingData": {"examples": {"examples": [{"output": "x"}] * 50}},
            },
        },
        tuned_model_id=tuned_model_id,
    )
    return str(operation.name)


def event(status: str, **fields: Any) -> dict[str, Any]:
    fields.setdefault("job_name", f"tunedModels/{TUNED_ID}")
    return dict(make_event(status, f"scripted {status}", **fields))  # type: ignore[arg-type]


def run_trigger(trigger: TuningJobTrigger) -> list[dict[str, Any]]:
    async def collect() -> list[dict[str, Any]]:
        return [fired.payload async for fired in trigger.run()]

    return asyncio.run(collect())


def connect_by_env(monkeypatch: pytest.MonkeyPatch, emulator: RunningEmulator) -> str:
    """Point the Airflow connection ``tuning_emulator`` at the emulator; return its id."""
    value = {
        "conn_type": "gemini_tuned_models",
        "host": emulator.base_url,
        "password": emulator.api_key,
    }
    monkeypatch.setenv("AIRFLOW_CONN_TUNING_EMULATOR", json.dumps(value))
    return "tuning_emulator"


# --- create: the happy paths -----------------------------------------------------------------


def test_creates_waits_and_returns_the_active_model(
    hook: GeminiTunedModelsHook, emulator: RunningEmulator
) -> None:
    family = tuned_model_asset("router")
    operator = create_operator(hook, tuned_model_id=TUNED_ID, outlets=[family])
    context = make_context()
    result = operator.execute(context)
    assert (result["name"], result["state"]) == (f"tunedModels/{TUNED_ID}", "ACTIVE")
    json.dumps(result)
    xcoms = context["ti"].xcoms
    assert xcoms["tuned_model_name"] == f"tunedModels/{TUNED_ID}"
    assert xcoms["operation_name"].startswith(f"tunedModels/{TUNED_ID}/operations/")
    assert xcoms["tuned_model_url"] == f"{emulator.base_url}/v1beta/tunedModels/{TUNED_ID}"
    extra = context["outlet_events"][family].extra
    assert extra == {
        "tuned_model": f"tunedModels/{TUNED_ID}",
        "tuned_model_id": TUNED_ID,
        "state": "ACTIVE",
        "base_model": BASE_MODEL,
        "display_name": None,
        "reused": False,
    }


def test_without_waiting_returns_the_creating_model(hook: GeminiTunedModelsHook) -> None:
    operator = create_operator(
        hook, tuned_model_id=TUNED_ID, wait_for_completion=False, hyperparameters={"epochCount": 50}
    )
    context = make_context()
    assert operator.execute(context)["state"] == "CREATING"
    assert context["ti"].xcoms["tuned_model_name"] == f"tunedModels/{TUNED_ID}"


def test_the_default_id_is_derived_from_dag_task_and_logical_date(
    hook: GeminiTunedModelsHook,
) -> None:
    operator = create_operator(hook, wait_for_completion=False)
    context = make_context()
    operator.execute(context)
    expected = deterministic_tuned_model_id(operator.dag_id, "tune", LOGICAL_DATE)
    assert context["ti"].xcoms["tuned_model_name"] == f"tunedModels/{expected}"


def test_deferral_pushes_names_first_then_the_trigger_finishes_and_the_task_resumes(
    hook: GeminiTunedModelsHook, emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    conn_id = connect_by_env(monkeypatch, emulator)
    operator = create_operator(
        hook, tuned_model_id=TUNED_ID, deferrable=True, cancel_on_kill=True, gemini_conn_id=conn_id
    )
    context = make_context()
    before = time.time()
    with pytest.raises(TaskDeferred) as deferred:
        operator.execute(context)
    assert [key for key, _ in context["ti"].pushed] == [
        "tuned_model_name",
        "operation_name",
        "tuned_model_url",
    ]
    trigger = deferred.value.trigger
    assert isinstance(trigger, TuningJobTrigger)
    kwargs = trigger.serialize()[1]
    assert kwargs["job_name"] == context["ti"].xcoms["operation_name"]
    assert kwargs["job_name"].startswith(f"tunedModels/{TUNED_ID}/operations/")
    assert (kwargs["conn_id"], kwargs["cancel_on_kill"]) == (conn_id, True)
    assert before + 60 <= kwargs["end_time"] <= time.time() + 60
    assert (deferred.value.method_name, deferred.value.kwargs) == (
        "execute_complete",
        {"reused": False},
    )

    events = run_trigger(TuningJobTrigger(**kwargs))
    assert [fired["status"] for fired in events] == ["success"]
    result = operator.execute_complete(context, events[0], **deferred.value.kwargs)
    assert result["state"] == "ACTIVE"


def test_a_model_already_active_is_returned_without_deferring(
    hook: GeminiTunedModelsHook,
) -> None:
    tuned(hook, TUNED_ID)
    operator = create_operator(hook, tuned_model_id=TUNED_ID, deferrable=True, model_family="f")
    context = make_context()
    assert operator.execute(context)["state"] == "ACTIVE"
    assert context["outlet_events"][tuned_model_asset("f")].extra["reused"] is True


def test_a_create_that_finished_at_once_is_returned_without_deferring(
    api: respx.MockRouter,
) -> None:
    api.get(f"/v1beta/{MODEL}").mock(
        side_effect=[error(404, "NOT_FOUND")] + [httpx.Response(200, json=model_json("ACTIVE"))] * 2
    )
    api.post("/v1beta/tunedModels").mock(
        return_value=httpx.Response(200, json=finished_operation())
    )
    operator = create_operator(fake_api_hook(), tuned_model_id=TUNED_ID, deferrable=True)
    assert operator.execute(make_context())["state"] == "ACTIVE"


# --- create: resuming with every event status ------------------------------------------------


def test_resuming_with_success_returns_the_model_and_records_the_asset_event(
    hook: GeminiTunedModelsHook,
) -> None:
    tuned(hook, TUNED_ID)
    operator = create_operator(hook, model_family="router")
    context = make_context()
    result = operator.execute_complete(context, event("success"), reused=True)
    assert result["state"] == "ACTIVE"
    assert context["outlet_events"][tuned_model_asset("router")].extra["reused"] is True


@pytest.mark.parametrize(
    ("status", "raised", "match"),
    [
        ("failed", AirflowFailException, "scripted failed"),
        ("timeout", OperationTimeoutError, "still running"),
        ("error", TuningWaitError, "scripted error"),
    ],
)
def test_resuming_with_a_bad_outcome_raises(
    status: str, raised: type[Exception], match: str
) -> None:
    operator = create_operator(fake_api_hook())
    with pytest.raises(raised, match=match):
        operator.execute_complete(make_context(), event(status, job_name=OPERATION))


@pytest.mark.parametrize("bad_event", [None, {}, {"status": "ok"}, ["success"]])
def test_resuming_with_an_invalid_event_fails_loudly(bad_event: Any) -> None:
    with pytest.raises(InvalidTriggerEventError):
        create_operator(fake_api_hook()).execute_complete(make_context(), bad_event)


# --- create: an id that exists, retries ------------------------------------------------------


def test_reuse_adopts_an_active_model_without_creating_another(
    hook: GeminiTunedModelsHook,
) -> None:
    first = tuned(hook, TUNED_ID)
    result = create_operator(hook, tuned_model_id=TUNED_ID).execute(make_context())
    assert result["createTime"] == first.to_wire()["createTime"]
    assert model_names(hook) == [f"tunedModels/{TUNED_ID}"]


def test_reuse_adopts_a_creating_model_and_waits_for_it(hook: GeminiTunedModelsHook) -> None:
    operation = start_without_waiting(hook, TUNED_ID)
    context = make_context()
    result = create_operator(hook, tuned_model_id=TUNED_ID, timeout=120).execute(context)
    assert result["state"] == "ACTIVE"
    assert context["ti"].xcoms["operation_name"] == operation
    assert model_names(hook) == [f"tunedModels/{TUNED_ID}"]


def test_reuse_refuses_a_model_tuned_from_other_training_data(
    hook: GeminiTunedModelsHook,
) -> None:
    tuned(hook, TUNED_ID)
    changed = [*examples()[:-1], {"input": "a new question", "output": "a new answer"}]
    operator = create_operator(hook, tuned_model_id=TUNED_ID, training_data=changed)
    with pytest.raises(AirflowFailException) as failure:
        operator.execute(make_context())
    message = str(failure.value)
    assert "training data or settings differ" in message
    assert "if_exists='replace'" in message
    assert model_names(hook) == [f"tunedModels/{TUNED_ID}"]


def test_reuse_refuses_a_model_tuned_with_other_hyperparameters(
    hook: GeminiTunedModelsHook,
) -> None:
    tuned(hook, TUNED_ID)
    hook.update_tuned_model(TUNED_ID, {"description": "promoted"})  # the fingerprint is gone
    operator = create_operator(hook, tuned_model_id=TUNED_ID, hyperparameters={"epoch_count": 7})
    with pytest.raises(AirflowFailException, match="hyperparameters epochCount"):
        operator.execute(make_context())


def test_reuse_still_adopts_the_same_request_after_its_description_changed(
    hook: GeminiTunedModelsHook,
) -> None:
    first = tuned(hook, TUNED_ID)
    assert "tuning request sha256:" in (first.description or "")
    hook.update_tuned_model(TUNED_ID, {"description": "promoted"})
    result = create_operator(hook, tuned_model_id=TUNED_ID).execute(make_context())
    assert result["createTime"] == first.to_wire()["createTime"]


def test_reuse_refuses_a_failed_model(
    hook: GeminiTunedModelsHook, emulator: RunningEmulator
) -> None:
    emulator.set_faults(rate_tuning_failure=1.0)
    with pytest.raises(AirflowFailException):
        tuned(hook, TUNED_ID)
    emulator.reset_faults()
    with pytest.raises(AirflowFailException, match="if_exists='replace'"):
        create_operator(hook, tuned_model_id=TUNED_ID).execute(make_context())


def test_replace_deletes_the_existing_model_and_tunes_again(
    hook: GeminiTunedModelsHook, emulator: RunningEmulator
) -> None:
    emulator.set_faults(rate_tuning_failure=1.0)
    with pytest.raises(AirflowFailException):
        tuned(hook, TUNED_ID)
    failed_operation = str(hook.list_operations(TUNED_ID).page_items()[0].name)
    emulator.reset_faults()
    context = make_context()
    result = create_operator(hook, tuned_model_id=TUNED_ID, if_exists="replace").execute(context)
    assert result["state"] == "ACTIVE"
    assert context["ti"].xcoms["operation_name"] != failed_operation
    assert model_names(hook) == [f"tunedModels/{TUNED_ID}"]


def test_fail_refuses_an_existing_id(hook: GeminiTunedModelsHook) -> None:
    tuned(hook, TUNED_ID)
    with pytest.raises(AirflowFailException, match="exists already"):
        create_operator(hook, tuned_model_id=TUNED_ID, if_exists="fail").execute(make_context())


def test_a_retry_after_deferring_adopts_the_model_instead_of_creating_another(
    hook: GeminiTunedModelsHook,
) -> None:
    context = make_context()
    with pytest.raises(TaskDeferred):
        create_operator(hook, deferrable=True).execute(context)
    retry_context = make_context()
    result = create_operator(hook).execute(retry_context)
    assert result["state"] == "ACTIVE"
    assert retry_context["ti"].xcoms["tuned_model_name"] == context["ti"].xcoms["tuned_model_name"]
    assert len(model_names(hook)) == 1


def test_a_retry_after_a_timeout_adopts_the_running_model(hook: GeminiTunedModelsHook) -> None:
    start_without_waiting(hook, TUNED_ID)
    with pytest.raises(OperationTimeoutError):
        create_operator(hook, tuned_model_id=TUNED_ID, timeout=0.001).execute(make_context())
    result = create_operator(hook, tuned_model_id=TUNED_ID, timeout=120).execute(make_context())
    assert result["state"] == "ACTIVE"
    assert model_names(hook) == [f"tunedModels/{TUNED_ID}"]


def test_transient_errors_on_create_do_not_duplicate_the_model(
    hook: GeminiTunedModelsHook, emulator: RunningEmulator
) -> None:
    emulator.set_faults({"kind": "503", "route": "tunedModels.create", "count": 2})
    assert create_operator(hook).execute(make_context())["state"] == "ACTIVE"
    assert len(model_names(hook)) == 1


def test_other_runs_and_map_indexes_get_their_own_models(hook: GeminiTunedModelsHook) -> None:
    create_operator(hook, wait_for_completion=False).execute(make_context())
    create_operator(hook, wait_for_completion=False).execute(
        make_context(logical_date=LOGICAL_DATE.replace(day=2))
    )
    mapped = make_context()
    mapped["ti"].map_index = 3
    create_operator(hook, wait_for_completion=False).execute(mapped)
    create_operator(hook, wait_for_completion=False).execute(
        make_context(logical_date=None, run_id="manual__7")
    )
    assert len(model_names(hook)) == 4


# --- create: failed tuning, cancel on kill ---------------------------------------------------


def test_failed_tuning_fails_the_task_with_the_server_error(
    hook: GeminiTunedModelsHook, emulator: RunningEmulator
) -> None:
    emulator.set_faults(rate_tuning_failure=1.0)
    with pytest.raises(AirflowFailException, match="INTERNAL: Tuning failed"):
        create_operator(hook, tuned_model_id=TUNED_ID).execute(make_context())


def test_failed_tuning_in_the_triggerer_fails_the_resumed_task(
    hook: GeminiTunedModelsHook, emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator.set_faults(rate_tuning_failure=1.0)
    conn_id = connect_by_env(monkeypatch, emulator)
    operator = create_operator(
        hook, tuned_model_id=TUNED_ID, deferrable=True, gemini_conn_id=conn_id
    )
    with pytest.raises(TaskDeferred) as deferred:
        operator.execute(make_context())
    [fired] = run_trigger(deferred.value.trigger)
    assert fired["status"] == "failed"
    assert fired["error"]["status"] == "INTERNAL"
    with pytest.raises(AirflowFailException, match="Tuning failed"):
        operator.execute_complete(make_context(), fired)


@pytest.mark.parametrize(("cancel_on_kill", "state"), [(True, "FAILED"), (False, "CREATING")])
def test_on_kill_cancels_the_job_waited_for_on_the_worker_only_if_asked(
    hook: GeminiTunedModelsHook, cancel_on_kill: bool, state: str
) -> None:
    operation = start_without_waiting(hook, TUNED_ID)
    operator = create_operator(hook, cancel_on_kill=cancel_on_kill)
    operator._waiting_for = hook.read_job_status(operation)
    operator.on_kill()
    assert hook.get_tuned_model(TUNED_ID).state == state


# --- create: local validation before any request ---------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        ({"training_data": [{"input": "q"}, {"input": "q", "output": "a"}]}, "item 1: output"),
        ({"training_data": [{"input": "q", "output": "a" * 5001}]}, "5,000"),
        ({"training_data": [{"input": "q", "output": " "}]}, "item 1: output is blank"),
        ({"training_data": []}, "at least one"),
        ({"training_data": {"train_path": "x"}}, "train_path"),
        ({"training_data": "data.txt"}, "suffix"),
    ],
)
def test_invalid_training_data_fails_before_any_request(
    api: respx.MockRouter, overrides: dict[str, Any], match: str
) -> None:
    operator = create_operator(fake_api_hook(), **{"tuned_model_id": TUNED_ID, **overrides})
    with pytest.raises(AirflowFailException, match=match):
        operator.execute(make_context())
    assert api.calls.call_count == 0


#: Literal arguments the API would refuse, and the message naming each by its parameter.
BAD_CREATE_ARGUMENTS = [
    ({"tuned_model_id": "Bad_Id"}, "tuned_model_id: 'Bad_Id' must be 1-40 characters"),
    ({"tuned_model_id": "x" * 41}, "tuned_model_id: 'xxxx"),
    ({"source_model": "tunedModels/other"}, "base_model / source_model: give exactly one"),
    ({"base_model": None}, "base_model / source_model: give exactly one"),
    ({"base_model": "tunedModels/m1"}, "base_model: 'tunedModels/m1' is the name of a tuned model"),
    (
        {"base_model": None, "source_model": "tunedModels/m1/permissions/p1"},
        "source_model: 'tunedModels/m1/permissions/p1' is the name of a permission",
    ),
    ({"hyperparameters": {"epochs": 3}}, r"hyperparameters\['epochs'\]: unknown"),
    ({"hyperparameters": {"epoch_count": "many"}}, r"hyperparameters\['epoch_count'\]: 'many'"),
    ({"hyperparameters": {"epoch_count": 2**31}}, r"hyperparameters\['epoch_count'\]: 2147483648"),
    (
        {"hyperparameters": {"learning_rate": float("nan")}},
        "learning_rate'\\]: nan is not a finite",
    ),
    ({"hyperparameters": {"learning_rate": 0.1, "learning_rate_multiplier": 1}}, "exclusive"),
    ({"temperature": 2.0}, r"temperature: 2.0 must be in \[0, 1\]"),
    ({"top_p": float("inf")}, "top_p: inf is not a finite number"),
    ({"top_k": -1}, "top_k: -1 must be"),
    ({"display_name": "x" * 41}, "display_name: 41 characters"),
]


@pytest.mark.parametrize(("overrides", "match"), BAD_CREATE_ARGUMENTS)
def test_literal_arguments_are_checked_when_the_dag_is_parsed(
    overrides: dict[str, Any], match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        create_operator(fake_api_hook(), **{"tuned_model_id": TUNED_ID, **overrides})


def test_every_bad_argument_is_listed_at_once() -> None:
    with pytest.raises(ValueError) as caught:
        CreateTunedModelOperator(
            task_id="t",
            training_data=[],
            base_model="tunedModels/x",
            display_name="x" * 41,
            temperature=-1,
            if_exists="overwrite",
        )
    problems = caught.value.problems  # type: ignore[attr-defined]
    assert [p.split(":")[0] for p in problems] == [
        "base_model",
        "display_name",
        "temperature",
        "if_exists",
    ]


def test_rendered_arguments_are_checked_in_the_operators_terms(api: respx.MockRouter) -> None:
    operator = create_operator(
        fake_api_hook(),
        tuned_model_id="{{ params.id }}",
        display_name="{{ params.name }}",
        hyperparameters={"epoch_count": "{{ params.epochs }}"},
    )
    operator.tuned_model_id, operator.display_name = TUNED_ID, "x" * 41
    operator.hyperparameters = {"epoch_count": 0}
    with pytest.raises(AirflowFailException) as caught:
        operator.execute(make_context())
    message = str(caught.value)
    assert "display_name: 41 characters" in message
    assert "hyperparameters['epoch_count']: 0 must be at least 1" in message
    assert "displayName" not in message
    assert api.calls.call_count == 0


def test_a_failed_check_is_not_chained_so_the_log_shows_it_once(api: respx.MockRouter) -> None:
    operator = create_operator(fake_api_hook(), tuned_model_id=TUNED_ID, training_data=[])
    with pytest.raises(AirflowFailException) as caught:
        operator.execute(make_context())
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"if_exists": "overwrite"}, "if_exists"),
        ({"poll_interval": 0}, "poll_interval"),
        ({"timeout": -1}, "timeout"),
    ],
)
def test_invalid_arguments_fail_when_the_dag_is_parsed(
    overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        CreateTunedModelOperator(task_id="t", base_model="m", training_data=[], **overrides)


# --- create: training data sources and the request sent --------------------------------------


def sent_request(api: respx.MockRouter, operator: CreateTunedModelOperator) -> dict[str, Any]:
    """Run ``operator`` without waiting against respx; return the create body and query."""
    api.get(f"/v1beta/{MODEL}").mock(
        side_effect=[error(404, "NOT_FOUND"), httpx.Response(200, json=model_json("CREATING"))]
    )
    create = api.post("/v1beta/tunedModels").mock(
        return_value=httpx.Response(200, json=running_operation(0))
    )
    operator.wait_for_completion = False
    operator.execute(make_context())
    request = create.calls.last.request
    return {"body": json.loads(request.content), "query": dict(request.url.params)}


def write_jsonl(path: Path, count: int) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in examples(count)), encoding="utf-8")
    return path


def write_csv(path: Path, count: int) -> Path:
    rows = ["text_input,output", *(f"question {n},answer {n}" for n in range(count))]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "source",
    [
        pytest.param(lambda tmp: examples(3), id="inline-records"),
        pytest.param(lambda tmp: [(f"question {n}", f"answer {n}") for n in range(3)], id="pairs"),
        pytest.param(lambda tmp: str(write_jsonl(tmp / "train.jsonl", 3)), id="jsonl-path"),
        pytest.param(lambda tmp: write_csv(tmp / "train.csv", 3), id="csv-pathlike"),
        pytest.param(lambda tmp: write_jsonl(tmp / "t.jsonl", 3).as_uri(), id="file-uri"),
    ],
)
def test_training_data_from_records_files_and_uris(
    api: respx.MockRouter, tmp_path: Path, source: Any
) -> None:
    operator = create_operator(
        fake_api_hook(), tuned_model_id=TUNED_ID, training_data=source(tmp_path)
    )
    sent = sent_request(api, operator)
    assert sent["body"]["tuningTask"]["trainingData"]["examples"]["examples"] == [
        {"textInput": f"question {n}", "output": f"answer {n}"} for n in range(3)
    ]


def test_an_object_storage_path_is_read(api: respx.MockRouter, tmp_path: Path) -> None:
    from airflow.sdk import ObjectStoragePath

    location = ObjectStoragePath(write_jsonl(tmp_path / "train.jsonl", 2).as_uri())
    operator = create_operator(fake_api_hook(), tuned_model_id=TUNED_ID, training_data=location)
    examples_sent = sent_request(api, operator)["body"]["tuningTask"]["trainingData"]
    assert len(examples_sent["examples"]["examples"]) == 2


def test_every_model_field_reaches_the_request(api: respx.MockRouter) -> None:
    operator = create_operator(
        fake_api_hook(),
        tuned_model_id=f"tunedModels/{TUNED_ID}",
        base_model=None,
        source_model="earlier-router",
        display_name="router",
        description="routes tickets",
        temperature=0.3,
        top_p=0.9,
        top_k=20,
        hyperparameters={"epoch_count": 3, "batchSize": 8, "learning_rate_multiplier": 0.5},
    )
    sent = sent_request(api, operator)
    assert sent["query"] == {"tunedModelId": TUNED_ID}
    body = sent["body"]
    assert body["tunedModelSource"] == {"tunedModel": "tunedModels/earlier-router"}
    assert "baseModel" not in body
    assert body["displayName"] == "router"
    # The description ends with the request's fingerprint (what reuse compares).
    assert re.fullmatch(
        r"routes tickets\n\ntuning request sha256:[0-9a-f]{16}", body["description"]
    )
    assert (body["temperature"], body["topP"], body["topK"]) == (0.3, 0.9, 20)
    assert body["tuningTask"]["hyperparameters"] == {
        "epochCount": 3,
        "batchSize": 8,
        "learningRateMultiplier": 0.5,
    }


def test_a_bare_base_model_name_gets_its_collection(api: respx.MockRouter) -> None:
    operator = create_operator(fake_api_hook(), tuned_model_id=TUNED_ID, base_model="gemini-x")
    assert sent_request(api, operator)["body"]["baseModel"] == "models/gemini-x"


def test_template_fields() -> None:
    assert set(CreateTunedModelOperator.template_fields) == {
        "training_data",
        "base_model",
        "source_model",
        "tuned_model_id",
        "display_name",
        "description",
        "hyperparameters",
    }
    assert set(UpdateTunedModelOperator.template_fields) == {
        "tuned_model_name",
        "fields",
        "update_mask",
    }
    assert DeleteTunedModelOperator.template_fields == ("tuned_model_name",)
    assert set(TransferTunedModelOwnershipOperator.template_fields) == {
        "tuned_model_name",
        "email_address",
    }


# --- update, delete, transfer ownership ------------------------------------------------------


def test_update_derives_the_mask_from_the_fields(hook: GeminiTunedModelsHook) -> None:
    tuned(hook, TUNED_ID)
    operator = with_hook(
        UpdateTunedModelOperator(
            task_id="u", tuned_model_name=TUNED_ID, fields={"description": "d", "top_k": 7}
        ),
        hook,
    )
    result = operator.execute(make_context())
    assert (result["description"], result["topK"]) == ("d", 7)


def test_update_applies_only_an_explicit_mask(hook: GeminiTunedModelsHook) -> None:
    tuned(hook, TUNED_ID)
    operator = with_hook(
        UpdateTunedModelOperator(
            task_id="u",
            tuned_model_name=TUNED_ID,
            fields={"description": "d", "displayName": "ignored"},
            update_mask="description",
        ),
        hook,
    )
    result = operator.execute(make_context())
    assert result["description"] == "d"
    assert result.get("displayName") != "ignored"


def test_update_of_an_immutable_field_fails_when_the_dag_is_parsed() -> None:
    with pytest.raises(ValueError, match=r"fields\['baseModel'\]: is immutable"):
        UpdateTunedModelOperator(task_id="u", tuned_model_name=TUNED_ID, fields={"baseModel": "m"})
    with pytest.raises(ValueError, match=r"update_mask: tuningTask.hyperparameters.epochCount: is"):
        UpdateTunedModelOperator(
            task_id="u",
            tuned_model_name=TUNED_ID,
            fields={"description": "d"},
            update_mask="tuningTask.hyperparameters.epochCount",
        )


def test_a_rendered_immutable_update_fails_before_any_request(api: respx.MockRouter) -> None:
    operator = with_hook(
        UpdateTunedModelOperator(task_id="u", tuned_model_name=TUNED_ID, fields="{{ params.f }}"),
        fake_api_hook(),
    )
    operator.fields = {"base_model": "m"}
    with pytest.raises(AirflowFailException, match=r"fields\['base_model'\]: is immutable"):
        operator.execute(make_context())
    assert api.calls.call_count == 0


@pytest.mark.parametrize(
    "make",
    [
        lambda name: DeleteTunedModelOperator(task_id="d", tuned_model_name=name),
        lambda name: UpdateTunedModelOperator(
            task_id="u", tuned_model_name=name, fields={"description": "d"}
        ),
        lambda name: TransferTunedModelOwnershipOperator(
            task_id="t", tuned_model_name=name, email_address="a@example.com"
        ),
    ],
)
def test_a_permission_name_is_no_tuned_model_name(make: Any) -> None:
    with pytest.raises(ValueError, match="tuned_model_name: 'tunedModels/m1/permissions/p1' is"):
        make("tunedModels/m1/permissions/p1")


def test_delete_of_a_rendered_permission_name_revokes_nothing(hook: GeminiTunedModelsHook) -> None:
    tuned(hook, TUNED_ID)
    granted = hook.create_permission(
        TUNED_ID, {"granteeType": "USER", "emailAddress": "ana@example.com", "role": "READER"}
    )
    operator = with_hook(
        DeleteTunedModelOperator(task_id="d", tuned_model_name="{{ params.name }}"), hook
    )
    operator.tuned_model_name = str(granted.name)
    with pytest.raises(AirflowFailException, match="is the name of a permission"):
        operator.execute(make_context())
    assert hook.get_permission(str(granted.name)).role == "READER"


def test_delete_reports_whether_the_model_existed(hook: GeminiTunedModelsHook) -> None:
    tuned(hook, TUNED_ID)
    delete = DeleteTunedModelOperator(
        task_id="d", tuned_model_name=TUNED_ID, ignore_if_missing=True
    )
    assert with_hook(delete, hook).execute(make_context()) is True
    assert with_hook(delete, hook).execute(make_context()) is False
    strict = with_hook(DeleteTunedModelOperator(task_id="d", tuned_model_name=TUNED_ID), hook)
    with pytest.raises(NotFoundError):
        strict.execute(make_context())


def test_transfer_ownership_and_its_retry_succeed(hook: GeminiTunedModelsHook) -> None:
    tuned(hook, TUNED_ID)
    transfer = TransferTunedModelOwnershipOperator(
        task_id="t", tuned_model_name=TUNED_ID, email_address="new-owner@example.com"
    )
    with_hook(transfer, hook).execute(make_context())
    with_hook(transfer, hook).execute(make_context())  # the retry finds it already done
    owners = [p.email_address for p in hook.iter_permissions(TUNED_ID) if p.role == "OWNER"]
    assert owners == ["new-owner@example.com"]


def test_transfer_by_someone_who_is_not_the_owner_fails(hook: GeminiTunedModelsHook) -> None:
    tuned(hook, TUNED_ID)
    hook.transfer_ownership(TUNED_ID, "first@example.com")
    transfer = TransferTunedModelOwnershipOperator(
        task_id="t", tuned_model_name=TUNED_ID, email_address="second@example.com"
    )
    with pytest.raises(PermissionDeniedError):
        with_hook(transfer, hook).execute(make_context())


# --- extra link and asset --------------------------------------------------------------------


def test_the_link_is_the_pushed_url(monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow.sdk.execution_time.xcom import XCom

    asked: list[str] = []

    def get_value(*, ti_key: Any, key: str) -> Any:
        asked.append(key)
        return "https://example.test/v1beta/tunedModels/x" if ti_key == "pushed" else None

    monkeypatch.setattr(XCom, "get_value", get_value)
    link = TunedModelLink()
    operator = create_operator(fake_api_hook())
    assert link.name == "Tuned model"
    assert link.get_link(operator, ti_key="pushed") == "https://example.test/v1beta/tunedModels/x"
    assert link.get_link(operator, ti_key="nothing yet") == ""
    assert asked == ["tuned_model_url", "tuned_model_url"]
    assert any(isinstance(existing, TunedModelLink) for existing in operator.operator_extra_links)


def test_a_task_that_failed_before_any_model_does_not_look_for_its_link(
    monkeypatch: pytest.MonkeyPatch, api: respx.MockRouter
) -> None:
    from airflow.sdk.execution_time.xcom import XCom

    def get_value(*, ti_key: Any, key: str) -> Any:
        raise AssertionError("Airflow logs 'XCom not found' as an error for this read")

    monkeypatch.setattr(XCom, "get_value", get_value)
    operator = create_operator(fake_api_hook(), tuned_model_id=TUNED_ID, training_data=[])
    with pytest.raises(AirflowFailException):
        operator.execute(make_context())
    # Airflow asks every link when the task ends, in the task's process.
    assert TunedModelLink().get_link(operator, ti_key="this try") == ""


def test_the_link_of_a_task_that_created_its_model_is_known_in_its_process(
    hook: GeminiTunedModelsHook,
) -> None:
    operator = create_operator(hook, tuned_model_id=TUNED_ID, wait_for_completion=False)
    context = make_context()
    operator.execute(context)
    pushed = context["ti"].xcoms["tuned_model_url"]
    assert pushed.endswith(f"/v1beta/tunedModels/{TUNED_ID}")
    assert TunedModelLink().get_link(operator, ti_key="this try") == pushed


def test_the_asset_is_declared_only_when_the_task_waits() -> None:
    from airflow.sdk import DAG

    with DAG("support", schedule=None):
        waiting = CreateTunedModelOperator(task_id="tune", base_model="m", training_data=[])
        named = CreateTunedModelOperator(
            task_id="named", base_model="m", training_data=[], model_family="router"
        )
        not_waiting = CreateTunedModelOperator(
            task_id="quick", base_model="m", training_data=[], wait_for_completion=False
        )
    assert waiting.outlets == [tuned_model_asset("support.tune")]
    assert named.outlets == [tuned_model_asset("router")]
    assert not_waiting.outlets == []


def test_the_asset_uri_names_a_family() -> None:
    asset = tuned_model_asset("support-router")
    assert (asset.name, asset.uri) == (
        "gemini-tuned-model://support-router",
        "gemini-tuned-model://support-router/",
    )
    assert normalize_uri(urlsplit(asset.uri)) == urlsplit(asset.uri)
    with pytest.raises(ValueError, match="family"):
        tuned_model_asset("support router")
    for bad in ("gemini-tuned-model:///x", "gemini-tuned-model://f/tunedModels/x"):
        with pytest.raises(ValueError, match="family"):
            normalize_uri(urlsplit(bad))


def test_registering_the_uri_handler_keeps_the_same_uri(monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow.sdk import Asset
    from airflow.sdk.definitions import asset as asset_module

    unregistered = tuned_model_asset("support-router").uri
    monkeypatch.setattr(
        asset_module,
        "_get_uri_normalizer",
        lambda scheme: normalize_uri if scheme == "gemini-tuned-model" else None,
    )
    assert tuned_model_asset("support-router").uri == unregistered
    with pytest.raises(ValueError, match="family"):
        Asset(uri="gemini-tuned-model://support-router/tunedModels/x")


def test_the_asset_event_extra_is_json_safe() -> None:
    extra = asset_event_extra(TunedModel.model_validate(model_json("ACTIVE")), reused=True)
    assert json.loads(json.dumps(extra)) == {
        "tuned_model": MODEL,
        "tuned_model_id": "router-1",
        "state": "ACTIVE",
        "base_model": BASE_MODEL,
        "display_name": "router",
        "reused": True,
    }


# --- importing the module stays cheap --------------------------------------------------------

_IMPORT_PROBE = """
import json, os, sys
import airflow.sdk  # what any DAG file imports anyway
baseline = set(sys.modules)
import airflow_provider_tunedmodels.operators.tuned_model as operators
import airflow_provider_tunedmodels.sensors.tuned_model as sensors
added = sorted(set(sys.modules) - baseline)
print(json.dumps({
    "added": added,
    "operator_deferrable": operators.CreateTunedModelOperator(
        task_id="t", base_model="m", training_data=[]).deferrable,
    "sensor_deferrable": sensors.TunedModelSensor(task_id="s", tuned_model_name="m").deferrable,
}))
"""


@pytest.fixture(scope="module")
def import_probe(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    home = tmp_path_factory.mktemp("airflow-home")
    env = {
        "PATH": "/usr/bin:/bin",
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__OPERATORS__DEFAULT_DEFERRABLE": "true",
    }
    done = subprocess.run(
        [sys.executable, "-c", _IMPORT_PROBE], capture_output=True, text=True, env=env, check=True
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def test_importing_the_operators_loads_no_http_auth_or_hook_module(
    import_probe: dict[str, Any],
) -> None:
    heavy = ("httpx", "google.auth", "pydantic", "airflow_provider_tunedmodels.hooks")
    heavy += ("airflow_provider_tunedmodels.models", "airflow_provider_tunedmodels.core.http")
    loaded = [name for name in import_probe["added"] if name.startswith(heavy)]
    assert loaded == []
    assert "airflow_provider_tunedmodels.operators.tuned_model" in import_probe["added"]


def test_deferrable_defaults_to_the_airflow_setting(import_probe: dict[str, Any]) -> None:
    assert import_probe["operator_deferrable"] is True
    assert import_probe["sensor_deferrable"] is True
