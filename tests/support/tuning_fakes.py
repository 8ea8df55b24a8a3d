"""Fakes shared by the trigger, sensor and tuned-model operator tests.

* factories of wire JSON (operations, tuned models, error envelopes) for respx routes;
* a hook bound to respx's fake base URL, without backoff;
* a fake clock for the trigger's wall-clock deadline and sleeps;
* a minimal task context (task instance with XCom, outlet events).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from types import SimpleNamespace
from typing import Any

import httpx

from airflow_provider_tunedmodels.core.settings import ClientSettings
from airflow_provider_tunedmodels.hooks.gemini import GeminiTunedModelsHook
from tests.support.emulator import BASE_MODEL, fast_retry

BASE_URL = "https://gemini.test"
API_KEY = "AIzaSy-tuning-wait-test-key-4242"
MODEL = "tunedModels/router-1"
OPERATION = "tunedModels/router-1/operations/op-1"
METADATA_TYPE = "type.googleapis.com/google.ai.generativelanguage.v1beta.CreateTunedModelMetadata"
MODEL_TYPE = "type.googleapis.com/google.ai.generativelanguage.v1beta.TunedModel"
LOGICAL_DATE = datetime(2025, 1, 1, tzinfo=timezone.utc)

#: The real ``asyncio.sleep``, kept before tests replace it.
_real_sleep = asyncio.sleep


def examples(count: int = 12) -> list[dict[str, str]]:
    """Distinct training records."""
    return [{"text_input": f"question {n}", "output": f"answer {n}"} for n in range(count)]


def error(code: int, status: str, message: str = "scripted failure") -> httpx.Response:
    """Google's error envelope."""
    return httpx.Response(
        code, json={"error": {"code": code, "message": message, "status": status}}
    )


def running_operation(step: int, total: int = 10, *, loss: float | None = 0.5) -> dict[str, Any]:
    """A create operation that is not done, at ``step`` of ``total``."""
    snapshots = [{"step": step, "epoch": 1, "meanLoss": loss}] if loss is not None else []
    return {
        "name": OPERATION,
        "metadata": {
            "@type": METADATA_TYPE,
            "tunedModel": MODEL,
            "totalSteps": total,
            "completedSteps": step,
            "completedPercent": 100.0 * step / total,
            "snapshots": snapshots,
        },
    }


def finished_operation(error_message: str | None = None) -> dict[str, Any]:
    """A done create operation: with an INTERNAL error, or with the ACTIVE model."""
    operation: dict[str, Any] = {"name": OPERATION, "done": True}
    if error_message is not None:
        operation["error"] = {"code": 13, "message": error_message}
    else:
        operation["response"] = {"@type": MODEL_TYPE, **model_json("ACTIVE")}
    return operation


def model_json(state: str, *, steps: int = 3) -> dict[str, Any]:
    """A tuned model in ``state`` with ``steps`` snapshots."""
    snapshots = [{"step": n, "epoch": n // 2, "meanLoss": 1.0 / n} for n in range(1, steps + 1)]
    return {
        "name": MODEL,
        "baseModel": BASE_MODEL,
        "displayName": "router",
        "state": state,
        "tuningTask": {"snapshots": snapshots},
    }


def fake_api_hook(max_attempts: int = 1) -> GeminiTunedModelsHook:
    """A hook for respx routes on :data:`BASE_URL`."""
    settings = ClientSettings(base_url=BASE_URL, api_key=API_KEY, retry=fast_retry(max_attempts))
    return GeminiTunedModelsHook(settings=settings)


@dataclass
class FakeClock:
    """Wall-clock time that moves only when the code under test sleeps."""

    now: float = 1_700_000_000.0
    sleeps: list[float] = field(default_factory=list)

    def time(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        if threading.current_thread() is not threading.main_thread():
            # An emulator serving other tests in a background thread also sleeps.
            await _real_sleep(seconds)
            return
        self.sleeps.append(seconds)
        self.now += seconds
        await _real_sleep(0)  # let other tasks run, as a real sleep would


@dataclass
class FakeTaskInstance:
    """Records XCom pushes in order."""

    map_index: int = -1
    pushed: list[tuple[str, Any]] = field(default_factory=list)

    def xcom_push(self, key: str, value: Any) -> None:
        self.pushed.append((key, value))

    def get_first_reschedule_date(self, context: Any) -> None:
        """A sensor in reschedule mode asks this; ``None`` means this is the first poke."""
        return None

    @property
    def xcoms(self) -> dict[str, Any]:
        return dict(self.pushed)


class OutletEvents:
    """``context["outlet_events"]``: an event accessor per asset, created on first use.

    Like Airflow's own accessors, it keys events by the asset's name and URI rather than by
    the asset itself, which Airflow 3.1 cannot hash.
    """

    def __init__(self) -> None:
        self._events: dict[tuple[str, str], SimpleNamespace] = {}

    def __getitem__(self, asset: Any) -> SimpleNamespace:
        return self._events.setdefault((asset.name, asset.uri), SimpleNamespace(extra={}))


def make_context(
    *, logical_date: datetime | None = LOGICAL_DATE, run_id: str = "scheduled__2025-01-01"
) -> dict[str, Any]:
    """The parts of a task context the operators and sensor read."""
    return {
        "ti": FakeTaskInstance(),
        "run_id": run_id,
        "logical_date": logical_date,
        "outlet_events": OutletEvents(),
    }


def model_names(hook: GeminiTunedModelsHook) -> list[str]:
    """Names of every tuned model the hook's user can see."""
    return [str(model.name) for model in hook.iter_tuned_models()]


def contains_no_secret(values: Iterable[object], secret: str) -> bool:
    """Whether no value's text contains ``secret``."""
    return all(secret not in str(value) for value in values)
