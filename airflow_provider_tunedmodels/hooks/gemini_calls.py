"""Every Gemini API method the hook wraps, described once as an :class:`ApiCall`.

The sync and async hook methods both run these descriptions, so URL layout,
query parameters, bodies and retry safety are defined in exactly one place.
Names may be given with or without their collection prefix
(``my-model`` or ``tunedModels/my-model``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airflow_provider_tunedmodels.core.calls import ApiCall, page_call
from airflow_provider_tunedmodels.core.errors import InvalidRequestError
from airflow_provider_tunedmodels.models import GenerateContentRequest, GenerateContentResponse
from airflow_provider_tunedmodels.models.gemini import (
    ListModelsResponse,
    ListOperationsResponse,
    ListPermissionsResponse,
    ListTunedModelsResponse,
    Model,
    Operation,
    Permission,
    TunedModel,
)
from airflow_provider_tunedmodels.models.gemini.names import (
    BASE_MODEL,
    GENERATION_MODEL,
    OPERATION,
    PERMISSION,
    TUNED_MODEL,
    parse_name,
)
from airflow_provider_tunedmodels.models.gemini.validation import page_size_problems

__all__ = [
    "base_model_path",
    "cancel_operation",
    "create_permission",
    "create_tuned_model",
    "delete_permission",
    "delete_tuned_model",
    "first_candidate_text",
    "generate_content",
    "generate_text",
    "get_model",
    "get_operation",
    "get_permission",
    "get_tuned_model",
    "list_models",
    "list_operations",
    "list_permissions",
    "list_tuned_models",
    "model_path",
    "operation_path",
    "permission_path",
    "prompt_request",
    "stream_generate_content",
    "transfer_ownership",
    "tuned_model_path",
    "update_permission",
    "update_tuned_model",
]


def _ignore(_: Any) -> None:
    return None


def tuned_model_path(name: str, field: str = "name") -> str:
    """``tunedModels/{id}`` from an id or a full name; any other kind of name is refused."""
    return parse_name(name, TUNED_MODEL, field=field)


def model_path(name: str, field: str = "model") -> str:
    """A model to generate with: ``tunedModels/{id}``, or ``models/{id}`` (a bare id is a base model)."""
    return parse_name(name, GENERATION_MODEL, field=field)


def base_model_path(name: str, field: str = "name") -> str:
    """``models/{id}`` from an id or a full name."""
    return parse_name(name, BASE_MODEL, field=field)


def operation_path(name: str, field: str = "name") -> str:
    """Check ``tunedModels/{id}/operations/{op}``."""
    return parse_name(name, OPERATION, field=field)


def permission_path(name: str, field: str = "name") -> str:
    """Check ``tunedModels/{id}/permissions/{permission}``."""
    return parse_name(name, PERMISSION, field=field)


def _page_size(page_size: int | None) -> int | None:
    """``pageSize`` as sent: ``None`` or 0 asks for the server's default; larger pages are capped
    by the server (at 1000), so only what can never work is refused."""
    problems = page_size_problems(page_size)
    if problems:
        raise InvalidRequestError("page_size", problems)
    return page_size or None


# --- tunedModels -----------------------------------------------------------------------------


def create_tuned_model(tuned_model: TunedModel, tuned_model_id: str | None) -> ApiCall[Operation]:
    """``POST tunedModels``: safe to repeat only with an id (a repeat then gets ALREADY_EXISTS)."""
    return ApiCall(
        "POST",
        "tunedModels",
        Operation.from_wire,
        params={"tunedModelId": tuned_model_id},
        body=tuned_model.to_wire(),
        idempotent=tuned_model_id is not None,
    )


def get_tuned_model(name: str) -> ApiCall[TunedModel]:
    return ApiCall("GET", tuned_model_path(name), TunedModel.from_wire)


def list_tuned_models(
    page_size: int | None, page_token: str | None, filter: str | None
) -> ApiCall[ListTunedModelsResponse]:
    return page_call(
        "tunedModels",
        ListTunedModelsResponse.from_wire,
        _page_size(page_size),
        page_token,
        filter=filter,
    )


def update_tuned_model(
    name: str, changes: TunedModel, update_mask: list[str]
) -> ApiCall[TunedModel]:
    """``PATCH``: repeating the same mask and values gives the same result."""
    body = changes.to_wire()
    body.pop("name", None)
    return ApiCall(
        "PATCH",
        tuned_model_path(name),
        TunedModel.from_wire,
        params={"updateMask": ",".join(update_mask)},
        body=body,
    )


def delete_tuned_model(name: str) -> ApiCall[None]:
    return ApiCall("DELETE", tuned_model_path(name), _ignore)


def generate_content(
    model: str, request: GenerateContentRequest
) -> ApiCall[GenerateContentResponse]:
    """Generation has no side effects, so it is safe to repeat."""
    return ApiCall(
        "POST",
        f"{model_path(model)}:generateContent",
        GenerateContentResponse.from_wire,
        body=request.to_wire(),
    )


def generate_text(model: str, request: Mapping[str, Any]) -> ApiCall[str]:
    """``generateContent`` for callers that want only the answer's text, in bulk.

    The request is sent as given (see :func:`prompt_request`) and the text is read
    straight from the decoded JSON, so a call costs no model building or validation:
    evaluation sends thousands of them.
    """
    return ApiCall(
        "POST", f"{model_path(model)}:generateContent", first_candidate_text, body=request
    )


def prompt_request(prompt: str, generation_config: Mapping[str, Any] | None) -> dict[str, Any]:
    """The wire body of a single-turn text request; ``generation_config`` already in wire form.

    The same JSON as ``GenerateContentRequest.from_prompt(prompt, config).to_wire()``.
    """
    body: dict[str, Any] = {"contents": [{"parts": [{"text": prompt}], "role": "user"}]}
    if generation_config is not None:
        body["generationConfig"] = dict(generation_config)
    return body


def first_candidate_text(payload: Mapping[str, Any]) -> str:
    """The text of the first candidate, as ``GenerateContentResponse.text`` reads it.

    Empty when there is no candidate or it has no content (e.g. a blocked prompt).

    :raises ValueError: the answer does not have the ``GenerateContentResponse`` shape.
    """
    candidates = payload.get("candidates") or []
    if not isinstance(candidates, list):
        raise ValueError(f"candidates: expected a list, got {type(candidates).__name__}")
    if not candidates:
        return ""
    first = candidates[0]
    if not isinstance(first, Mapping):
        raise ValueError(f"candidates[0]: expected an object, got {type(first).__name__}")
    content = first.get("content") or {}
    if not isinstance(content, Mapping):
        raise ValueError(f"candidates[0].content: expected an object, got {type(content).__name__}")
    parts = content.get("parts") or []
    if not isinstance(parts, list) or not all(isinstance(part, Mapping) for part in parts):
        raise ValueError("candidates[0].content.parts: expected a list of objects")
    texts = [part.get("text") or "" for part in parts]
    if not all(isinstance(text, str) for text in texts):
        raise ValueError("candidates[0].content.parts[].text: expected a string")
    return "".join(texts)


def stream_generate_content(
    model: str, request: GenerateContentRequest
) -> ApiCall[GenerateContentResponse]:
    return ApiCall(
        "POST",
        f"{model_path(model)}:streamGenerateContent",
        GenerateContentResponse.from_wire,
        params={"alt": "sse"},
        body=request.to_wire(),
    )


def transfer_ownership(name: str, email_address: str) -> ApiCall[None]:
    """Not repeated after it may have reached the server: the caller may no longer be owner."""
    if not email_address or "@" not in email_address:
        raise InvalidRequestError(
            "ownership transfer", [f"emailAddress {email_address!r}: a user's email is required"]
        )
    return ApiCall(
        "POST",
        f"{tuned_model_path(name)}:transferOwnership",
        _ignore,
        body={"emailAddress": email_address},
        idempotent=False,
    )


# --- permissions -----------------------------------------------------------------------------


def create_permission(tuned_model: str, permission: Permission) -> ApiCall[Permission]:
    """Not repeated after it may have reached the server: a repeat could grant twice."""
    body = permission.to_wire()
    body.pop("name", None)
    return ApiCall(
        "POST",
        f"{tuned_model_path(tuned_model, 'tuned_model')}/permissions",
        Permission.from_wire,
        body=body,
        idempotent=False,
    )


def get_permission(name: str) -> ApiCall[Permission]:
    return ApiCall("GET", permission_path(name), Permission.from_wire)


def list_permissions(
    tuned_model: str, page_size: int | None, page_token: str | None
) -> ApiCall[ListPermissionsResponse]:
    return page_call(
        f"{tuned_model_path(tuned_model, 'tuned_model')}/permissions",
        ListPermissionsResponse.from_wire,
        _page_size(page_size),
        page_token,
    )


def update_permission(name: str, role: str) -> ApiCall[Permission]:
    """Only ``role`` can change (``updateMask=role``)."""
    return ApiCall(
        "PATCH",
        permission_path(name),
        Permission.from_wire,
        params={"updateMask": "role"},
        body={"role": role},
    )


def delete_permission(name: str) -> ApiCall[None]:
    return ApiCall("DELETE", permission_path(name), _ignore)


# --- operations and base models --------------------------------------------------------------


def get_operation(name: str) -> ApiCall[Operation]:
    return ApiCall("GET", operation_path(name), Operation.from_wire)


def list_operations(
    tuned_model: str, page_size: int | None, page_token: str | None, filter: str | None
) -> ApiCall[ListOperationsResponse]:
    return page_call(
        f"{tuned_model_path(tuned_model, 'tuned_model')}/operations",
        ListOperationsResponse.from_wire,
        _page_size(page_size),
        page_token,
        filter=filter,
    )


def cancel_operation(name: str) -> ApiCall[None]:
    """Cancel is bound on ``v1`` only for tuned-model operations."""
    return ApiCall("POST", f"{operation_path(name)}:cancel", _ignore, body={}, api_version="v1")


def get_model(name: str) -> ApiCall[Model]:
    return ApiCall("GET", base_model_path(name), Model.from_wire)


def list_models(page_size: int | None, page_token: str | None) -> ApiCall[ListModelsResponse]:
    return page_call("models", ListModelsResponse.from_wire, _page_size(page_size), page_token)
