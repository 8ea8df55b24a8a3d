"""Evaluate examples one at a time against one or more models, and tally the scores.

The pieces here do no I/O of their own: :func:`evaluate_example` asks a
``generate(model, prompt)`` coroutine for each answer, :class:`EvaluationTally`
keeps running totals (constant memory, whatever the number of examples), and
:func:`quality_gate_problems` judges the resulting :class:`EvaluationSummary`.

Scores are averaged over the *scored* examples: those every model answered. The
models are thus compared on exactly the same examples, and an example that failed
for one model does not count for any.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_tunedmodels.core.errors import (
    ConfigurationError,
    FailedPreconditionError,
    NotFoundError,
    PermissionDeniedError,
    TunedModelsError,
    UnauthenticatedError,
)
from airflow_provider_tunedmodels.data import Example, InvalidRecordError, example_from_record
from airflow_provider_tunedmodels.evaluation.metrics import score_example

__all__ = [
    "BASELINE",
    "FATAL_ERRORS",
    "TUNED",
    "EvaluationSummary",
    "EvaluationTally",
    "ExampleResult",
    "Generate",
    "ModelAnswer",
    "evaluate_example",
    "quality_gate_problems",
]

#: Role of the model under evaluation in results and summaries.
TUNED = "tuned"
#: Role of the model it is compared with.
BASELINE = "baseline"

#: ``generate(model, prompt)``: the text a model answers to a prompt.
Generate = Callable[[str, str], Awaitable[str]]

#: Errors that would fail every example the same way (bad credentials, a missing or
#: not yet ACTIVE model): they stop the evaluation instead of being counted per example.
FATAL_ERRORS: tuple[type[TunedModelsError], ...] = (
    ConfigurationError,
    UnauthenticatedError,
    PermissionDeniedError,
    NotFoundError,
    FailedPreconditionError,
)


@dataclass(frozen=True)
class ModelAnswer:
    """One model's answer to one example: a scored prediction, or the error it met."""

    prediction: str | None = None
    scores: dict[str, float] | None = None
    error: str | None = None

    def to_record(self) -> dict[str, Any]:
        """The JSON object written to the results file."""
        if self.error is not None:
            return {"error": self.error}
        return {"prediction": self.prediction, "scores": self.scores}


@dataclass(frozen=True)
class ExampleResult:
    """The outcome of one evaluation record.

    :ivar position: 1-based line number in a file, or item number in a list.
    :ivar example: the example, or ``None`` if the record could not be read.
    :ivar answers: each model's answer, by role (:data:`TUNED`, :data:`BASELINE`).
    :ivar error: why the record could not be read, if it could not.
    """

    position: int
    example: Example | None
    answers: dict[str, ModelAnswer] = field(default_factory=dict)
    error: str | None = None

    @property
    def failed(self) -> bool:
        """Whether the record was unreadable or any model failed to answer it."""
        return self.error is not None or any(a.error is not None for a in self.answers.values())

    @property
    def first_error(self) -> str | None:
        """The record's error, else the first model error, else ``None``."""
        errors = [self.error, *(a.error for a in self.answers.values())]
        return next((error for error in errors if error is not None), None)

    def to_record(self) -> dict[str, Any]:
        """The JSON object written to the results file for this example."""
        record: dict[str, Any] = {"position": self.position}
        if self.example is None:
            record["error"] = self.error
            return record
        record.update(self.example.to_record())
        record.update({role: answer.to_record() for role, answer in self.answers.items()})
        return record


async def evaluate_example(
    position: int,
    record: object,
    *,
    models: Mapping[str, str],
    generate: Generate,
    metrics: Sequence[str],
) -> ExampleResult:
    """Read one raw record, ask every model in ``models`` (role to model name), score them.

    An unreadable record and a failed call are part of the result; only
    :data:`FATAL_ERRORS` (and errors that are not the provider's) propagate.
    """
    try:
        example = example_from_record(record)
    except InvalidRecordError as error:
        return ExampleResult(position, None, error=f"invalid record: {error}")
    answers = {
        role: await _answer(generate, model, example, metrics) for role, model in models.items()
    }
    return ExampleResult(position, example, answers)


async def _answer(
    generate: Generate, model: str, example: Example, metrics: Sequence[str]
) -> ModelAnswer:
    try:
        prediction = await generate(model, example.text_input)
    except FATAL_ERRORS:
        raise
    except TunedModelsError as error:
        return ModelAnswer(error=f"{type(error).__name__}: {error}")
    return ModelAnswer(prediction, score_example(prediction, example.output, metrics))


@dataclass(frozen=True)
class EvaluationSummary:
    """Counts and mean scores of an evaluation.

    :ivar models: role to model name, e.g. ``{"tuned": "tunedModels/x"}``.
    :ivar means: role to metric to mean over the scored examples (``None`` if none).
    :ivar failed_calls: role to the number of examples that model failed to answer.
    """

    models: dict[str, str]
    metrics: list[str]
    examples: int
    scored: int
    failed: int
    means: dict[str, dict[str, float | None]]
    failed_calls: dict[str, int]

    @property
    def failure_rate(self) -> float:
        """Share of the examples that failed (0.0 when there were none)."""
        return self.failed / self.examples if self.examples else 0.0

    def delta(self) -> dict[str, float | None] | None:
        """Tuned minus baseline, per metric; ``None`` without a baseline."""
        if BASELINE not in self.means:
            return None
        return {
            metric: _difference(self.means[TUNED][metric], self.means[BASELINE][metric])
            for metric in self.metrics
        }

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict (see the evaluate operator for its keys)."""
        return {
            "examples": self.examples,
            "scored": self.scored,
            "failed": self.failed,
            "failure_rate": self.failure_rate,
            "metrics": list(self.metrics),
            "models": {
                role: {
                    "model": model,
                    "failed": self.failed_calls[role],
                    "scores": dict(self.means[role]),
                }
                for role, model in self.models.items()
            },
            "delta": self.delta(),
        }

    def describe(self) -> str:
        """One line per model with its mean scores, then the counts."""
        lines = [
            f"{role} {model}: {_format_scores(self.means[role])}"
            for role, model in self.models.items()
        ]
        lines.append(
            f"{self.scored} of {self.examples} examples scored, {self.failed} failed "
            f"({self.failure_rate:.1%})"
        )
        return "\n".join(lines)


class EvaluationTally:
    """Running totals of an evaluation, fed one :class:`ExampleResult` at a time."""

    def __init__(self, models: Mapping[str, str], metrics: Sequence[str]) -> None:
        self.models = dict(models)
        self.metrics = list(metrics)
        self.examples = 0
        self.scored = 0
        self.failed = 0
        #: Failed examples since the last one that succeeded.
        self.consecutive_failures = 0
        self._failed_calls = dict.fromkeys(self.models, 0)
        self._totals = {role: dict.fromkeys(self.metrics, 0.0) for role in self.models}

    def add(self, result: ExampleResult) -> None:
        """Count ``result``; its scores count only if every model answered."""
        self.examples += 1
        for role, answer in result.answers.items():
            if answer.error is not None:
                self._failed_calls[role] += 1
        if result.failed:
            self.failed += 1
            self.consecutive_failures += 1
            return
        self.consecutive_failures = 0
        self.scored += 1
        for role, answer in result.answers.items():
            for metric, value in (answer.scores or {}).items():
                self._totals[role][metric] += value

    def summary(self) -> EvaluationSummary:
        """The counts and means so far."""
        means = {
            role: {
                metric: total / self.scored if self.scored else None
                for metric, total in totals.items()
            }
            for role, totals in self._totals.items()
        }
        return EvaluationSummary(
            models=dict(self.models),
            metrics=list(self.metrics),
            examples=self.examples,
            scored=self.scored,
            failed=self.failed,
            means=means,
            failed_calls=dict(self._failed_calls),
        )


def quality_gate_problems(
    summary: EvaluationSummary,
    *,
    metric: str,
    min_score: float | None,
    require_improvement: bool,
) -> list[str]:
    """Why the tuned model fails the gate (an empty list when it passes).

    :param metric: the metric the gate looks at.
    :param min_score: the tuned model's mean ``metric`` must be at least this.
    :param require_improvement: the tuned model's mean ``metric`` must be strictly
        higher than the baseline's.
    """
    if min_score is None and not require_improvement:
        return []
    score = summary.means[TUNED][metric]
    if score is None:
        return [f"no example was scored, so {metric} is unknown"]
    problems: list[str] = []
    if min_score is not None and score < min_score:
        problems.append(f"{metric} {score:.4f} is below min_score {min_score:.4f}")
    if require_improvement:
        baseline = summary.means[BASELINE][metric]
        if baseline is not None and score <= baseline:
            problems.append(
                f"{metric} {score:.4f} does not beat the baseline's {baseline:.4f} "
                f"({summary.models[BASELINE]})"
            )
    return problems


def _difference(tuned: float | None, baseline: float | None) -> float | None:
    return None if tuned is None or baseline is None else tuned - baseline


def _format_scores(means: Mapping[str, float | None]) -> str:
    return ", ".join(
        f"{metric} {'n/a' if value is None else f'{value:.4f}'}" for metric, value in means.items()
    )
