"""Fixtures of the operator tests: respx routes and their hook, the emulator's traffic and faults.

Modules that need other settings define fixtures of the same name.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator

import httpx
import pytest
import respx

from airflow_provider_tunedmodels.core.settings import ClientSettings
from airflow_provider_tunedmodels.emulator.testing import RunningEmulator
from airflow_provider_tunedmodels.hooks.gemini import GeminiTunedModelsHook
from tests.support.emulator import fast_retry
from tests.support.tuning_fakes import API_KEY, BASE_URL
from tests.traffic import Traffic


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    """respx routes under :data:`BASE_URL`; a request without a route fails the test."""
    with respx.mock(base_url=BASE_URL, assert_all_called=False) as router:
        yield router


@pytest.fixture(scope="module")
def mocked() -> Iterator[GeminiTunedModelsHook]:
    """A hook for the respx routes; one attempt per call, so a scripted error is final.

    respx answers inside httpx's transports, so nothing leaves the process: their
    TLS context trusts no CA, which keeps building a client cheap.
    """
    no_ca = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    hook = GeminiTunedModelsHook(
        settings=ClientSettings(base_url=BASE_URL, api_key=API_KEY, retry=fast_retry()),
        transport=httpx.HTTPTransport(verify=no_ca),
        async_transport=httpx.AsyncHTTPTransport(verify=no_ca),
    )
    yield hook
    hook.close()


@pytest.fixture
def traffic() -> Traffic:
    """Watches the requests of the hooks built with it (see :mod:`tests.traffic`)."""
    return Traffic()


@pytest.fixture
def faults(emulator: RunningEmulator) -> Iterator[RunningEmulator]:
    """The emulator, for a test that sets fault rules; they are removed afterwards."""
    yield emulator
    emulator.reset_faults()
