"""Resource names of Vertex AI: projects, locations and the ids the emulator mints.

Callers may name a project by its id (``my-project``) or its number; Google
answers with the number. The emulator derives a stable fake 12-digit number
from each project id (:func:`project_number`), so the same project always gets
the same number, and keys every resource by it. Locations are a region
(``us-central1``), ``global`` or a multi-region (``us``, ``eu``).
"""

from __future__ import annotations

import hashlib
import random
import re
from dataclasses import dataclass

from airflow_provider_tunedmodels.emulator.errors import invalid_argument

__all__ = [
    "MULTI_REGIONS",
    "IdMinter",
    "ModelRef",
    "check_location",
    "location_path",
    "parse_model_name",
    "parse_resource_name",
    "project_number",
]

#: Locations that are not a region.
MULTI_REGIONS = frozenset({"global", "us", "eu"})
_REGION = re.compile(r"[a-z]+-[a-z]+[0-9]+")
_PROJECT_NUMBER = re.compile(r"[0-9]{1,19}")
_NUMBER_SPAN = 9 * 10**11
_ID_LOW = 10**18
_ID_SPAN = 8 * 10**18


def project_number(project: str) -> str:
    """The project number of ``project``: itself if numeric, else derived from the id."""
    if _PROJECT_NUMBER.fullmatch(project):
        return project
    digest = hashlib.sha256(project.encode()).digest()
    return str(10**11 + int.from_bytes(digest[:8], "big") % _NUMBER_SPAN)


def check_location(location: str) -> str:
    """``location`` if Vertex AI serves it, else ``INVALID_ARGUMENT``."""
    if location in MULTI_REGIONS or _REGION.fullmatch(location):
        return location
    raise invalid_argument(
        f"Location {location!r} is not supported: use a region such as us-central1, "
        "or global, us or eu."
    )


def location_path(project: str, location: str) -> str:
    """``projects/{number}/locations/{location}`` (the number, as Google answers)."""
    return f"projects/{project_number(project)}/locations/{check_location(location)}"


def parse_resource_name(name: str, collection: str, field: str) -> tuple[str, str, str]:
    """``projects/{p}/locations/{l}/{collection}/{id}`` -> (project number, location, id).

    :param field: the request field holding ``name``, named in the error.
    """
    parts = name.split("/")
    if (
        len(parts) != 6
        or parts[0] != "projects"
        or parts[2] != "locations"
        or parts[4] != collection
        or not all(parts)
    ):
        raise invalid_argument(
            f"{field} must be a resource name projects/{{project}}/locations/{{location}}/"
            f"{collection}/{{id}}, got {name!r}."
        )
    return project_number(parts[1]), check_location(parts[3]), parts[5]


@dataclass(frozen=True)
class ModelRef:
    """A Model Registry name, ``.../models/{id}`` with an optional ``@{version}``."""

    project: str
    location: str
    model_id: str
    version: str | None  # a version id, an alias such as "default", or None

    @property
    def name(self) -> str:
        """The model's name without a version."""
        return f"projects/{self.project}/locations/{self.location}/models/{self.model_id}"


def parse_model_name(name: str, field: str) -> ModelRef:
    """Read ``projects/{p}/locations/{l}/models/{id}[@{version}]``."""
    project, location, tail = parse_resource_name(name, "models", field)
    model_id, _, version = tail.partition("@")
    return ModelRef(project, location, model_id, version or None)


class IdMinter:
    """Seeded generator of the 19-digit decimal ids Vertex AI gives its resources."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._rng = random.Random(f"vertex:{seed}")

    def new_id(self) -> str:
        """A fresh 19-digit id."""
        return str(_ID_LOW + self._rng.randrange(_ID_SPAN))

    def reset(self) -> None:
        """Restart from the seed."""
        self._rng = random.Random(f"vertex:{self.seed}")
