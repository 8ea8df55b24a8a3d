"""Unit tests of the wire helpers and the request reader."""

from __future__ import annotations

import json

import pytest

from airflow_provider_tunedmodels.emulator.errors import ApiError
from airflow_provider_tunedmodels.emulator.gemini.schemas import PERMISSION, TUNED_MODEL
from airflow_provider_tunedmodels.emulator.schemas import parse_message
from airflow_provider_tunedmodels.emulator.wire import (
    MAX_JSON_DEPTH,
    JsonInputError,
    dumps,
    float32,
    format_timestamp,
    parse_field_mask,
    parse_json,
    parse_json_body,
    parse_page_size,
    to_camel,
    to_snake,
)


def test_case_conversions() -> None:
    assert to_camel("text_input") == "textInput"
    assert to_camel("reader_project_numbers") == "readerProjectNumbers"
    assert to_camel("textInput") == "textInput"
    assert to_snake("learningRateMultiplier") == "learning_rate_multiplier"
    assert to_snake("output") == "output"


def test_body_tolerates_trailing_commas_like_the_official_curl_samples() -> None:
    body = b'{"tuning_task": {"hyperparameters": {"batch_size": 2, "epoch_count": 5,},}, "x": [1, 2,],}'
    assert parse_json_body(body) == {
        "tuning_task": {"hyperparameters": {"batch_size": 2, "epoch_count": 5}},
        "x": [1, 2],
    }


def test_trailing_comma_removal_leaves_strings_alone() -> None:
    body = json.dumps({"text": "a ,} b ,]", "n": 1}).encode()[:-1] + b",}"
    assert parse_json_body(body) == {"text": "a ,} b ,]", "n": 1}


@pytest.mark.parametrize("body", [b"{", b"[1, 2]", b'"text"', b"\xff\xfe"])
def test_invalid_bodies_are_invalid_argument(body: bytes) -> None:
    with pytest.raises(ApiError) as caught:
        parse_json_body(body)
    assert caught.value.status == "INVALID_ARGUMENT"
    assert caught.value.message.startswith("Invalid JSON payload received.")


def test_nesting_is_bounded_and_brackets_in_strings_do_not_count() -> None:
    deepest = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    assert parse_json(deepest) is not None
    with pytest.raises(JsonInputError, match=f"deeper than {MAX_JSON_DEPTH} levels"):
        parse_json("[" + deepest + "]")
    text = json.dumps({"text": "[{" * 500 + '\\"' + "]}" * 3, "more": ["[[["] * 200})
    assert parse_json(text)["text"].startswith("[{[{")
    with pytest.raises(JsonInputError, match="Unterminated string"):
        parse_json('{"a": "' + "[" * 500)
    escapes = json.dumps(['\\"[[[' * 100, "\\", '"{{' * 100])
    assert len(parse_json(escapes)) == 3
    with pytest.raises(JsonInputError, match="deeper than"):
        parse_json(escapes[:-1] + "," + "[" * 100 + "]" * 100 + "]")
    with pytest.raises(JsonInputError, match="deeper than"):
        parse_json("[" * 100_000)


def test_json_input_must_be_finite_unicode_json() -> None:
    for text, message in [
        ("[NaN]", "NaN is not a JSON value"),
        ('{"x": Infinity}', "Infinity is not a JSON value"),
        ('["\\udc00"]', "lone surrogate"),
        ('{"\\ud83d": 1}', "lone surrogate"),
        ("[" + "9" * 5000 + "]", "Invalid number"),
        ("[1,]", "Expecting value"),
    ]:
        with pytest.raises(JsonInputError, match=message):
            parse_json(text)
    assert parse_json('["\\ud83d\\ude00", 1e400]') == ["\U0001f600", float("inf")]
    assert parse_json("[1,]", lenient=True) == [1]


def test_answers_never_carry_bare_nan_or_infinity() -> None:
    for value in (float("nan"), float("inf"), -float("inf")):
        with pytest.raises(ValueError, match="not JSON compliant"):
            dumps({"x": value})
    with pytest.raises(ValueError, match="not JSON compliant"):
        ApiError("INVALID_ARGUMENT", "x", details=[{"v": float("nan")}]).body()


def test_empty_body_is_an_empty_message() -> None:
    assert parse_json_body(b"") == {}
    assert parse_json_body(b"  \n") == {}


def test_timestamps_are_rfc3339_utc_with_protobuf_precision() -> None:
    assert format_timestamp(0) == "1970-01-01T00:00:00Z"
    assert format_timestamp(1.5) == "1970-01-01T00:00:01.500Z"
    assert format_timestamp(1695035199.092786) == "2023-09-18T11:06:39.092786Z"


def test_float32_gives_the_shortest_round_tripping_decimal() -> None:
    assert float32(0.7) == 0.7
    assert float32(52.631578947368425) == 52.63158
    assert float32(2.48718452453613) == 2.4871845


def test_field_masks_accept_both_cases() -> None:
    assert parse_field_mask(None) is None
    assert parse_field_mask("displayName, top_p,tuningTask.hyperparameters") == [
        "display_name",
        "top_p",
        "tuning_task.hyperparameters",
    ]


def test_page_size_default_cap_and_errors() -> None:
    assert parse_page_size(None, default=10, maximum=1000) == 10
    assert parse_page_size("0", default=10, maximum=1000) == 10
    assert parse_page_size("5000", default=10, maximum=1000) == 1000
    for bad in ("-1", "ten"):
        with pytest.raises(ApiError):
            parse_page_size(bad, default=10, maximum=1000)


def test_reader_accepts_snake_case_numeric_enums_and_int64_strings() -> None:
    model = parse_message(
        TUNED_MODEL,
        {
            "display_name": "x",
            "state": 2,
            "top_k": "40",
            "reader_project_numbers": ["123456789012", 42],
            "tuning_task": {
                "training_data": {"examples": {"examples": [{"text_input": "a", "output": "b"}]}}
            },
            "description": None,
        },
        "tuned_model",
    )
    assert model == {
        "displayName": "x",
        "state": "ACTIVE",
        "topK": 40,
        "readerProjectNumbers": [123456789012, 42],
        "tuningTask": {
            "trainingData": {"examples": {"examples": [{"textInput": "a", "output": "b"}]}}
        },
    }
    assert parse_message(PERMISSION, {"granteeType": 1, "role": "READER"}, "permission") == {
        "granteeType": "USER",
        "role": "READER",
    }


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"colour": "red"}, "Unknown name \"colour\" at 'tuned_model': Cannot find field."),
        (
            {"tuningTask": {"hyperparameters": {"epochs": 3}}},
            "Unknown name \"epochs\" at 'tuned_model.tuning_task.hyperparameters'",
        ),
        (
            {"temperature": "hot"},
            "Invalid value at 'tuned_model.temperature' (TYPE_FLOAT), \"hot\"",
        ),
        ({"topK": 1.5}, "Invalid value at 'tuned_model.top_k' (TYPE_INT32), 1.5"),
        ({"topK": 2**40}, "Invalid value at 'tuned_model.top_k' (TYPE_INT32)"),
        ({"state": "DONE"}, 'TunedModel.State), "DONE"'),
        ({"displayName": 7}, "Invalid value at 'tuned_model.display_name' (TYPE_STRING), 7"),
        ({"readerProjectNumbers": "1"}, "Invalid value at 'tuned_model.reader_project_numbers'"),
    ],
)
def test_reader_rejects_unknown_fields_and_wrong_types(
    body: dict[str, object], message: str
) -> None:
    with pytest.raises(ApiError) as caught:
        parse_message(TUNED_MODEL, body, "tuned_model")
    assert caught.value.status == "INVALID_ARGUMENT"
    assert message in caught.value.message


def test_error_envelope_shape() -> None:
    error = ApiError("NOT_FOUND", "gone")
    assert error.envelope() == {"error": {"code": 404, "message": "gone", "status": "NOT_FOUND"}}
    assert error.rpc_status() == {"code": 5, "message": "gone"}
    with pytest.raises(ValueError, match="unknown canonical code"):
        ApiError("NOPE", "x")
