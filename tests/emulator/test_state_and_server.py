"""State file persistence, the command line, subprocess mode, clean shutdown, the pytest plugin."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import httpx

from airflow_provider_tunedmodels.emulator.__main__ import build_parser, config_from_args
from airflow_provider_tunedmodels.emulator.config import DEFAULT_API_KEY
from airflow_provider_tunedmodels.emulator.server import redact
from airflow_provider_tunedmodels.emulator.testing import run_emulator
from tests.emulator.support import Api, create_body

ROOT = Path(__file__).resolve().parents[2]


def test_state_file_keeps_models_operations_and_permissions(tmp_path: Path) -> None:
    state = tmp_path / "state" / "emulator.json"
    with run_emulator(step_seconds=0.002, api_key="k1", state_file=str(state)) as emulator:
        api = Api(emulator.base_url, "k1")
        model = api.tuned(create_body(6, displayName="persisted"))
        running = api.create(create_body(20, epochs=100, batch=1))
        grant = api.post(
            f"/v1beta/{model}/permissions",
            json={"emailAddress": "bob@example.com", "role": "READER"},
        )
        assert grant.status_code == 200
        before = api.get(f"/v1beta/{model}").json()
        operation = api.get(f"/v1beta/{model}/operations").json()["operations"][0]
        api.close()
    assert json.loads(state.read_text())["version"] == 2
    with run_emulator(
        step_seconds=0.002, api_key="k1", state_file=str(state), subprocess=True
    ) as emulator:
        api = Api(emulator.base_url, "k1")
        assert api.get(f"/v1beta/{model}").json() == before
        assert api.get(f"/v1beta/{operation['name']}").json() == operation
        assert api.get(f"/v1beta/{grant.json()['name']}").json() == grant.json()
        again = api.post(
            f"/v1beta/{model}:generateContent", json={"contents": [{"parts": [{"text": "3"}]}]}
        )
        assert again.json()["candidates"][0]["content"]["parts"][0]["text"] == "4"
        # a tuning that was running keeps its schedule across the restart
        assert api.get(f"/v1beta/{running['name']}").json()["metadata"]["totalSteps"] == 2000
        api.delete(f"/v1beta/{model}")
        api.close()
    assert all(
        m["id"] != model.removeprefix("tunedModels/")
        for m in json.loads(state.read_text())["sections"]["gemini"]["models"]
    )


def test_a_version_1_state_file_is_read_as_the_gemini_section(tmp_path: Path) -> None:
    state = tmp_path / "emulator.json"
    with run_emulator(step_seconds=0.002, api_key="k1", state_file=str(state)) as emulator:
        api = Api(emulator.base_url, "k1")
        model = api.tuned(create_body(6, displayName="older"))
        before = api.get(f"/v1beta/{model}").json()
        api.close()
    sections = json.loads(state.read_text())["sections"]
    state.write_text(json.dumps({"version": 1, "models": sections["gemini"]["models"]}))
    with run_emulator(step_seconds=0.002, api_key="k1", state_file=str(state)) as emulator:
        api = Api(emulator.base_url, "k1")
        assert api.get(f"/v1beta/{model}").json() == before
        api.close()


def test_subprocess_mode_serves_the_same_api() -> None:
    with run_emulator(subprocess=True, rate_503=1.0) as emulator:
        api = Api(emulator.base_url, emulator.api_key)
        assert api.get("/v1beta/models").status_code == 503
        emulator.reset_faults()
        assert api.get("/v1beta/models").status_code == 200
        assert api.post(emulator.token_uri, data={"grant_type": "x"}).status_code == 400
        api.close()


def test_thread_mode_leaves_no_thread_or_listening_port() -> None:
    before = {thread.ident for thread in threading.enumerate()}
    with run_emulator() as emulator:
        port = int(emulator.base_url.rsplit(":", 1)[1])
        assert (
            httpx.get(f"{emulator.base_url}/_emulator/health", trust_env=False).status_code == 200
        )
    assert {thread.ident for thread in threading.enumerate()} <= before
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0


def test_command_line_options() -> None:
    args = build_parser().parse_args(
        [
            "--api-key",
            "a=alice@example.com",
            "--api-key",
            "b",
            "--fault",
            "503=0.5,route=tunedModels.get",
            "--step-seconds",
            "0.5",
            "--token-lifetime",
            "60",
            "--seed",
            "4",
            "--concurrent-tuning-jobs",
            "5",
            "--fault",
            "expiry=1,route=projects.locations.tuningJobs.create",
        ]
    )
    config = config_from_args(args)
    assert config.concurrent_tuning_jobs == 5
    assert config.faults[1].kind == "expiry"
    assert config.api_keys == {"a": "alice@example.com", "b": "user@example.com"}
    assert config.faults[0].kind == "503"
    assert (config.step_seconds, config.token_lifetime, config.seed) == (0.5, 60.0, 4)
    assert args.host == "127.0.0.1"
    assert config_from_args(build_parser().parse_args([])).api_keys == {
        DEFAULT_API_KEY: "user@example.com"
    }


def test_redaction_of_secrets_in_urls() -> None:
    assert (
        redact("/v1beta/tunedModels?key=SECRET&pageSize=2")
        == "/v1beta/tunedModels?key=REDACTED&pageSize=2"
    )
    assert redact("/x?access_token=ya29.abc&key=k") == "/x?access_token=REDACTED&key=REDACTED"


def test_console_script_access_log_never_shows_keys(tmp_path: Path) -> None:
    secret = "very-secret-key-123"
    log = tmp_path / "stderr.log"
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "airflow_provider_tunedmodels.emulator",
                "--port",
                "0",
                "--access-log",
                "--api-key",
                f"{secret}=alice@example.com",
            ],
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
        try:
            assert process.stdout is not None
            line = process.stdout.readline()
            assert line.startswith("tunedmodels-emulator listening on http://127.0.0.1:")
            base_url = line.split()[-1]
            ok = httpx.get(
                f"{base_url}/v1beta/tunedModels", params={"key": secret}, trust_env=False
            )
            assert ok.status_code == 200
            assert (
                httpx.get(
                    f"{base_url}/v1beta/tunedModels",
                    params={"key": "wrong-" + secret},
                    trust_env=False,
                ).status_code
                == 400
            )
        finally:
            process.terminate()
            process.wait(timeout=15)
            if process.stdout is not None:
                process.stdout.close()
    written = log.read_text()
    assert "/v1beta/tunedModels?key=REDACTED" in written
    assert secret not in written


def test_pytest_plugin_fixture(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(
        'pytest_plugins = ["airflow_provider_tunedmodels.emulator.pytest_plugin"]\n'
    )
    (tmp_path / "test_uses_plugin.py").write_text(
        "import httpx\n\n"
        "def test_first(tunedmodels_emulator):\n"
        "    url = tunedmodels_emulator.base_url + '/v1beta/tunedModels'\n"
        "    headers = {'x-goog-api-key': tunedmodels_emulator.api_key}\n"
        "    body = {'baseModel': 'models/gemini-1.5-flash-001-tuning', 'tuningTask': {'trainingData':"
        " {'examples': {'examples': [{'textInput': 'a', 'output': 'b'}]}}}}\n"
        "    assert httpx.post(url, json=body, headers=headers, trust_env=False).status_code == 200\n\n"
        "def test_second_starts_empty(tunedmodels_emulator):\n"
        "    url = tunedmodels_emulator.base_url + '/v1beta/tunedModels'\n"
        "    headers = {'x-goog-api-key': tunedmodels_emulator.api_key}\n"
        "    assert httpx.get(url, headers=headers, trust_env=False).json() == {}\n"
    )
    (tmp_path / "pytest.ini").write_text("[pytest]\ntunedmodels_emulator_step_seconds = 0.002\n")
    # No third-party plugin autoloading: the run only needs the emulator's own plugin.
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout


def test_importing_is_cheap_and_never_loads_airflow_or_the_client_code() -> None:
    code = (
        "import sys\n"
        "import airflow_provider_tunedmodels.emulator as e\n"
        "heavy = ('starlette', 'uvicorn', 'cryptography', 'airflow', 'httpx', 'pydantic')\n"
        "assert not [m for m in heavy if m in sys.modules]\n"
        "assert callable(e.run_emulator)\n"
        "import airflow_provider_tunedmodels.emulator.app\n"
        "import airflow_provider_tunedmodels.emulator.__main__\n"
        "import airflow_provider_tunedmodels.emulator.pytest_plugin\n"
        "assert 'airflow' not in sys.modules\n"
        "own = ('airflow_provider_tunedmodels', 'airflow_provider_tunedmodels.emulator')\n"
        "loaded = [m for m in sys.modules if m.startswith('airflow_provider_tunedmodels')]\n"
        "assert all(m in own or m.startswith(own[1] + '.') for m in loaded), loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
