"""Airflow Assets for tuned models, so downstream DAGs can be scheduled on a new model.

One asset stands for a *model family*, not for one tuned model:
``gemini-tuned-model://<family>``. Tuned model ids are usually templated (one id
per run, see
:func:`~airflow_provider_tunedmodels.tuning_policy.deterministic_tuned_model_id`),
while a DAG's schedule and a task's outlets are fixed when the DAG is parsed. An
asset per concrete id could never be scheduled on; an asset per family is one
stable name that both DAGs write down, and every time a new model of the family
becomes ACTIVE its asset event carries the concrete model in ``extra``::

    {"tuned_model": "tunedModels/support-router-20250101-3f0c9e1a2b",
     "tuned_model_id": "support-router-20250101-3f0c9e1a2b",
     "state": "ACTIVE", "base_model": "models/gemini-1.5-flash-001-tuning",
     "display_name": "support router", "reused": False}

A consumer reads it from ``triggering_asset_events``::

    from airflow_provider_tunedmodels.assets import tuned_model_asset

    SUPPORT_ROUTER = tuned_model_asset("support-router")

    @dag(schedule=[SUPPORT_ROUTER])
    def evaluate_new_router():
        @task
        def evaluate(triggering_asset_events=None):
            event = triggering_asset_events[SUPPORT_ROUTER][-1]
            model = event.extra["tuned_model"]
            ...

Airflow accepts the scheme as it is and stores the URI as
``gemini-tuned-model://<family>/``. Registering :func:`normalize_uri` under
``asset-uris`` in the provider info keeps exactly that form and makes Airflow
reject malformed URIs of this scheme too (a path, a query, no family).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from urllib.parse import SplitResult

    from airflow.sdk import Asset

    from airflow_provider_tunedmodels.models.gemini import TunedModel

__all__ = [
    "ASSET_SCHEME",
    "VERTEX_ASSET_SCHEME",
    "asset_event_extra",
    "attach_asset_events",
    "is_tuned_model_asset",
    "normalize_uri",
    "tuned_model_asset",
    "vertex_tuned_model_asset",
]

#: URI scheme of Gemini API tuned-model assets.
ASSET_SCHEME: Final = "gemini-tuned-model"
#: URI scheme of Vertex AI tuned-model assets.
VERTEX_ASSET_SCHEME: Final = "vertex-tuned-model"
_SCHEMES: Final = (ASSET_SCHEME, VERTEX_ASSET_SCHEME)
#: A family name: letters, digits, ``_``, ``.`` and ``-``, starting with a letter or digit.
_FAMILY_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,249}")


def tuned_model_asset(family: str, *, scheme: str = ASSET_SCHEME) -> Asset:
    """The asset of a model family: ``gemini-tuned-model://<family>``.

    Use the same call in the producing and the consuming DAG.

    :param family: a stable name, e.g. ``"support-router"``; letters, digits,
        ``_``, ``.`` and ``-``, up to 250 characters.
    :param scheme: the backend's scheme (:func:`vertex_tuned_model_asset` for Vertex AI).
    :raises ValueError: the family name cannot be part of a URI as it is.
    """
    from airflow.sdk import Asset

    if scheme not in _SCHEMES:
        raise ValueError(f"asset scheme {scheme!r}: use one of {', '.join(_SCHEMES)}")
    if not _FAMILY_PATTERN.fullmatch(family):
        raise ValueError(
            f"model family {family!r}: use letters, digits, '_', '.' and '-' (starting with a "
            "letter or digit, at most 250 characters)"
        )
    return Asset(uri=f"{scheme}://{family}")


def vertex_tuned_model_asset(family: str) -> Asset:
    """The asset of a Vertex AI model family: ``vertex-tuned-model://<family>``.

    Its events carry the tuned model (``model@version``), its endpoint, the default
    checkpoint and the evaluation metrics in ``extra``.
    """
    return tuned_model_asset(family, scheme=VERTEX_ASSET_SCHEME)


def is_tuned_model_asset(outlet: object) -> bool:
    """Whether ``outlet`` is an asset made by :func:`tuned_model_asset`."""
    uri = getattr(outlet, "uri", None)
    return isinstance(uri, str) and uri.startswith(tuple(f"{scheme}://" for scheme in _SCHEMES))


def asset_event_extra(model: TunedModel, *, reused: bool = False) -> dict[str, Any]:
    """The JSON-safe ``extra`` of the asset event for an ACTIVE model."""
    return {
        "tuned_model": model.name,
        "tuned_model_id": model.tuned_model_id,
        "state": str(getattr(model.state, "value", model.state)),
        "base_model": model.source_model,
        "display_name": model.display_name,
        "reused": reused,
    }


def attach_asset_events(
    outlets: object, outlet_events: Mapping[Any, Any] | Any, extra: dict[str, Any]
) -> int:
    """Put ``extra`` on the events of every tuned-model asset among ``outlets``; return how many."""
    count = 0
    for outlet in outlets if isinstance(outlets, (list, tuple)) else []:
        if is_tuned_model_asset(outlet):
            outlet_events[outlet].extra = dict(extra)
            count += 1
    return count


def normalize_uri(parts: SplitResult) -> SplitResult:
    """Airflow's URI handler for ``gemini-tuned-model://<family>``.

    :raises ValueError: the URI has no family, or has a path, query or credentials.
    """
    family, scheme = parts.netloc, parts.scheme
    if not family or not _FAMILY_PATTERN.fullmatch(family):
        raise ValueError(f"{scheme} URI needs a family: {scheme}://<family>")
    if parts.path not in ("", "/") or parts.query:
        raise ValueError(
            f"{scheme} URIs name a family only ({scheme}://<family>); the "
            "concrete tuned model belongs in the asset event's extra"
        )
    return parts._replace(path="/", fragment="")
