"""A subset of the Cloud Storage JSON API, served at the emulator's base URL.

Tuning jobs read their datasets from Cloud Storage, so an offline pipeline needs a
storage endpoint beside the tuning API. This one covers what Google's
``google-cloud-storage`` client and the provider's staging hook use: buckets
(create, get, list, delete), media, multipart and resumable uploads, object
metadata, downloads with ``Range``, listing with prefix and delimiter, and
deletion. See ``README.md`` in this package for the routes and behaviour.

Registered like every API package (:mod:`~airflow_provider_tunedmodels.emulator.apis`);
its store becomes the server's :attr:`ServerContext.read_object
<airflow_provider_tunedmodels.emulator.context.ServerContext.read_object>`, which the
Vertex AI tuning jobs read their datasets through.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_provider_tunedmodels.emulator.gcs.config import StorageConfig
from airflow_provider_tunedmodels.emulator.gcs.routes import StorageApi
from airflow_provider_tunedmodels.emulator.gcs.store import ObjectStore

if TYPE_CHECKING:
    from airflow_provider_tunedmodels.emulator.context import ServerContext
    from airflow_provider_tunedmodels.emulator.router import Router

__all__ = ["STATE_SECTION", "ObjectStore", "StorageConfig", "register"]


def register(router: Router, context: ServerContext) -> None:
    """Create the object store, add its routes, and make it the server's object reader."""
    store = ObjectStore(context.config.storage, state_file=context.config.state_file)
    StorageApi(store).register(router)
    context.storage = store
    context.read_object = store.read_object
    context.state.add_section(STATE_SECTION, _ResetOnly(store))


#: The storage's entry in the state file (the store keeps objects beside the file itself).
STATE_SECTION = "storage"


class _ResetOnly:
    """The store as a state-file section: it persists itself, but resets with the rest."""

    def __init__(self, store: ObjectStore) -> None:
        self._store = store

    def dump(self) -> dict[str, Any]:
        return {}

    def restore(self, data: dict[str, Any]) -> None:
        return None

    def reset(self) -> None:
        self._store.reset()
