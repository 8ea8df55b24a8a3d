"""Google's google-cloud-aiplatform, over REST, works unchanged against the emulator.

google-cloud-aiplatform pins ``google-genai<3``, so it runs from an environment of
its own (``.ci/side_env.py aiplatform``): this module starts the emulator from the
project's environment, runs ``aiplatform_scenarios.py`` there once, and checks
what the client saw against what the emulator holds. It skips only when that
environment cannot be made for a reason outside the project (no network to the
package index, say), and says why; with ``CI=true`` it fails instead.

What the scenarios exercise: ``vertexai.tuning.sft.train`` and ``refresh()`` until
done (with the experiment ``GET``), generation on the tuned endpoint, listing,
``cancel()`` and ``rebase_tuned_model``; then ``GenAiTuningServiceClient`` of
both ``aiplatform_v1`` and ``aiplatform_v1beta1``: create, get, list (by page and
with a label filter), cancel, ``rebase_tuned_model`` and the operation's get,
list, wait and cancel under ``/ui/``. Every call authenticates with the
self-signed JWTs the client makes from a service-account key.
"""

from __future__ import annotations

import dataclasses
import fcntl
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import google.auth.transport.requests
import httpx
import pytest
from google.oauth2 import service_account

from airflow_provider_tunedmodels.emulator.testing import RunningEmulator, run_emulator
from tests.emulator.vertex.support import (
    CLOUD_PLATFORM,
    LOCATION,
    TRAIN_URI,
    jsonl,
    supervised_lines,
)

ROOT = Path(__file__).resolve().parents[3]
ENVIRONMENT_SCRIPT = ROOT / ".ci" / "side_env.py"
SCENARIOS = Path(__file__).with_name("aiplatform_scenarios.py")
#: Exit status of ``.ci/side_env.py`` when the cause lies outside the project.
UNAVAILABLE = 75
MISSING_URI = "gs://tuning-data/missing.jsonl"
PROJECTS = {
    "sdk": "aiplatform-sdk",
    "v1": "aiplatform-gapic-v1",
    "v1beta1": "aiplatform-gapic-v1beta1",
}
VERSIONS = ("v1", "v1beta1")
TYPE = "type.googleapis.com/google.cloud.aiplatform.{}.{}"
#: Making the environment takes one to two minutes the first time, nothing afterwards.
pytestmark = [pytest.mark.emulator, pytest.mark.timeout(900)]


@dataclass
class Observed:
    """What google-cloud-aiplatform returned, and the jobs the emulator holds afterwards."""

    client: dict[str, Any]
    server_jobs: dict[str, list[dict[str, Any]]]  # by scenario, newest first

    def job(self, name: str) -> dict[str, Any]:
        """The emulator's view of the job ``name``."""
        for jobs in self.server_jobs.values():
            for job in jobs:
                if job["name"] == name:
                    return job
        raise AssertionError(f"the emulator holds no job {name}")


def _not_runnable(reason: str) -> None:
    """Skip with ``reason`` on a developer machine; fail on CI, where it must run."""
    message = f"google-cloud-aiplatform client not tested: {reason}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message} (CI=true requires it)")
    pytest.skip(message)


@pytest.fixture(scope="module")
def aiplatform_python() -> Path:
    """The interpreter of google-cloud-aiplatform's environment, made if needed."""
    made = subprocess.run(
        [sys.executable, str(ENVIRONMENT_SCRIPT), "aiplatform"],
        capture_output=True,
        text=True,
        timeout=840,
        check=False,
    )
    if made.returncode == UNAVAILABLE:
        _not_runnable(made.stderr.strip().splitlines()[-1])
    assert made.returncode == 0, made.stderr
    return Path(made.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def observed(aiplatform_python: Path, tmp_path_factory: pytest.TempPathFactory) -> Observed:
    """What the scenarios observed: run once per test run, however many xdist workers.

    The workers of one run share the parent of their temporary directories: the first
    to get there runs the scenarios and leaves the results for the others.
    """
    if "PYTEST_XDIST_WORKER" not in os.environ:
        return _observe(aiplatform_python)
    shared = tmp_path_factory.getbasetemp().parent / "aiplatform-client-observed.json"
    with open(shared.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not shared.exists():
            shared.write_text(json.dumps(dataclasses.asdict(_observe(aiplatform_python))))
        return Observed(**json.loads(shared.read_text()))


def _observe(aiplatform_python: Path) -> Observed:
    """Run the scenarios against an emulator in a child process (no quota waits)."""
    with run_emulator(step_seconds=0.02, subprocess=True, concurrent_tuning_jobs=0) as emulator:
        emulator.put_object(TRAIN_URI, jsonl(supervised_lines(20)))
        info = emulator.service_account_info()
        config = {
            "base_url": emulator.base_url,
            "service_account_info": info,
            "location": LOCATION,
            "train_uri": TRAIN_URI,
            "missing_uri": MISSING_URI,
            "projects": PROJECTS,
        }
        # Only the client's own environment: nothing of the project's on its path.
        env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
        ran = subprocess.run(
            [str(aiplatform_python), str(SCENARIOS)],
            input=json.dumps(config),
            capture_output=True,
            text=True,
            timeout=300,
            env=env,
            check=False,
        )
        assert ran.returncode == 0, f"the scenarios failed:\n{ran.stderr[-6000:]}"
        return Observed(json.loads(ran.stdout), _server_jobs(emulator, info))


def _server_jobs(emulator: RunningEmulator, info: dict[str, Any]) -> dict[str, list[Any]]:
    """Every job of each scenario's project, listed by the emulator (newest first)."""
    credentials = service_account.Credentials.from_service_account_info(
        info, scopes=[CLOUD_PLATFORM]
    )
    credentials.refresh(google.auth.transport.requests.Request())
    headers = {"authorization": f"Bearer {credentials.token}"}
    with httpx.Client(base_url=emulator.base_url, headers=headers, trust_env=False) as http:
        jobs = {}
        for scenario, project in PROJECTS.items():
            answer = http.get(f"/v1/projects/{project}/locations/{LOCATION}/tuningJobs")
            assert answer.status_code == 200, answer.text
            jobs[scenario] = answer.json()["tuningJobs"]
        return jobs


# -- vertexai.tuning.sft ---------------------------------------------------------------


def test_sft_train_then_refresh_until_succeeded(observed: Observed) -> None:
    sdk = observed.client["sdk"]
    job = observed.job(sdk["job"])
    assert sdk["created_state"] == "JOB_STATE_PENDING"
    assert sdk["states"][-1] == "JOB_STATE_SUCCEEDED"
    assert set(sdk["states"]) <= {"JOB_STATE_PENDING", "JOB_STATE_RUNNING", "JOB_STATE_SUCCEEDED"}
    assert sdk["has_succeeded"] is True
    assert sdk["tuned_model"] == job["tunedModel"]["model"]
    assert sdk["endpoint"] == job["tunedModel"]["endpoint"]
    assert sdk["checkpoint_epochs"] == [1, 2]
    assert sdk["adapter_size"] == "ADAPTER_SIZE_FOUR"
    assert sdk["labels"] == {"suite": "aiplatform"}
    assert sdk["example_count"] == 20
    assert sdk["experiment"] == job["experiment"]  # refresh() fetched its context
    assert sdk["reattached_state"] == "JOB_STATE_SUCCEEDED"
    assert sdk["listed"] == [sdk["job"]]  # listed before any other job of the project
    assert sdk["answer"] == "answer to 4"


def test_sft_cancel(observed: Observed) -> None:
    assert observed.client["sdk"]["cancelled"] == {"state": "JOB_STATE_CANCELLED", "error_code": 1}


def test_sdk_rebase_polls_its_operation_until_the_new_job_is_done(observed: Observed) -> None:
    sdk = observed.client["sdk"]
    rebased = sdk["rebased"]
    job = observed.job(rebased["job"])
    assert rebased["state"] == job["state"] == "JOB_STATE_SUCCEEDED"
    assert rebased["base_model"] == job["baseModel"] != "gemini-2.5-flash"
    model, _, version = rebased["tuned_model"].partition("@")
    assert (model, version) == (sdk["tuned_model"].partition("@")[0], "2")


def test_the_client_signs_its_own_tokens(observed: Observed) -> None:
    # The emulator verified self-signed service-account JWTs: no token endpoint was called.
    assert observed.client["token_endpoint_calls"] == []


# -- GenAiTuningServiceClient ------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_service_client_create_get_and_fail(observed: Observed, version: str) -> None:
    seen = observed.client[version]
    assert seen["created"]["state"] == "JOB_STATE_PENDING"
    job = observed.job(seen["created"]["name"])
    succeeded = seen["succeeded"]
    assert succeeded["state"] == "JOB_STATE_SUCCEEDED"
    assert succeeded["tuned_model"] == job["tunedModel"]["model"]
    assert succeeded["endpoint"] == job["tunedModel"]["endpoint"]
    assert succeeded["experiment"] == job["experiment"]
    assert succeeded["checkpoint_epochs"] == [1, 2]
    assert succeeded["adapter_size"] == "ADAPTER_SIZE_FOUR"
    failed = seen["failed"]
    assert (failed["state"], failed["error_code"]) == ("JOB_STATE_FAILED", 3)
    assert MISSING_URI in failed["error_message"]
    assert observed.job(failed["name"])["error"]["message"] == failed["error_message"]


@pytest.mark.parametrize("version", VERSIONS)
def test_service_client_cancel(observed: Observed, version: str) -> None:
    cancel = observed.client[version]["cancel"]
    assert cancel["state_after_cancel"] in ("JOB_STATE_CANCELLING", "JOB_STATE_CANCELLED")
    assert (cancel["state"], cancel["error_code"]) == ("JOB_STATE_CANCELLED", 1)
    assert observed.job(cancel["name"])["state"] == "JOB_STATE_CANCELLED"


@pytest.mark.parametrize("version", VERSIONS)
def test_service_client_lists_page_by_page_and_by_label(observed: Observed, version: str) -> None:
    seen = observed.client[version]
    pages = seen["listed_by_page"]
    assert all(len(page) == 1 for page in pages)
    listed = [name for page in pages for name in page]
    # The jobs that existed then, newest first, as the emulator still lists them.
    assert listed == [seen["cancel"]["name"], seen["failed"]["name"], seen["created"]["name"]]
    held = [job["name"] for job in observed.server_jobs[version] if job["name"] in listed]
    assert held == listed
    assert seen["listed_search_team"] == [seen["created"]["name"]]


@pytest.mark.parametrize("version", VERSIONS)
def test_service_client_rebase_and_its_operation(observed: Observed, version: str) -> None:
    seen = observed.client[version]
    rebase = seen["rebase"]
    assert rebase["metadata_type"] == TYPE.format(version, "RebaseTunedModelOperationMetadata")
    assert rebase["metadata_message"] == "RebaseTunedModelOperationMetadata"
    assert rebase["metadata_has_create_time"] is True
    assert rebase["operation"].startswith(rebase["job"] + "/operations/")
    job = observed.job(rebase["job"])
    assert rebase["job_state"] == job["state"] == "JOB_STATE_SUCCEEDED"
    assert rebase["job_base_model"] == job["baseModel"] != "gemini-2.0-flash-001"
    model, _, version_id = rebase["tuned_model"].partition("@")
    assert (model, version_id) == (seen["succeeded"]["tuned_model"].partition("@")[0], "2")
    assert rebase["get_done"] is True
    assert rebase["get_response_type"] == TYPE.format(version, "TuningJob")
    assert rebase["listed"] == [rebase["operation"]]
    assert rebase["wait_done"] is True


@pytest.mark.parametrize("version", VERSIONS)
def test_cancelling_a_rebase_operation_cancels_its_job(observed: Observed, version: str) -> None:
    cancelled = observed.client[version]["rebase_cancelled"]
    assert cancelled["error"] == "Cancelled"
    assert cancelled["error_message"] == "The tuning job was cancelled."
    assert cancelled["cancelled"] is True
    job_name = cancelled["operation"].partition("/operations/")[0]
    assert observed.job(job_name)["state"] == "JOB_STATE_CANCELLED"
