"""Every hook method, sync and async, against the bundled emulator on loopback.

Also the three ways to authenticate, with google-auth's real service-account
token exchange against the emulator's token endpoint.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_tunedmodels.core.errors import (
    AlreadyExistsError,
    FailedPreconditionError,
    InvalidArgumentError,
    NotFoundError,
    PermissionDeniedError,
    UnauthenticatedError,
)
from airflow_provider_tunedmodels.core.retry import RetryPolicy
from airflow_provider_tunedmodels.core.settings import ClientSettings
from airflow_provider_tunedmodels.emulator.testing import RunningEmulator, run_emulator
from airflow_provider_tunedmodels.hooks.gemini import GeminiTunedModelsHook
from airflow_provider_tunedmodels.models.gemini import State
from tests.support.emulator import BASE_MODEL, emulator_hook

EXAMPLES = [{"textInput": str(n), "output": str(n + 1)} for n in range(1, 9)]


def new_model(display_name: str = "number generator") -> dict[str, Any]:
    return {
        "baseModel": BASE_MODEL,
        "displayName": display_name,
        "tuningTask": {
            "hyperparameters": {"epochCount": 2, "batchSize": 4, "learningRate": 0.001},
            "trainingData": {"examples": {"examples": EXAMPLES}},
        },
    }


@pytest.fixture
def hook(emulator: RunningEmulator) -> Iterator[GeminiTunedModelsHook]:
    emulator.reset()
    hook = emulator_hook(
        emulator, retry=RetryPolicy(max_attempts=6, initial_backoff=0.01, max_backoff=0.05)
    )
    yield hook
    hook.close()


def test_lifecycle_sync(hook: GeminiTunedModelsHook) -> None:
    operation = hook.create_tuned_model(new_model(), tuned_model_id="num-gen")
    assert operation.tuned_model_name == "tunedModels/num-gen"
    assert operation.create_metadata is not None
    assert operation.create_metadata.total_steps == 4  # ceil(8 examples * 2 epochs / 4)
    assert hook.get_tuned_model("num-gen").state in (State.CREATING, State.ACTIVE)
    with pytest.raises(AlreadyExistsError):
        hook.create_tuned_model(new_model(), tuned_model_id="num-gen")

    done = hook.wait_for_operation(operation.name or "", poll_interval=0.01, timeout=30)
    assert done.tuned_model is not None
    assert done.tuned_model.state is State.ACTIVE
    model = hook.get_tuned_model("tunedModels/num-gen")
    assert len(model.snapshots) == 4
    assert [o.name for o in hook.iter_operations("num-gen")] == [operation.name]

    assert hook.generate_content("tunedModels/num-gen", "3").text == "4"
    assert "".join(c.text for c in hook.stream_generate_content("tunedModels/num-gen", "5")) == "6"

    updated = hook.update_tuned_model("num-gen", {"description": "adds one", "temperature": 0.3})
    assert (updated.description, updated.temperature) == ("adds one", 0.3)
    assert updated.tuning_task is not None

    granted = hook.create_permission(
        "num-gen", {"granteeType": "USER", "emailAddress": "r@example.com", "role": "READER"}
    )
    assert granted.name is not None
    assert hook.get_permission(granted.name).role == "READER"
    assert hook.update_permission(granted.name, "WRITER").role == "WRITER"
    roles = {p.email_address: p.role for p in hook.iter_permissions("num-gen", page_size=1)}
    assert roles["r@example.com"] == "WRITER"
    assert "OWNER" in roles.values()
    hook.delete_permission(granted.name)
    with pytest.raises(NotFoundError):
        hook.get_permission(granted.name)

    names = [m.name for m in hook.iter_tuned_models(page_size=1)]
    assert names == ["tunedModels/num-gen"]
    assert hook.delete_tuned_model("num-gen") is True
    with pytest.raises(NotFoundError, match="does not exist"):
        hook.get_tuned_model("num-gen")
    assert hook.delete_tuned_model("num-gen", ignore_missing=True) is False


async def test_lifecycle_async(hook: GeminiTunedModelsHook) -> None:
    operation = await hook.acreate_tuned_model(new_model("Async Model"))
    name = operation.tuned_model_name or ""
    assert name.startswith("tunedModels/async-model-")
    slow = new_model("slow")
    slow["tuningTask"]["hyperparameters"]["epochCount"] = 5000
    slow_operation = await hook.acreate_tuned_model(slow)
    with pytest.raises(FailedPreconditionError):  # not ACTIVE yet
        await hook.agenerate_content(slow_operation.tuned_model_name or "", "1")
    await hook.acancel_operation(slow_operation.name or "")
    done = await hook.await_for_operation(operation.name or "", poll_interval=0.01, timeout=30)
    assert done.done
    assert (await hook.aget_operation(operation.name or "")).done
    assert [o.name async for o in hook.aiter_operations(name)] == [operation.name]
    assert (await hook.aget_tuned_model(name)).state is State.ACTIVE
    assert (await hook.agenerate_content(name, "7")).text == "8"
    assert "".join([c.text async for c in hook.astream_generate_content(name, "2")]) == "3"
    assert (
        await hook.aupdate_tuned_model(name, {"display_name": "renamed"})
    ).display_name == "renamed"
    page = await hook.alist_tuned_models(page_size=10, filter="renamed")
    assert [m.name for m in page.page_items()] == [name]
    assert name in [m.name async for m in hook.aiter_tuned_models(filter="owner:me")]

    permission = await hook.acreate_permission(name, {"granteeType": "EVERYONE", "role": "READER"})
    assert permission.name is not None
    assert (await hook.aget_permission(permission.name)).grantee_type == "EVERYONE"
    assert (await hook.aupdate_permission(permission.name, "READER")).role == "READER"
    assert len((await hook.alist_permissions(name)).page_items()) == 2
    assert len([p async for p in hook.aiter_permissions(name)]) == 2
    await hook.adelete_permission(permission.name)

    await hook.atransfer_ownership(name, "new-owner@example.com")
    with pytest.raises(PermissionDeniedError):  # the old owner is a WRITER now
        await hook.adelete_tuned_model(name)
    await hook.aclose()


def test_transfer_ownership_and_cancel(
    hook: GeminiTunedModelsHook, emulator: RunningEmulator
) -> None:
    slow = new_model()
    slow["tuningTask"]["hyperparameters"]["epochCount"] = 2000
    operation = hook.create_tuned_model(slow, tuned_model_id="to-cancel")
    hook.cancel_operation(operation.name or "")
    finished = hook.get_operation(operation.name or "")
    assert finished.done
    assert finished.error is not None
    assert finished.error.status_name == "CANCELLED"

    done = hook.create_tuned_model(new_model(), tuned_model_id="to-transfer")
    hook.wait_for_operation(done.name or "", poll_interval=0.01, timeout=30)
    hook.transfer_ownership("to-transfer", "other@example.com")
    roles = {p.email_address: p.role for p in hook.iter_permissions("to-transfer")}
    assert roles["other@example.com"] == "OWNER"
    assert "WRITER" in roles.values()


def test_base_models(hook: GeminiTunedModelsHook) -> None:
    base = hook.get_model("gemini-1.5-flash-001-tuning")
    assert base.supports_tuning
    assert (base.temperature, base.top_p, base.top_k) == (1.0, 0.95, 64)
    assert BASE_MODEL in [m.name for m in hook.iter_models()]
    assert hook.generate_content(BASE_MODEL, "hello").text.endswith("about: hello")


def test_retries_ride_out_injected_faults_without_duplicates(
    hook: GeminiTunedModelsHook, emulator: RunningEmulator
) -> None:
    emulator.set_faults(rate_503=0.3, rate_429=0.2, retry_after=0.01, seed=3)
    try:
        for index in range(5):
            hook.create_tuned_model(new_model(), tuned_model_id=f"flaky-{index}")
        models = list(hook.iter_tuned_models())
    finally:
        emulator.reset_faults()
    assert sorted(m.name for m in models) == [f"tunedModels/flaky-{i}" for i in range(5)]


def test_test_connection_reports_success_and_failure(emulator: RunningEmulator) -> None:
    good = GeminiTunedModelsHook(
        settings=ClientSettings(base_url=emulator.base_url, api_key=emulator.api_key)
    )
    ok, message = good.test_connection()
    assert ok
    assert emulator.base_url in message
    bad_key = "wrong-key-0123456789"
    bad = GeminiTunedModelsHook(
        settings=ClientSettings(base_url=emulator.base_url, api_key=bad_key)
    )
    ok, message = bad.test_connection()
    assert not ok
    assert "API key not valid" in message
    assert bad_key not in message


def test_wrong_api_key_is_unauthenticated_or_invalid_and_never_echoed(
    emulator: RunningEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secret = "AIzaSy-not-a-real-key-42"
    hook = GeminiTunedModelsHook(
        settings=ClientSettings(base_url=emulator.base_url, api_key=secret)
    )
    with pytest.raises(Exception) as exc:
        hook.get_tuned_model("anything")
    assert secret not in str(exc.value)
    assert secret not in caplog.text


def _service_account_settings(emulator: RunningEmulator, **kwargs: Any) -> ClientSettings:
    return ClientSettings(base_url=emulator.base_url, **kwargs)


def test_service_account_json_gets_a_real_token(emulator: RunningEmulator) -> None:
    info = emulator.service_account_info("tuner@proj.iam.gserviceaccount.com")
    sa_hook = GeminiTunedModelsHook(
        settings=_service_account_settings(
            emulator, service_account_info=info, quota_project_id="billing-proj"
        )
    )
    operation = sa_hook.create_tuned_model(new_model(), tuned_model_id="sa-model")
    permissions = list(sa_hook.iter_permissions("sa-model"))
    assert [p.email_address for p in permissions if p.role == "OWNER"] == [
        "tuner@proj.iam.gserviceaccount.com"
    ]
    assert operation.tuned_model_name == "tunedModels/sa-model"
    assert sa_hook.settings.auth_method == "service_account"
    headers = sa_hook.client.auth.headers()
    assert headers["authorization"].startswith("Bearer ")
    assert headers["x-goog-user-project"] == "billing-proj"
    assert info["private_key"] not in repr(sa_hook.client.auth)


def test_service_account_key_file_and_token_refresh(tmp_path: Path) -> None:
    with run_emulator(step_seconds=0.002, token_lifetime=1) as emulator:
        key_file = tmp_path / "key.json"
        key_file.write_text(json.dumps(emulator.service_account_info()))
        hook = GeminiTunedModelsHook(
            settings=_service_account_settings(emulator, key_path=str(key_file))
        )
        hook.list_tuned_models()
        first = hook.client.auth.headers()["authorization"]
        hook.list_tuned_models()
        second = hook.client.auth.headers()["authorization"]
        # A 1-second token is inside google-auth's refresh margin, so every use refreshes it.
        assert first != second


async def test_async_token_refresh_runs_off_the_event_loop(emulator: RunningEmulator) -> None:
    hook = GeminiTunedModelsHook(
        settings=_service_account_settings(
            emulator, service_account_info=emulator.service_account_info()
        )
    )
    page = await hook.alist_tuned_models()
    assert page.tuned_models is None or isinstance(page.tuned_models, list)
    client = await hook.aget_client()
    assert (await client.auth.aheaders())["authorization"].startswith("Bearer ")
    await hook.aclose()


def test_application_default_credentials(
    emulator: RunningEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key_file = tmp_path / "adc.json"
    key_file.write_text(
        json.dumps(emulator.service_account_info("adc@proj.iam.gserviceaccount.com"))
    )
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(key_file))
    hook = GeminiTunedModelsHook(settings=_service_account_settings(emulator))
    assert hook.settings.auth_method == "application_default"
    hook.create_tuned_model(new_model(), tuned_model_id="adc-model")
    owners = [p.email_address for p in hook.iter_permissions("adc-model") if p.role == "OWNER"]
    assert owners == ["adc@proj.iam.gserviceaccount.com"]


def test_untrusted_service_account_key_is_refused(emulator: RunningEmulator) -> None:
    info = emulator.service_account_info()
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    info["private_key"] = other.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    hook = GeminiTunedModelsHook(
        settings=_service_account_settings(emulator, service_account_info=info)
    )
    with pytest.raises(Exception, match=r"invalid_grant|RefreshError|UNAUTHENTICATED") as exc:
        hook.list_tuned_models()
    assert info["private_key"] not in str(exc.value)


def test_missing_credentials_get_the_real_error_shape(emulator: RunningEmulator) -> None:
    import httpx

    response = httpx.get(f"{emulator.base_url}/v1beta/tunedModels", trust_env=False)
    body = response.json()
    assert response.status_code in (401, 403)
    assert set(body["error"]) >= {"code", "message", "status"}
    assert body["error"]["status"] in ("UNAUTHENTICATED", "PERMISSION_DENIED")


def test_hook_maps_missing_credentials_to_a_typed_error(emulator: RunningEmulator) -> None:
    hook = GeminiTunedModelsHook(
        settings=ClientSettings(base_url=emulator.base_url, api_key="x" * 30)
    )
    with pytest.raises((UnauthenticatedError, InvalidArgumentError), match="API key not valid"):
        hook.list_tuned_models()
