"""Seeded fault injection for reliability tests.

A fault rule has a ``kind``, a ``rate`` (probability per matching request), a
``route`` (a method id such as ``tunedModels.get``, a glob such as
``tunedModels.permissions.*``, or ``*`` for every API route; admin routes are
never faulted) and an optional ``count`` (fire at most that many times, so
``rate=1, count=2`` fails exactly the next two matching requests). Kinds:

``429``
    ``RESOURCE_EXHAUSTED`` with a ``Retry-After`` header (``retry_after`` seconds,
    default 1) and a ``RetryInfo`` detail. The real service sends whole seconds;
    a fractional ``retry_after`` is sent as written (e.g. ``0.01``) so that
    tests of retry logic stay fast.
``500``
    ``INTERNAL``.
``503``
    ``UNAVAILABLE`` (with ``Retry-After`` when ``retry_after`` is set).
``latency``
    Delay the answer by ``seconds``.
``drop``
    Close the connection without answering.
``tuning_failure``
    Checked when a tuning job is created. Gemini API (``tunedModels.create``):
    the job fails part-way, its operation ends with an ``INTERNAL`` error and
    the model becomes ``FAILED``. Vertex AI (``projects.locations.tuningJobs.create``
    and ``.rebaseTunedModel``): the job trains, uploads its model, then ends
    ``JOB_STATE_FAILED`` with error code 13 and no endpoint.
``dataset_failure``
    Vertex AI only: the job ends ``JOB_STATE_FAILED`` with error code 3 once
    its dataset has been processed, as for a dataset that fails validation.
``expiry``
    Vertex AI only: the job never starts and ends ``JOB_STATE_EXPIRED``.

Each rule draws from its own random stream seeded from the global seed and the
rule's position, so a given sequence of requests always meets the same faults.

On the command line a rule is written ``KIND=RATE[,key=value...]``, for example
``--fault 429=0.2,route=tunedModels.get,retry_after=2`` or
``--fault latency=1,seconds=0.05``.
"""

from __future__ import annotations

import fnmatch
import math
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from airflow_provider_tunedmodels.emulator.errors import ApiError

__all__ = [
    "FAULT_KINDS",
    "INTERNAL_MESSAGE",
    "OUTCOME_KINDS",
    "RESOURCE_EXHAUSTED_MESSAGE",
    "TUNING_FAILURE_MESSAGE",
    "UNAVAILABLE_MESSAGE",
    "FaultDecision",
    "FaultInjector",
    "FaultRule",
    "rules_from_kwargs",
]


#: Every fault kind.
FAULT_KINDS = (
    "429",
    "500",
    "503",
    "latency",
    "drop",
    "tuning_failure",
    "dataset_failure",
    "expiry",
)
#: Kinds that script how a tuning job ends (checked once, when the job is created).
OUTCOME_KINDS = ("tuning_failure", "dataset_failure", "expiry")
#: Message of the real service for a request refused by quota.
RESOURCE_EXHAUSTED_MESSAGE = "Resource has been exhausted (e.g. check quota)."
#: Message of the real service for an internal error.
INTERNAL_MESSAGE = (
    "An internal error has occurred. Please retry or report in "
    "https://developers.generativeai.google/guide/troubleshooting"
)
#: Message of the real service when it is overloaded.
UNAVAILABLE_MESSAGE = "The model is overloaded. Please try again later."
#: Message of a tuning job failed by fault injection.
TUNING_FAILURE_MESSAGE = "Tuning failed: the tuning job hit an internal error (injected fault)."


@dataclass(frozen=True)
class FaultRule:
    """One fault-injection rule."""

    kind: str
    rate: float = 1.0
    route: str = "*"
    seconds: float = 0.0
    retry_after: float | None = None
    count: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; expected one of {FAULT_KINDS}")
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError(f"fault rate must be between 0 and 1, got {self.rate}")
        durations = [self.seconds] + ([] if self.retry_after is None else [self.retry_after])
        if not all(0 <= duration < math.inf for duration in durations):
            raise ValueError("fault durations must be finite and not negative")
        if self.count is not None and self.count < 0:
            raise ValueError("fault count must not be negative")

    def to_json(self) -> dict[str, Any]:
        """Serialise for the admin API."""
        return {key: value for key, value in asdict(self).items() if value is not None}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FaultRule:
        """Build from an admin API object (``kind`` required)."""
        known = {"kind", "rate", "route", "seconds", "retry_after", "retryAfter", "count"}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown fault rule keys: {sorted(unknown)}")
        retry_after = data.get("retry_after", data.get("retryAfter"))
        return cls(
            kind=str(data["kind"]),
            rate=float(data.get("rate", 1.0)),
            route=str(data.get("route", "*")),
            seconds=float(data.get("seconds", 0.0)),
            retry_after=None if retry_after is None else float(retry_after),
            count=None if data.get("count") is None else int(data["count"]),
        )

    @classmethod
    def parse(cls, spec: str) -> FaultRule:
        """Parse the command-line form ``KIND=RATE[,key=value...]``."""
        head, *options = [part.strip() for part in spec.split(",") if part.strip()]
        kind, _, rate = head.partition("=")
        data: dict[str, Any] = {"kind": kind, "rate": rate or 1.0}
        for option in options:
            key, sep, value = option.partition("=")
            if not sep:
                raise ValueError(f"fault option {option!r} must be key=value")
            data[key] = value
        return cls.from_json(data)


@dataclass(frozen=True)
class FaultDecision:
    """What to do to one request."""

    latency: float = 0.0
    error: ApiError | None = None
    drop: bool = False


_NO_FAULT = FaultDecision()


def rules_from_kwargs(
    *,
    rules: Iterable[FaultRule | Mapping[str, Any]] = (),
    rate_429: float = 0.0,
    rate_500: float = 0.0,
    rate_503: float = 0.0,
    rate_drop: float = 0.0,
    rate_tuning_failure: float = 0.0,
    rate_dataset_failure: float = 0.0,
    rate_expiry: float = 0.0,
    latency: float = 0.0,
    retry_after: float = 1.0,
) -> list[FaultRule]:
    """Rules from keyword shorthands (global) plus explicit per-route ``rules``."""
    out = [rule if isinstance(rule, FaultRule) else FaultRule.from_json(rule) for rule in rules]
    if latency:
        out.append(FaultRule("latency", seconds=latency))
    for kind, rate in (
        ("drop", rate_drop),
        ("429", rate_429),
        ("500", rate_500),
        ("503", rate_503),
        ("tuning_failure", rate_tuning_failure),
        ("dataset_failure", rate_dataset_failure),
        ("expiry", rate_expiry),
    ):
        if rate:
            out.append(
                FaultRule(kind, rate=rate, retry_after=retry_after if kind == "429" else None)
            )
    return out


@dataclass
class _ActiveRule:
    rule: FaultRule
    rng: random.Random
    remaining: int | None = field(default=None)

    def fires(self) -> bool:
        """Draw for one matching request (consumes the count when it fires)."""
        if self.remaining is not None and self.remaining <= 0:
            return False
        if self.rule.rate < 1.0 and self.rng.random() >= self.rule.rate:
            return False
        if self.remaining is not None:
            self.remaining -= 1
        return True


class FaultInjector:
    """Holds the active rules and decides the fate of each request."""

    def __init__(self, rules: Sequence[FaultRule] = (), *, seed: int = 0) -> None:
        self.seed = seed
        self._active: list[_ActiveRule] = []
        self.configure(rules)

    @property
    def rules(self) -> list[FaultRule]:
        """The configured rules."""
        return [active.rule for active in self._active]

    def configure(self, rules: Sequence[FaultRule], *, seed: int | None = None) -> None:
        """Replace every rule (and restart the random streams)."""
        if seed is not None:
            self.seed = seed
        self._active = [
            _ActiveRule(rule, random.Random(f"{self.seed}:{index}"), rule.count)
            for index, rule in enumerate(rules)
        ]

    def reset(self) -> None:
        """Remove every rule."""
        self._active = []

    def decide(self, route_id: str) -> FaultDecision:
        """Latency, error or drop for one request to ``route_id``."""
        if not self._active:
            return _NO_FAULT
        latency = 0.0
        for active in self._matching(route_id, ("latency",)):
            if active.fires():
                latency += active.rule.seconds
        for active in self._matching(route_id, ("drop", "429", "500", "503")):
            if active.fires():
                if active.rule.kind == "drop":
                    return FaultDecision(latency=latency, drop=True)
                return FaultDecision(latency=latency, error=_error_for(active.rule))
        return FaultDecision(latency=latency) if latency else _NO_FAULT

    def tuning_fails(self, route_id: str = "tunedModels.create") -> bool:
        """Whether a tuning job created now must fail."""
        return any(active.fires() for active in self._matching(route_id, ("tuning_failure",)))

    def scripted_outcome(self, route_id: str) -> str | None:
        """How a tuning job created now must end: a kind of :data:`OUTCOME_KINDS`, or ``None``."""
        for active in self._matching(route_id, OUTCOME_KINDS):
            if active.fires():
                return active.rule.kind
        return None

    def _matching(self, route_id: str, kinds: tuple[str, ...]) -> list[_ActiveRule]:
        return [
            active
            for active in self._active
            if active.rule.kind in kinds and fnmatch.fnmatchcase(route_id, active.rule.route)
        ]


def _error_for(rule: FaultRule) -> ApiError:
    headers: dict[str, str] = {}
    if rule.retry_after is not None:
        headers["retry-after"] = _format_seconds(rule.retry_after)
    if rule.kind == "429":
        headers.setdefault("retry-after", "1")
        details = [
            {
                "@type": "type.googleapis.com/google.rpc.RetryInfo",
                "retryDelay": f"{_format_seconds(rule.retry_after or 1)}s",
            }
        ]
        return ApiError(
            "RESOURCE_EXHAUSTED", RESOURCE_EXHAUSTED_MESSAGE, details=details, headers=headers
        )
    if rule.kind == "500":
        return ApiError("INTERNAL", INTERNAL_MESSAGE, headers=headers)
    return ApiError("UNAVAILABLE", UNAVAILABLE_MESSAGE, headers=headers)


def _format_seconds(seconds: float) -> str:
    return str(int(seconds)) if float(seconds).is_integer() else f"{seconds:g}"
