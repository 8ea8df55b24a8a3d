from __future__ import annotations

from datetime import datetime, timezone

from airflow_provider_tunedmodels.models import GenerateContentResponse
from airflow_provider_tunedmodels.models.gemini import (
    CREATE_TUNED_MODEL_METADATA_TYPE,
    TUNED_MODEL_TYPE,
    GranteeType,
    Operation,
    Permission,
    Role,
    State,
    TunedModel,
)

RECORDED_ACTIVE_MODEL = {
    "name": "tunedModels/testnumbergenerator-fvitocr834l6",
    "baseModel": "models/text-bison-001",
    "displayName": "test_number_generator",
    "state": "ACTIVE",
    "createTime": "2023-09-18T11:06:39.092786Z",
    "updateTime": "2023-09-18T11:07:24.198359Z",
    "tuningTask": {
        "startTime": "2023-09-18T11:06:39.461814784Z",
        "completeTime": "2023-09-18T11:07:24.198359Z",
        "snapshots": [
            {"step": 1, "meanLoss": 16.613504, "computeTime": "2023-09-18T11:06:44.532937624Z"},
            {"step": 2, "epoch": 1, "meanLoss": 20.299532},
        ],
        "hyperparameters": {"epochCount": 10, "batchSize": 16, "learningRate": 0.02},
    },
    "temperature": 0.7,
    "topP": 0.95,
    "topK": 40,
}


def test_recorded_model_parses_and_round_trips_in_camel_case() -> None:
    model = TunedModel.model_validate(RECORDED_ACTIVE_MODEL)
    assert model.state is State.ACTIVE
    assert model.tuned_model_id == "testnumbergenerator-fvitocr834l6"
    assert model.snapshots[1].epoch == 1
    assert model.tuning_task is not None
    assert model.tuning_task.start_time == datetime(
        2023, 9, 18, 11, 6, 39, 461814, tzinfo=timezone.utc
    )
    wire = model.to_wire()
    assert wire["tuningTask"]["hyperparameters"] == {
        "epochCount": 10,
        "batchSize": 16,
        "learningRate": 0.02,
    }
    assert "epoch" not in wire["tuningTask"]["snapshots"][0]
    assert wire["state"] == "ACTIVE"
    assert wire["createTime"] == "2023-09-18T11:06:39.092786Z"


def test_snake_case_input_is_accepted_and_written_as_camel_case() -> None:
    model = TunedModel.model_validate(
        {
            "display_name": "x",
            "base_model": "models/b",
            "tuning_task": {"hyperparameters": {"epoch_count": 3}},
        }
    )
    assert model.to_wire() == {
        "baseModel": "models/b",
        "displayName": "x",
        "tuningTask": {"hyperparameters": {"epochCount": 3}},
    }


def test_unknown_fields_and_enum_values_are_kept_not_dropped() -> None:
    model = TunedModel.model_validate(
        {
            "name": "tunedModels/a",
            "state": "PAUSED",
            "futureField": {"x": 1},
            "tuningTask": {"newKnob": 2},
        }
    )
    assert model.state == "PAUSED"
    assert model.to_wire() == {
        "name": "tunedModels/a",
        "state": "PAUSED",
        "futureField": {"x": 1},
        "tuningTask": {"newKnob": 2},
    }


def test_enum_numbers_are_read_and_names_are_written() -> None:
    permission = Permission.model_validate({"granteeType": 1, "role": "3", "emailAddress": "a@b.c"})
    assert permission.grantee_type is GranteeType.USER
    assert permission.role is Role.READER
    assert permission.to_wire() == {
        "granteeType": "USER",
        "emailAddress": "a@b.c",
        "role": "READER",
    }
    assert TunedModel.model_validate({"state": 1}).state is State.CREATING


def test_int64_fields_are_written_as_strings() -> None:
    model = TunedModel.model_validate({"readerProjectNumbers": ["123456789012", 5]})
    assert model.reader_project_numbers == [123456789012, 5]
    assert model.to_wire() == {"readerProjectNumbers": ["123456789012", "5"]}


def test_create_operation_exposes_metadata_and_result() -> None:
    running = Operation.model_validate(
        {
            "name": "tunedModels/num-dzlmi0gswwqb/operations/bvl8dymw0fhw",
            "metadata": {
                "@type": CREATE_TUNED_MODEL_METADATA_TYPE,
                "totalSteps": 38,
                "tunedModel": "tunedModels/num-dzlmi0gswwqb",
            },
        }
    )
    assert not running.done
    assert running.create_metadata is not None
    assert running.create_metadata.total_steps == 38
    assert running.tuned_model_name == "tunedModels/num-dzlmi0gswwqb"
    assert running.tuned_model is None
    assert running.to_wire()["metadata"]["@type"] == CREATE_TUNED_MODEL_METADATA_TYPE

    finished = Operation.model_validate(
        {
            "name": running.name,
            "done": True,
            "response": {"@type": TUNED_MODEL_TYPE, "name": "tunedModels/x", "state": "ACTIVE"},
        }
    )
    assert finished.tuned_model is not None
    assert finished.tuned_model.is_active

    failed = Operation.model_validate(
        {"name": running.name, "done": True, "error": {"code": 3, "message": "bad"}}
    )
    assert failed.error_code == 3
    assert failed.error is not None
    assert failed.error.status_name == "INVALID_ARGUMENT"


def test_operation_with_foreign_metadata_type_is_not_misread() -> None:
    operation = Operation.model_validate(
        {"name": "tunedModels/a/operations/b", "metadata": {"@type": "x.Other"}}
    )
    assert operation.create_metadata is None
    assert operation.tuned_model_name == "tunedModels/a"


def test_generate_content_response_text() -> None:
    response = GenerateContentResponse.model_validate(
        {
            "candidates": [
                {
                    "content": {"parts": [{"text": "LX"}, {"text": "IV"}], "role": "model"},
                    "finishReason": "STOP",
                }
            ],
            "usageMetadata": {
                "promptTokenCount": 9,
                "candidatesTokenCount": 2,
                "totalTokenCount": 11,
            },
        }
    )
    assert response.text == "LXIV"
    assert response.usage_metadata is not None
    assert response.usage_metadata.total_token_count == 11
    assert (
        GenerateContentResponse.model_validate({"promptFeedback": {"blockReason": "SAFETY"}}).text
        == ""
    )
