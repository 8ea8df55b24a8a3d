"""Vertex AI resource names, each parsed against its exact pattern.

A wrong name fails here, before any request, with a message that shows the
pattern expected; a right one comes back split into its parts::

    job = parse_tuning_job_name("projects/p/locations/us-central1/tuningJobs/123")
    job.parent      # 'projects/p/locations/us-central1'
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from airflow_provider_tunedmodels.core.errors import InvalidRequestError

__all__ = [
    "EndpointName",
    "ModelName",
    "OperationName",
    "PublisherModelName",
    "TuningJobName",
    "generation_target",
    "location_path",
    "parse_endpoint_name",
    "parse_model_name",
    "parse_operation_name",
    "parse_publisher_model_name",
    "parse_tuning_job_name",
]

# One path segment: no slash, no custom-verb colon, no version separator, no whitespace.
_SEGMENT = r"[^/:@\s]+"
_PARENT = rf"projects/(?P<project>{_SEGMENT})/locations/(?P<location>{_SEGMENT})"
_PATTERNS = {
    "tuning job": (
        re.compile(rf"{_PARENT}/tuningJobs/(?P<tuning_job>{_SEGMENT})"),
        "projects/{project}/locations/{location}/tuningJobs/{tuning_job}",
    ),
    "model": (
        re.compile(rf"{_PARENT}/models/(?P<model>{_SEGMENT})(?:@(?P<version>{_SEGMENT}))?"),
        "projects/{project}/locations/{location}/models/{model}, optionally followed by "
        "@{version_id} or @{alias}",
    ),
    "endpoint": (
        re.compile(rf"{_PARENT}/endpoints/(?P<endpoint>{_SEGMENT})"),
        "projects/{project}/locations/{location}/endpoints/{endpoint}",
    ),
    "publisher model": (
        re.compile(rf"{_PARENT}/publishers/(?P<publisher>{_SEGMENT})/models/(?P<model>{_SEGMENT})"),
        "projects/{project}/locations/{location}/publishers/google/models/{model}",
    ),
    "operation": (
        re.compile(
            rf"{_PARENT}(?:/tuningJobs/(?P<tuning_job>{_SEGMENT}))?/operations/(?P<operation>{_SEGMENT})"
        ),
        "projects/{project}/locations/{location}/tuningJobs/{tuning_job}/operations/{operation} "
        "or projects/{project}/locations/{location}/operations/{operation}",
    ),
}


def location_path(project: str, location: str) -> str:
    """``projects/{project}/locations/{location}``: the parent of tuning jobs."""
    return f"projects/{project}/locations/{location}"


@dataclass(frozen=True)
class TuningJobName:
    """``projects/{project}/locations/{location}/tuningJobs/{tuning_job}``."""

    project: str
    location: str
    tuning_job: str

    @property
    def parent(self) -> str:
        return location_path(self.project, self.location)

    def __str__(self) -> str:
        return f"{self.parent}/tuningJobs/{self.tuning_job}"


@dataclass(frozen=True)
class ModelName:
    """``projects/{project}/locations/{location}/models/{model}[@{version}]``.

    :ivar version: a version id (``1``) or an alias (``default``), or ``None``.
    """

    project: str
    location: str
    model: str
    version: str | None = None

    @property
    def unversioned(self) -> str:
        """The name without ``@version``."""
        return f"{location_path(self.project, self.location)}/models/{self.model}"

    def __str__(self) -> str:
        return f"{self.unversioned}@{self.version}" if self.version else self.unversioned


@dataclass(frozen=True)
class EndpointName:
    """``projects/{project}/locations/{location}/endpoints/{endpoint}``."""

    project: str
    location: str
    endpoint: str

    def __str__(self) -> str:
        return f"{location_path(self.project, self.location)}/endpoints/{self.endpoint}"


@dataclass(frozen=True)
class PublisherModelName:
    """``projects/{project}/locations/{location}/publishers/google/models/{model}``."""

    project: str
    location: str
    publisher: str
    model: str

    def __str__(self) -> str:
        base = location_path(self.project, self.location)
        return f"{base}/publishers/{self.publisher}/models/{self.model}"


@dataclass(frozen=True)
class OperationName:
    """An operation under a tuning job, or directly under a location.

    :ivar tuning_job: the tuning job's id, ``None`` for a location-level operation.
    """

    project: str
    location: str
    operation: str
    tuning_job: str | None = None

    def __str__(self) -> str:
        base = location_path(self.project, self.location)
        if self.tuning_job:
            base = f"{base}/tuningJobs/{self.tuning_job}"
        return f"{base}/operations/{self.operation}"


def _match(kind: str, name: str) -> dict[str, str]:
    """The parts of a ``kind`` name, by the field names of its dataclass."""
    pattern, expected = _PATTERNS[kind]
    text = name.strip() if isinstance(name, str) else ""
    match = pattern.fullmatch(text)
    if match is None:
        raise InvalidRequestError(
            f"{kind} name", [f"{text or name!r}: not a {kind} name; expected {expected}"]
        )
    return match.groupdict()


def parse_tuning_job_name(name: str) -> TuningJobName:
    """Split a tuning job's full name; raise :class:`InvalidRequestError` if it is not one."""
    return TuningJobName(**_match("tuning job", name))


def parse_model_name(name: str) -> ModelName:
    """Split a Model Registry model name, with its optional ``@version`` or ``@alias``."""
    return ModelName(**_match("model", name))


def parse_endpoint_name(name: str) -> EndpointName:
    """Split an endpoint name (where a tuned model is served)."""
    return EndpointName(**_match("endpoint", name))


def parse_publisher_model_name(name: str) -> PublisherModelName:
    """Split a publisher model name, e.g. ``.../publishers/google/models/gemini-2.5-flash``."""
    return PublisherModelName(**_match("publisher model", name))


def parse_operation_name(name: str) -> OperationName:
    """Split an operation name (under a tuning job, or under a location)."""
    return OperationName(**_match("operation", name))


def generation_target(name: str) -> str:
    """Check a model to generate with: a tuned model's endpoint, or a publisher model.

    A Model Registry name (``.../models/{id}``) is refused: tuned Gemini models are
    served only through their endpoint.
    """
    text = name.strip()
    try:
        return str(parse_endpoint_name(text))
    except InvalidRequestError:
        pass
    try:
        return str(parse_publisher_model_name(text))
    except InvalidRequestError:
        pass
    hint = ""
    if "/models/" in text and "/publishers/" not in text:
        hint = "; a tuned model is served through its endpoint: use the tuning job's tunedModel.endpoint"
    raise InvalidRequestError(
        "generation target",
        [
            f"{text!r}: expected projects/{{project}}/locations/{{location}}/endpoints/{{endpoint}} "
            f"or projects/{{project}}/locations/{{location}}/publishers/google/models/{{model}}{hint}"
        ],
    )
