"""Google's google-cloud-aiplatform, over REST, against the bundled emulator.

Runs in google-cloud-aiplatform's own environment (``.ci/side_env.py aiplatform``), never
in the project's: that library pins ``google-genai<3``. It imports neither the
provider nor Airflow. ``test_aiplatform_client.py`` starts the emulator, runs this
script and checks what it printed.

Input, one JSON object on stdin (the service-account key stays out of ``ps``)::

    {"base_url": "http://127.0.0.1:PORT", "service_account_info": {...key JSON...},
     "location": "us-central1", "train_uri": "gs://...", "missing_uri": "gs://...",
     "projects": {"sdk": "...", "v1": "...", "v1beta1": "..."}}

Output, one JSON object on stdout: for each scenario, what the client returned
(resource names, state names, error codes, types of unpacked messages). Whatever
the libraries print goes to stderr, so stdout holds that document only.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from typing import Any, TextIO, TypeVar

import google.oauth2._client
from google.api_core import exceptions
from google.api_core.client_options import ClientOptions
from google.cloud import aiplatform, aiplatform_v1, aiplatform_v1beta1
from google.oauth2 import service_account
from vertexai.generative_models import GenerativeModel
from vertexai.preview.tuning import sft as preview_sft
from vertexai.tuning import sft

CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"
BASE_MODEL = "gemini-2.5-flash"
#: Epochs of a job that is still running when the scenario cancels it.
LONG_EPOCHS = 400
#: How long any one wait may take before the scenario gives up.
DEADLINE_SECONDS = 60.0
_ENDED = {"JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED", "JOB_STATE_EXPIRED"}
T = TypeVar("T")


def main() -> int:
    config = json.load(sys.stdin)
    report = _stdout_for_the_report_only()
    token_endpoint_calls = _count_token_endpoint_calls()
    observed = {
        "sdk": sdk_scenario(config),
        "v1": service_client_scenario(config, aiplatform_v1),
        "v1beta1": service_client_scenario(config, aiplatform_v1beta1),
        "token_endpoint_calls": token_endpoint_calls,
    }
    report.write(json.dumps(observed, indent=2, sort_keys=True) + "\n")
    report.close()
    return 0


def _stdout_for_the_report_only() -> TextIO:
    """A file on the original stdout; whatever else writes to stdout goes to stderr.

    Done on the file descriptors: aiplatform's log handlers keep the stdout they found.
    """
    sys.stdout.flush()
    report = os.fdopen(os.dup(sys.stdout.fileno()), "w")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    return report


def _count_token_endpoint_calls() -> list[str]:
    """Record each call google-auth makes to a token endpoint (the call still happens).

    google-cloud-aiplatform signs its own JWTs (``always_use_jwt_access``), so the
    list should stay empty: the emulator must accept those JWTs as bearer tokens.
    """
    calls: list[str] = []
    original = google.oauth2._client.jwt_grant

    def counting(request: Any, token_uri: str, assertion: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(token_uri)
        return original(request, token_uri, assertion, *args, **kwargs)

    google.oauth2._client.jwt_grant = counting
    return calls


def _credentials(config: dict[str, Any]) -> service_account.Credentials:
    return service_account.Credentials.from_service_account_info(
        config["service_account_info"], scopes=[CLOUD_PLATFORM]
    )


def _until(read: Callable[[], T], done: Callable[[T], bool], what: str) -> T:
    """Call ``read`` until ``done`` holds for its answer; give up after the deadline."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    while True:
        value = read()
        if done(value):
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not happen within {DEADLINE_SECONDS} s: {value}")
        time.sleep(0.02)


# -- vertexai.tuning.sft ---------------------------------------------------------------


def sdk_scenario(config: dict[str, Any]) -> dict[str, Any]:
    """``sft.train`` then ``refresh()`` until done, generation, list, ``cancel()``, rebase."""
    aiplatform.init(
        project=config["projects"]["sdk"],
        location=config["location"],
        api_transport="rest",
        api_endpoint=config["base_url"],
        credentials=_credentials(config),
    )
    job = sft.train(
        source_model=BASE_MODEL,
        train_dataset=config["train_uri"],
        epochs=2,
        adapter_size=4,
        learning_rate_multiplier=1.0,
        tuned_model_display_name="aiplatform-sdk",
        labels={"suite": "aiplatform"},
    )
    created_state = job.state.name
    states = [created_state]
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not job.has_ended:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{job.resource_name} did not end: {job.state.name}")
        time.sleep(0.02)
        job.refresh()
        if job.state.name != states[-1]:
            states.append(job.state.name)
    resource = job.gca_resource
    stats = job.tuning_data_statistics.supervised_tuning_data_stats
    experiment = job.experiment
    endpoint = job.tuned_model_endpoint_name
    return {
        "job": job.resource_name,
        "created_state": created_state,
        "states": states,
        "has_succeeded": job.has_succeeded,
        "tuned_model": job.tuned_model_name,
        "endpoint": endpoint,
        "checkpoint_epochs": [int(c.epoch) for c in resource.tuned_model.checkpoints],
        "adapter_size": resource.supervised_tuning_spec.hyper_parameters.adapter_size.name,
        "labels": dict(resource.labels),
        "example_count": stats.tuning_dataset_example_count,
        "experiment": experiment.resource_name if experiment is not None else None,
        "reattached_state": sft.SupervisedTuningJob(job.resource_name).state.name,
        "listed": [listed.resource_name for listed in sft.SupervisedTuningJob.list()],
        "answer": GenerativeModel(endpoint).generate_content("question 4").text,
        "cancelled": _sdk_cancel(config),
        "rebased": _sdk_rebase(job.resource_name),
    }


def _sdk_cancel(config: dict[str, Any]) -> dict[str, Any]:
    job = sft.train(source_model=BASE_MODEL, train_dataset=config["train_uri"], epochs=LONG_EPOCHS)
    job.cancel()
    ended = _until(job.refresh, lambda current: current.has_ended, f"cancel of {job.resource_name}")
    return {"state": ended.state.name, "error_code": ended.error.code}


def _sdk_rebase(tuning_job: str) -> dict[str, Any]:
    """``rebase_tuned_model`` (v1beta1): its operation is polled under ``/ui/`` until done."""
    rebased = preview_sft.rebase_tuned_model(tuned_model_ref=tuning_job)
    return {
        "job": rebased.resource_name,
        "state": rebased.state.name,
        "base_model": rebased.gca_resource.base_model,
        "tuned_model": rebased.tuned_model_name,
    }


# -- GenAiTuningServiceClient ------------------------------------------------------------


def service_client_scenario(config: dict[str, Any], module: Any) -> dict[str, Any]:
    """``GenAiTuningServiceClient`` of ``module`` (``aiplatform_v1`` or ``..._v1beta1``)."""
    version = module.__name__.rpartition("_")[2]
    client = module.GenAiTuningServiceClient(
        transport="rest",
        client_options=ClientOptions(api_endpoint=config["base_url"]),
        credentials=_credentials(config),
    )
    parent = f"projects/{config['projects'][version]}/locations/{config['location']}"

    def create(uri: str, epochs: int, team: str) -> Any:
        hyper_parameters = module.SupervisedHyperParameters(
            epoch_count=epochs,
            adapter_size=module.SupervisedHyperParameters.AdapterSize.ADAPTER_SIZE_FOUR,
        )
        spec = module.SupervisedTuningSpec(
            training_dataset_uri=uri, hyper_parameters=hyper_parameters
        )
        job = module.TuningJob(
            base_model="gemini-2.0-flash-001",
            supervised_tuning_spec=spec,
            tuned_model_display_name=f"gapic-{version}-{team}",
            labels={"team": team},
        )
        return client.create_tuning_job(parent=parent, tuning_job=job)

    def until_ended(name: str) -> Any:
        return _until(
            lambda: client.get_tuning_job(name=name),
            lambda job: job.state.name in _ENDED,
            f"end of {name}",
        )

    created = create(config["train_uri"], 2, "search")
    succeeded = until_ended(created.name)
    failed = until_ended(create(config["missing_uri"], 2, "data").name)
    running = create(config["train_uri"], LONG_EPOCHS, "ads")
    client.cancel_tuning_job(name=running.name)
    cancelling = client.get_tuning_job(name=running.name)
    cancelled = until_ended(running.name)
    pages = client.list_tuning_jobs(request={"parent": parent, "page_size": 1}).pages
    return {
        "created": {"name": created.name, "state": created.state.name},
        "succeeded": {
            "state": succeeded.state.name,
            "tuned_model": succeeded.tuned_model.model,
            "endpoint": succeeded.tuned_model.endpoint,
            "checkpoint_epochs": [int(c.epoch) for c in succeeded.tuned_model.checkpoints],
            "adapter_size": succeeded.supervised_tuning_spec.hyper_parameters.adapter_size.name,
            "experiment": succeeded.experiment,
        },
        "failed": {
            "name": failed.name,
            "state": failed.state.name,
            "error_code": failed.error.code,
            "error_message": failed.error.message,
        },
        "cancel": {
            "name": running.name,
            "state_after_cancel": cancelling.state.name,
            "state": cancelled.state.name,
            "error_code": cancelled.error.code,
        },
        "listed_by_page": [[job.name for job in page.tuning_jobs] for page in pages],
        "listed_search_team": [
            job.name
            for job in client.list_tuning_jobs(
                request={"parent": parent, "filter": 'labels.team="search"'}
            )
        ],
        "rebase": _rebase(client, module, parent, succeeded.name),
        "rebase_cancelled": _rebase_cancelled(client, parent, succeeded.name),
    }


def _rebase(client: Any, module: Any, parent: str, tuning_job: str) -> dict[str, Any]:
    """``rebase_tuned_model`` and its operation: result, get, list and wait."""
    request = module.RebaseTunedModelRequest(
        parent=parent, tuned_model_ref=module.TunedModelRef(tuning_job=tuning_job)
    )
    future = client.rebase_tuned_model(request=request)
    name = future.operation.name
    job = future.result(timeout=DEADLINE_SECONDS)
    fetched = client.get_operation(request={"name": name})
    listed = client.list_operations(request={"name": name.partition("/operations/")[0]})
    waited = client.wait_operation(request={"name": name, "timeout": {"seconds": 5}})
    return {
        "operation": name,
        "metadata_type": future.operation.metadata.type_url,
        "metadata_message": type(future.metadata).__name__,
        "metadata_has_create_time": future.metadata.generic_metadata.create_time is not None,
        "job": job.name,
        "job_state": job.state.name,
        "job_base_model": job.base_model,
        "tuned_model": job.tuned_model.model,
        "get_done": fetched.done,
        "get_response_type": fetched.response.type_url,
        "listed": [operation.name for operation in listed.operations],
        "wait_done": waited.done,
    }


def _rebase_cancelled(client: Any, parent: str, tuning_job: str) -> dict[str, Any]:
    """Cancelling a rebase operation cancels its job; the operation ends in ``CANCELLED``."""
    future = client.rebase_tuned_model(
        request={"parent": parent, "tuned_model_ref": {"tuning_job": tuning_job}}
    )
    client.cancel_operation(request={"name": future.operation.name})
    try:
        future.result(timeout=DEADLINE_SECONDS)
    except exceptions.GoogleAPICallError as error:
        return {
            "operation": future.operation.name,
            "error": type(error).__name__,
            "error_message": error.message,
            "cancelled": future.cancelled(),
        }
    raise AssertionError(f"{future.operation.name} was cancelled but succeeded")


if __name__ == "__main__":
    sys.exit(main())
