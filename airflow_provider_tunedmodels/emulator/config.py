"""Settings of an emulator instance."""

from __future__ import annotations

from dataclasses import dataclass, field

from airflow_provider_tunedmodels.emulator.auth import DEFAULT_USER_EMAIL
from airflow_provider_tunedmodels.emulator.faults import FaultRule
from airflow_provider_tunedmodels.emulator.gcs.config import StorageConfig

__all__ = [
    "DEFAULT_API_KEY",
    "DEFAULT_CONCURRENT_TUNING_JOBS",
    "EmulatorConfig",
    "parse_api_key",
    "parse_api_keys",
]


#: API key accepted when none is configured (documented, not a secret).
DEFAULT_API_KEY = "emulator-api-key"
#: Vertex AI tuning jobs that run at once per project by default (a small quota, so
#: that waiting for quota is exercised; raise it with ``--concurrent-tuning-jobs``).
DEFAULT_CONCURRENT_TUNING_JOBS = 2


@dataclass
class EmulatorConfig:
    """Everything that shapes an emulator instance."""

    #: Seconds per simulated tuning step.
    step_seconds: float = 0.05
    #: API key -> user email.
    api_keys: dict[str, str] = field(default_factory=lambda: {DEFAULT_API_KEY: DEFAULT_USER_EMAIL})
    #: Lifetime of issued access tokens, in seconds.
    token_lifetime: float = 3600.0
    #: JSON file keeping models, operations and permissions across restarts.
    state_file: str | None = None
    #: Seed of ids, loss curves and faults.
    seed: int = 0
    #: Fault-injection rules active at start.
    faults: list[FaultRule] = field(default_factory=list)
    #: Service-account key JSON files whose keys are trusted at start.
    service_account_files: list[str] = field(default_factory=list)
    #: Vertex AI tuning jobs that run at once in one project; more wait (0: no limit).
    concurrent_tuning_jobs: int = DEFAULT_CONCURRENT_TUNING_JOBS
    #: How Cloud Storage object contents are held (memory bound, spill files).
    storage: StorageConfig = field(default_factory=StorageConfig)


def parse_api_key(spec: str) -> tuple[str, str]:
    """``KEY`` or ``KEY=email`` -> (key, email)."""
    key, sep, email = spec.partition("=")
    key = key.strip()
    if not key:
        raise ValueError("an API key must not be empty")
    return key, (email.strip() if sep and email.strip() else DEFAULT_USER_EMAIL)


def parse_api_keys(specs: str) -> dict[str, str]:
    """A comma-separated list of ``KEY[=email]`` entries."""
    return dict(parse_api_key(spec) for spec in specs.split(",") if spec.strip())
