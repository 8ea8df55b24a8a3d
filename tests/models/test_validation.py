from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_tunedmodels.core.errors import InvalidRequestError
from airflow_provider_tunedmodels.models.gemini import Permission, TunedModel
from airflow_provider_tunedmodels.models.gemini.validation import (
    validate_new_permission,
    validate_new_tuned_model,
    validate_tuned_model_id,
    validate_tuned_model_update,
)


def new_model(**overrides: Any) -> TunedModel:
    data: dict[str, Any] = {
        "baseModel": "models/gemini-1.5-flash-001-tuning",
        "displayName": "number generator",
        "tuningTask": {
            "hyperparameters": {"epochCount": 5},
            "trainingData": {"examples": {"examples": [{"textInput": "1", "output": "2"}]}},
        },
    }
    data.update(overrides)
    return TunedModel.model_validate(data)


def problems_of(exc: pytest.ExceptionInfo[InvalidRequestError]) -> list[str]:
    return exc.value.problems


def test_a_valid_model_passes() -> None:
    validate_new_tuned_model(new_model(), "number-generator-1")


@pytest.mark.parametrize("good", ["a", "abc-123", "a" * 40, "x9"])
def test_valid_ids(good: str) -> None:
    validate_tuned_model_id(good)


@pytest.mark.parametrize("bad", ["", "1abc", "abc-", "Abc", "a_b", "a" * 41, "tunedModels/a"])
def test_invalid_ids_name_the_rule(bad: str) -> None:
    with pytest.raises(InvalidRequestError, match=r"pattern \[a-z\]") as exc:
        validate_tuned_model_id(bad)
    assert repr(bad) in problems_of(exc)[0]


def test_every_problem_is_reported_at_once_with_field_and_index() -> None:
    model = new_model(
        displayName="x" * 41,
        temperature=1.5,
        tunedModelSource={"tunedModel": "tunedModels/other"},
        tuningTask={
            "hyperparameters": {"learningRate": 0.1, "learningRateMultiplier": 2.0},
            "trainingData": {
                "examples": {
                    "examples": [
                        {"textInput": "ok", "output": "fine"},
                        {"textInput": "no output"},
                        {"textInput": "i" * 40_001, "output": "o" * 5_001},
                    ]
                }
            },
        },
    )
    with pytest.raises(InvalidRequestError) as exc:
        validate_new_tuned_model(model, "Bad_Id")
    problems = problems_of(exc)
    assert any(p.startswith("tunedModelId: 'Bad_Id' must be") for p in problems)
    assert any("baseModel / tunedModelSource: set exactly one" in p for p in problems)
    assert "displayName: 41 characters; the limit is 40, spaces included" in problems
    assert "temperature: 1.5 is outside [0.0, 1.0]" in problems
    assert any(
        "learningRate and learningRateMultiplier are mutually exclusive" in p for p in problems
    )
    where = "tuningTask.trainingData.examples.examples"
    assert f"{where}[1].output: missing; every example needs an output" in problems
    assert f"{where}[2].output: 5,001 characters; the limit is 5,000" in problems
    assert f"{where}[2].textInput: 40,001 characters; the limit is 40,000" in problems


def test_neither_source_nor_examples() -> None:
    model = TunedModel.model_validate({"displayName": "x"})
    with pytest.raises(InvalidRequestError) as exc:
        validate_new_tuned_model(model)
    assert any("set exactly one" in p for p in problems_of(exc))
    assert any("at least one training example is required" in p for p in problems_of(exc))


def test_update_mask_accepts_snake_case_and_refuses_immutable_fields() -> None:
    assert validate_tuned_model_update(TunedModel(description="d"), ["description", "top_p"]) == [
        "description",
        "topP",
    ]
    with pytest.raises(InvalidRequestError) as exc:
        validate_tuned_model_update(TunedModel(), ["baseModel", "state", "tuning_task"])
    problems = problems_of(exc)
    assert problems[0].startswith("baseModel: is immutable")
    assert problems[1].startswith("state: is output only")
    assert problems[2].startswith("tuning_task: is immutable")
    with pytest.raises(InvalidRequestError, match="nothing to update"):
        validate_tuned_model_update(TunedModel(), [])


@pytest.mark.parametrize(
    ("permission", "message"),
    [
        ({"granteeType": "USER", "role": "READER"}, "emailAddress: required"),
        ({"granteeType": "EVERYONE", "emailAddress": "a@b.c", "role": "READER"}, "must not be set"),
        (
            {"granteeType": "USER", "emailAddress": "a@b.c", "role": "OWNER"},
            "use transferOwnership",
        ),
        ({"granteeType": "USER", "emailAddress": "a@b.c"}, "role: required"),
    ],
)
def test_permission_rules(permission: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidRequestError, match=message):
        validate_new_permission(Permission.model_validate(permission))
    validate_new_permission(Permission(grantee_type="EVERYONE", role="READER"))
