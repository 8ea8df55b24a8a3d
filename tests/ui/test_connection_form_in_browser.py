"""The connection form in a real browser: headless Chromium against a real Airflow API server.

A user opens *Admin > Connections*, adds a connection of our type through the
form, fills it for the bundled emulator, saves it and presses *Test* in the list;
the success message must appear. This is the path that broke in Airflow 3.3.2
(the list's *Test* button sends port 0 for a connection saved without a port,
and the API server refuses the test), so it is exercised end to end here.

Needs Debian's ``chromium`` and ``chromium-driver`` (``.ci/bootstrap.sh`` installs
them). Every wait is bounded; the whole module takes about a minute and a half.
Each backend's form is one :class:`FormCase`.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest

from airflow_provider_tunedmodels.emulator.testing import RunningEmulator
from tests.e2e.cluster import AirflowCluster, Topology

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
#: Seconds any one thing in the page may take to appear.
UI_WAIT = 30.0
T = TypeVar("T")

pytestmark = pytest.mark.timeout(420)


@dataclass(frozen=True)
class FormCase:
    """One connection type's form, and what to type into it to reach the emulator.

    :param type_label: the connection type as the form's type list names it.
    :param conn_type: the type stored.
    :param standard: standard field name to value, given the emulator.
    :param extra: extra field name to value, given the emulator.
    """

    type_label: str
    conn_type: str
    standard: Callable[[RunningEmulator], dict[str, str]]
    extra: Callable[[RunningEmulator], dict[str, str]] = field(default=lambda _: {})


def _host_and_port(emulator: RunningEmulator) -> dict[str, str]:
    host, port = emulator.base_url.rsplit(":", 1)
    return {"host": host, "port": port}


FORMS = [
    FormCase(
        type_label="Gemini API (tuned models)",
        conn_type="gemini_tuned_models",
        standard=_host_and_port,
        extra=lambda emulator: {"api_key": emulator.api_key},
    ),
]


@pytest.fixture(scope="module")
def api_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AirflowCluster]:
    """An Airflow API server alone, with connection tests enabled and everyone an admin."""
    import airflow_provider_tunedmodels

    settings = {
        "AIRFLOW__CORE__TEST_CONNECTION": "Enabled",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
        # The server must import this checkout of the provider, whatever is installed.
        "PYTHONPATH": str(Path(airflow_provider_tunedmodels.__file__).resolve().parents[1]),
    }
    cluster = AirflowCluster(
        Topology.web_ui(), tmp_path_factory.mktemp("dags"), extra_env=settings, startup_timeout=180
    )
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()
        cluster.remove_home()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium driven through chromedriver (Debian's packages)."""
    missing = [path for path in (CHROMIUM, CHROMEDRIVER) if not shutil.which(path)]
    if missing:
        pytest.fail(
            f"{', '.join(missing)} missing: install Debian's chromium and chromium-driver "
            "(bash .ci/bootstrap.sh does)"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    options.add_argument("--window-size=1400,2400")
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(UI_WAIT)
    try:
        yield driver
    finally:
        driver.quit()


def wait_for(find: Callable[[], T | None], what: str, timeout: float = UI_WAIT) -> T:
    """Poll ``find`` until it returns something; fail naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            found = find()
        except Exception:  # the page is still rendering
            found = None
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")


def button(driver: Any, text: str) -> Any:
    from selenium.webdriver.common.by import By

    return wait_for(
        lambda: next(
            (b for b in driver.find_elements(By.CSS_SELECTOR, "button") if b.text == text), None
        ),
        f"the {text!r} button",
    )


def field_named(driver: Any, name: str) -> Any:
    from selenium.webdriver.common.by import By

    return wait_for(lambda: driver.find_element(By.NAME, name), f"the form field {name!r}")


def add_connection(driver: Any, base_url: str, conn_id: str, case: FormCase, emulator: Any) -> None:
    """Fill the *Add Connection* form as a user would, and save it."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    driver.get(f"{base_url}/connections")
    button(driver, "Add Connection").click()
    field_named(driver, "connection_id").send_keys(conn_id)
    types = wait_for(
        lambda: driver.find_element(By.CSS_SELECTOR, "input[role=combobox]"), "the type list"
    )
    types.send_keys(case.type_label)
    wait_for(lambda: case.type_label in driver.page_source, f"{case.type_label!r} in the list")
    types.send_keys(Keys.ENTER)
    for name, value in case.standard(emulator).items():
        field_named(driver, name).send_keys(value)
    button(driver, "Extra Fields").click()
    for name, value in case.extra(emulator).items():
        wait_for(lambda n=name: field_named(driver, f"element_{n}").is_displayed(), name)
        field_named(driver, f"element_{name}").send_keys(value)
    button(driver, "Save").click()
    wait_for(
        lambda: driver.find_elements(By.XPATH, f"//td[normalize-space()='{conn_id}']"),
        f"{conn_id} in the connection list",
    )


def press_test_and_read_the_result(driver: Any) -> str:
    """Press the list's *Test* button and return the toast's text."""
    from selenium.webdriver.common.by import By

    wait_for(
        lambda: driver.find_element(By.CSS_SELECTOR, "button[aria-label='Test Connection']"),
        "the Test button",
    ).click()

    def toast() -> str | None:
        texts = [
            element.text
            for element in driver.find_elements(By.CSS_SELECTOR, "[role=status], [role=alert]")
            if element.text.startswith("Test Connection")
        ]
        return texts[0] if texts else None

    return wait_for(toast, "the test result")


@pytest.mark.long
@pytest.mark.parametrize("case", FORMS, ids=[case.conn_type for case in FORMS])
def test_a_connection_saved_through_the_form_passes_the_test_button(
    api_server: AirflowCluster, browser: Any, emulator: RunningEmulator, case: FormCase
) -> None:
    conn_id = f"{case.conn_type}_from_form"
    add_connection(browser, api_server.base_url, conn_id, case, emulator)

    message = press_test_and_read_the_result(browser)

    assert message.startswith("Test Connection Successful"), message
    assert f"Connection to {emulator.base_url}" in message
    assert emulator.api_key not in message
    stored = api_server._request("GET", f"/connections/{conn_id}")
    assert stored["conn_type"] == case.conn_type
    saved = {key: value for key, value in json.loads(stored["extra"]).items() if value is not None}
    assert set(saved) == set(case.extra(emulator)), "only what the user typed is stored"


def test_the_fields_typed_exist_in_the_provider_form() -> None:
    """The fields the browser test types exist in the provider's form (a cheap guard)."""
    from airflow_provider_tunedmodels.get_provider_info import get_provider_info

    forms = {c["connection-type"]: c for c in get_provider_info()["connection-types"]}
    for case in FORMS:
        form = forms[case.conn_type]
        assert case.type_label == form["hook-name"]
        assert set(case.extra(_FakeEmulator())) <= set(form["conn-fields"])  # type: ignore[arg-type]
        hidden = set(form["ui-field-behaviour"]["hidden-fields"])
        assert not set(case.standard(_FakeEmulator())) & hidden  # type: ignore[arg-type]


class _FakeEmulator:
    base_url = "http://127.0.0.1:1"
    api_key = "k"
