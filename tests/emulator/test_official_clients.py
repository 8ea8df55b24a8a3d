"""Google's official client libraries against the emulator.

``google-generativeai`` (REST transport, gapic + api_core underneath) and
``google-genai`` must work unchanged: this is the emulator's strongest check of
wire faithfulness (strict operation parsing, exact ``@type`` URLs, enum names,
camelCase, streaming framing, error envelopes).
"""

from __future__ import annotations

import contextlib
import io
import warnings
from typing import Any

import pytest

from airflow_provider_tunedmodels.emulator.testing import RunningEmulator
from tests.emulator.support import create_body

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import google.generativeai as legacy
    from google.api_core import exceptions as core_exceptions
    from google.genai import Client
    from google.genai import errors as genai_errors
    from google.genai import types as genai_types

BASE = "models/gemini-1.5-flash-001-tuning"
TRAINING = [(str(i), str(i + 1)) for i in range(20)]


@pytest.fixture
def configured(emulator: RunningEmulator) -> RunningEmulator:
    legacy.configure(
        api_key=emulator.api_key,
        transport="rest",
        client_options={"api_endpoint": emulator.base_url},
    )
    return emulator


def _legacy_tuned(model_id: str, **kwargs: Any) -> Any:
    operation = legacy.create_tuned_model(
        BASE, TRAINING, id=model_id, epoch_count=2, batch_size=4, **kwargs
    )
    return operation, operation.result(timeout=60)


@pytest.mark.usefixtures("configured")
def test_legacy_base_models() -> None:
    names = [model.name for model in legacy.list_models()]
    assert BASE in names
    model = legacy.get_model(BASE)
    assert model.input_token_limit == 16384
    assert model.output_token_limit == 8192
    assert "createTunedModel" in model.supported_generation_methods
    assert (model.temperature, model.top_p, model.top_k) == (1.0, 0.95, 64)


@pytest.mark.usefixtures("configured")
def test_legacy_create_wait_bar_result_get_list_update_delete() -> None:
    operation = legacy.create_tuned_model(
        BASE,
        TRAINING,
        id="legacy-model",
        display_name="legacy",
        epoch_count=2,
        batch_size=4,
        learning_rate=0.002,
    )
    assert operation.metadata.total_steps == 10
    assert operation.metadata.tuned_model == "tunedModels/legacy-model"
    bar_output = io.StringIO()
    with contextlib.redirect_stderr(bar_output):
        for _ in operation.wait_bar():
            pass
    assert "10/10" in bar_output.getvalue()
    tuned = operation.result()
    assert tuned.name == "tunedModels/legacy-model"
    assert tuned.state.name == "ACTIVE"
    assert tuned.base_model == BASE
    assert tuned.tuning_task.hyperparameters.learning_rate == pytest.approx(0.002)
    assert len(tuned.tuning_task.snapshots) == 10
    assert operation.metadata.completed_steps == 10
    assert legacy.get_tuned_model("tunedModels/legacy-model").display_name == "legacy"
    assert [m.name for m in legacy.list_tuned_models()] == ["tunedModels/legacy-model"]
    updated = legacy.update_tuned_model("tunedModels/legacy-model", {"description": "updated"})
    assert updated.description == "updated"
    assert updated.display_name == "legacy"
    legacy.delete_tuned_model("tunedModels/legacy-model")
    with pytest.raises(core_exceptions.NotFound, match="does not exist"):
        legacy.get_tuned_model("tunedModels/legacy-model")


@pytest.mark.usefixtures("configured")
def test_legacy_generate_and_stream() -> None:
    _legacy_tuned("gen-model")
    model = legacy.GenerativeModel("tunedModels/gen-model")
    assert model.generate_content("7").text == "8"
    chunks = [chunk.text for chunk in model.generate_content("11", stream=True)]
    assert len(chunks) > 1
    assert "".join(chunks) == "12"


@pytest.mark.usefixtures("configured")
def test_legacy_errors() -> None:
    _legacy_tuned("dupe")
    with pytest.raises(core_exceptions.Conflict):
        legacy.create_tuned_model(BASE, TRAINING, id="dupe")
    with pytest.raises(core_exceptions.BadRequest, match="tuned_model_id"):
        legacy.create_tuned_model(BASE, TRAINING, id="Bad_Id")
    operation = legacy.create_tuned_model(BASE, TRAINING, id="slow", epoch_count=100, batch_size=1)
    with pytest.raises(core_exceptions.BadRequest, match="not ready for inference"):
        legacy.GenerativeModel("tunedModels/slow").generate_content("1")
    assert not operation.done()


def test_legacy_tuning_failure_surfaces_as_an_exception(configured: RunningEmulator) -> None:
    configured.set_faults(rate_tuning_failure=1.0)
    operation = legacy.create_tuned_model(BASE, TRAINING, id="doomed", epoch_count=2, batch_size=4)
    with pytest.raises(core_exceptions.GoogleAPICallError, match="injected fault"):
        operation.result(timeout=60)
    assert legacy.get_tuned_model("tunedModels/doomed").state.name == "FAILED"


@pytest.mark.usefixtures("configured")
def test_legacy_permissions_and_transfer() -> None:
    _, tuned = _legacy_tuned("shared")
    permissions = tuned.permissions
    listed = list(permissions.list())
    assert [(p.role.name, p.email_address) for p in listed] == [("OWNER", "user@example.com")]
    reader = permissions.create(role="READER", email_address="bob@example.com")
    assert reader.grantee_type.name == "USER"
    reader.update({"role": "WRITER"})  # the SDK sends the PATCH and keeps its own copy
    assert permissions.get(reader.name).role.name == "WRITER"
    reader.delete()
    assert len(list(permissions.list())) == 1
    everyone = permissions.create(role="READER", grantee_type="EVERYONE")
    assert everyone.email_address in (None, "")
    permissions.transfer_ownership("carol@example.com")
    roles = {(p.email_address or "everyone", p.role.name) for p in permissions.list()}
    assert roles == {
        ("user@example.com", "WRITER"),
        ("carol@example.com", "OWNER"),
        ("everyone", "READER"),
    }
    with pytest.raises(core_exceptions.Forbidden, match="You do not have permission"):
        legacy.delete_tuned_model("tunedModels/shared")  # REST: the class comes from the HTTP code


@pytest.mark.usefixtures("configured")
def test_legacy_tuning_from_a_tuned_model() -> None:
    _legacy_tuned("parent")
    operation = legacy.create_tuned_model(
        "tunedModels/parent", [("ping", "pong")], id="child", epoch_count=1, batch_size=4
    )
    child = operation.result(timeout=60)
    assert child.source_model == "tunedModels/parent"
    assert child.base_model == BASE
    assert legacy.GenerativeModel("tunedModels/child").generate_content("3").text == "4"


def _genai_client(emulator: RunningEmulator, api_version: str | None = None) -> Client:
    options = genai_types.HttpOptions(base_url=emulator.base_url, api_version=api_version)
    return Client(api_key=emulator.api_key, http_options=options)


@pytest.fixture
def genai_model(emulator: RunningEmulator) -> str:
    from tests.emulator.support import Api

    api = Api(emulator.base_url, emulator.api_key)
    try:
        body = create_body(
            example_list=[
                {"textInput": "hello", "output": "world"},
                {
                    "textInput": "story",
                    "output": "A long answer that the emulator streams in several chunks.",
                },
            ]
        )
        return api.tuned(body, "genai-model")
    finally:
        api.close()


@pytest.mark.parametrize("api_version", [None, "v1beta"])
def test_genai_generate_content(
    emulator: RunningEmulator, genai_model: str, api_version: str | None
) -> None:
    client = _genai_client(emulator, api_version)
    response = client.models.generate_content(model=genai_model, contents="hello")
    assert response.text == "world"
    assert response.candidates is not None
    assert response.candidates[0].finish_reason == genai_types.FinishReason.STOP
    assert response.usage_metadata is not None
    assert response.usage_metadata.total_token_count == 4


@pytest.mark.parametrize("api_version", [None, "v1beta"])
def test_genai_generate_content_stream(
    emulator: RunningEmulator, genai_model: str, api_version: str | None
) -> None:
    client = _genai_client(emulator, api_version)
    chunks = list(client.models.generate_content_stream(model=genai_model, contents="stories"))
    assert len(chunks) > 1
    assert "".join(chunk.text or "" for chunk in chunks) == (
        "A long answer that the emulator streams in several chunks."
    )


@pytest.mark.parametrize("api_version", [None, "v1beta"])
async def test_genai_sees_several_chunks_even_for_a_short_answer(
    emulator: RunningEmulator, genai_model: str, api_version: str | None
) -> None:
    client = _genai_client(emulator, api_version)
    chunks = list(client.models.generate_content_stream(model=genai_model, contents="hello"))
    assert [chunk.text or "" for chunk in chunks] == ["wor", "ld"]
    assert chunks[-1].candidates is not None
    assert chunks[-1].candidates[0].finish_reason == genai_types.FinishReason.STOP
    stream = await client.aio.models.generate_content_stream(model=genai_model, contents="hello")
    assert [chunk.text async for chunk in stream] == ["wor", "ld"]


def test_genai_errors_carry_status(emulator: RunningEmulator) -> None:
    client = _genai_client(emulator)
    with pytest.raises(genai_errors.ClientError) as caught:
        client.models.generate_content(model="tunedModels/missing", contents="x")
    assert (caught.value.code, caught.value.status) == (404, "NOT_FOUND")
    assert caught.value.message == "Tuned model tunedModels/missing does not exist."
    emulator.set_faults(rate_503=1.0)
    with pytest.raises(genai_errors.ServerError) as server_error:
        client.models.generate_content(model="tunedModels/missing", contents="x")
    assert server_error.value.status == "UNAVAILABLE"


def test_genai_tuning_job_view(emulator: RunningEmulator, genai_model: str) -> None:
    client = _genai_client(emulator, "v1beta")
    job = client.tunings.get(name=genai_model)
    assert job.state == genai_types.JobState.JOB_STATE_SUCCEEDED


def test_legacy_with_service_account_credentials(emulator: RunningEmulator) -> None:
    from google.oauth2 import service_account

    info = emulator.service_account_info("sdk@emulator-project.iam.gserviceaccount.com")
    credentials = service_account.Credentials.from_service_account_info(
        info, scopes=["https://www.googleapis.com/auth/generative-language.tuning"]
    )
    legacy.configure(
        credentials=credentials,
        transport="rest",
        client_options={"api_endpoint": emulator.base_url},
    )
    operation = legacy.create_tuned_model(
        BASE, TRAINING, id="sa-model", epoch_count=1, batch_size=4
    )
    assert operation.result(timeout=60).name == "tunedModels/sa-model"
    owner = next(iter(legacy.get_tuned_model("tunedModels/sa-model").permissions.list()))
    assert owner.email_address == "sdk@emulator-project.iam.gserviceaccount.com"
