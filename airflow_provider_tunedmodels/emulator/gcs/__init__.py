"""A subset of the Cloud Storage JSON API, served at the emulator's base URL.

Tuning jobs read their datasets from Cloud Storage, so an offline pipeline needs a
storage endpoint beside the tuning API. This one covers what Google's
``google-cloud-storage`` client and the provider's staging hook use: buckets
(create, get, list, delete), media, multipart and resumable uploads, object
metadata, downloads with ``Range``, listing with prefix and delimiter, and
deletion. See ``README.md`` in this package for the routes and behaviour.

The application adds the routes with one call::

    self.storage = gcs.register(self._add, config.storage, state_file=config.state_file)

and other emulated services read datasets with :meth:`ObjectStore.read_object`.
"""

from __future__ import annotations

import os

from airflow_provider_tunedmodels.emulator.gcs.config import StorageConfig
from airflow_provider_tunedmodels.emulator.gcs.routes import AddRoute, StorageApi
from airflow_provider_tunedmodels.emulator.gcs.store import ObjectStore

__all__ = ["ObjectStore", "StorageConfig", "register"]


def register(
    add: AddRoute,
    config: StorageConfig | None = None,
    *,
    state_file: str | os.PathLike[str] | None = None,
) -> ObjectStore:
    """Create the object store and add its routes through the application's ``add``.

    :param add: the application's route-adding function.
    :param config: memory bound and spill settings.
    :param state_file: the emulator's state file; objects are then kept beside it.
    :return: the store, whose :meth:`~ObjectStore.read_object` other services use.
    """
    store = ObjectStore(config, state_file=state_file)
    StorageApi(store).register(add)
    return store
