"""Operator that evaluates a tuned model (optionally against a baseline) and gates on quality.

The per-example work and the scoring live in
:mod:`airflow_provider_tunedmodels.evaluation.runner`; this module reads the
evaluation set, fans the examples out on the async hook, writes the results
file and applies the failure policy and the quality gate.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import aclosing
from typing import TYPE_CHECKING, Any

from airflow_provider_tunedmodels._compat import AirflowException, AirflowFailException
from airflow_provider_tunedmodels.evaluation.metrics import METRICS
from airflow_provider_tunedmodels.operators._base import GeminiBaseOperator

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_tunedmodels.core.calls import ApiCall
    from airflow_provider_tunedmodels.data import ExampleSource, FileFormat, Location
    from airflow_provider_tunedmodels.data.storage import AtomicTextWriter
    from airflow_provider_tunedmodels.evaluation.runner import (
        EvaluationSummary,
        EvaluationTally,
        ExampleResult,
    )

__all__ = [
    "EvaluateTunedModelOperator",
    "EvaluationAbortedError",
    "QualityGateFailedError",
    "TooManyFailedExamplesError",
]

#: Requests in flight at once when ``max_concurrency`` is not given.
DEFAULT_MAX_CONCURRENCY = 8
#: Stop when this many examples in a row have failed: the service is not answering,
#: and going on would only spend the retries of every remaining example.
ABORT_AFTER_CONSECUTIVE_FAILURES = 20
#: Results handed to the writing thread at once (a failed one is handed over at once,
#: so a run of failures still stops the evaluation promptly).
RESULTS_PER_WRITE = 64


class EvaluationAbortedError(AirflowException):
    """The evaluation stopped early because every recent example failed (retryable)."""


class TooManyFailedExamplesError(AirflowException):
    """More examples failed than ``max_failure_rate`` allows (retryable)."""


class QualityGateFailedError(AirflowFailException):
    """The tuned model is not good enough; retrying would not change that."""


class EvaluateTunedModelOperator(GeminiBaseOperator):
    """Run an evaluation set through a tuned model (and a baseline), score it, and gate on it.

    Each example's input is sent to the tuned model and, if given, to the baseline
    model; each answer is compared with the example's output by exact match, token
    F1 and character similarity (see :mod:`airflow_provider_tunedmodels.evaluation`).
    The evaluation set is streamed: at most ``2 * max_concurrency`` examples are
    held at once, and at most ``max_concurrency`` requests are in flight.

    Failures: the hook's client retries transient errors. An example whose record
    cannot be read, or that a model still fails to answer, is written to the
    results with its error and left out of every mean (models are compared on the
    same examples). The task fails when the share of failed examples is above
    ``max_failure_rate``, at once on errors that would hit every example (bad
    credentials, a missing or not yet ACTIVE model), and after
    ``ABORT_AFTER_CONSECUTIVE_FAILURES`` failed examples in a row.

    Quality gate: with ``min_score``, the tuned model's mean ``metric`` must be at
    least ``min_score``; with ``require_improvement``, it must be strictly above the
    baseline's. Otherwise the task fails (without retries) with
    :class:`QualityGateFailedError`, whose message lists the scores. The results
    file is written before the gate and the failure policy are applied.

    :param tuned_model_name: the model to evaluate, ``tunedModels/<id>`` or ``<id>``. Templated.
    :param eval_set: JSONL or CSV file (local path, URI such as
        ``gs://bucket/eval.jsonl``, or ``ObjectStoragePath``), or records from an
        upstream task (mappings or ``(input, output)`` pairs). Keys as in
        :mod:`airflow_provider_tunedmodels.data`: ``text_input``/``input``/``prompt``
        and ``output``/``target``/``completion``. Templated; an inline list is rendered
        too, so wrap it in ``airflow.sdk.literal(...)`` if its texts contain ``{{``.
    :param results_path: where to write the per-example results (JSONL; path or URI). Templated.
    :param baseline_model: a model to compare with, e.g.
        ``models/gemini-1.5-flash-001-tuning``. Templated.
    :param generation_config: ``GenerationConfig`` for every request, e.g.
        ``{"temperature": 0.0}`` for repeatable answers. Templated.
    :param metrics: metric names to compute (default: all of them).
    :param max_concurrency: requests in flight at once (at least 1).
    :param max_failure_rate: the share of examples (0.0 to 1.0) allowed to fail.
    :param min_score: the lowest acceptable mean ``metric`` of the tuned model (0.0 to 1.0).
    :param metric: the metric the quality gate looks at (one of ``metrics``).
    :param require_improvement: the tuned model must beat the baseline on ``metric``.
    :param file_format: ``"jsonl"`` or ``"csv"``; guessed from the file suffix if omitted.
    :param gemini_conn_id: Airflow connection of type ``gemini_tuned_models``.

    Returns (and pushes to XCom) a JSON-safe summary::

        {"examples": 200, "scored": 199, "failed": 1, "failure_rate": 0.005,
         "metrics": ["exact_match", "token_f1", "char_similarity"],
         "models": {"tuned": {"model": "tunedModels/x", "failed": 1,
                              "scores": {"exact_match": 0.81, ...}},
                    "baseline": {"model": "models/...", "failed": 0, "scores": {...}}},
         "delta": {"exact_match": 0.42, ...},          # None without a baseline
         "results_path": "/data/eval/results.jsonl",
         "quality_gate": {"metric": "token_f1", "min_score": 0.7,
                          "require_improvement": True, "passed": True}}

    Each results line is ``{"position": n, "text_input": ..., "output": ...,
    "tuned": {"prediction": ..., "scores": {...}}, "baseline": {...}}``, where a
    failed answer is ``{"error": ...}`` and an unreadable record ``{"position": n,
    "error": ...}``; ``position`` is the line number in a file or the item number
    in a list.

    Example::

        from airflow_provider_tunedmodels.operators.evaluate import EvaluateTunedModelOperator

        evaluate = EvaluateTunedModelOperator(
            task_id="evaluate",
            tuned_model_name="tunedModels/support-router-{{ ds_nodash }}",
            eval_set=prepare.output["eval_path"],
            results_path="s3://my-bucket/eval/{{ ds }}/results.jsonl",
            baseline_model="models/gemini-1.5-flash-001-tuning",
            generation_config={"temperature": 0.0},
            min_score=0.7,
            metric="token_f1",
            require_improvement=True,
        )
    """

    template_fields: Sequence[str] = (
        "tuned_model_name",
        "eval_set",
        "results_path",
        "baseline_model",
        "generation_config",
    )
    template_fields_renderers = {"generation_config": "json"}
    ui_color = "#efe7fd"

    def __init__(
        self,
        *,
        tuned_model_name: str,
        eval_set: ExampleSource,
        results_path: Location,
        baseline_model: str | None = None,
        generation_config: Mapping[str, Any] | None = None,
        metrics: Sequence[str] | None = None,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        max_failure_rate: float = 0.0,
        min_score: float | None = None,
        metric: str = "token_f1",
        require_improvement: bool = False,
        file_format: FileFormat | None = None,
        **kwargs: Any,
    ) -> None:
        # Each key of the returned dict is also its own XCom, so downstream tasks
        # can use e.g. ``task.output["name"]``.
        kwargs.setdefault("multiple_outputs", True)
        super().__init__(**kwargs)
        self.tuned_model_name = tuned_model_name
        self.eval_set = eval_set
        self.results_path = results_path
        self.baseline_model = baseline_model
        self.generation_config = generation_config
        self.metrics = list(metrics) if metrics is not None else list(METRICS)
        self.max_concurrency = max_concurrency
        self.max_failure_rate = max_failure_rate
        self.min_score = min_score
        self.metric = metric
        self.require_improvement = require_improvement
        self.file_format = file_format
        problems = self._argument_problems()
        if problems:
            raise ValueError("invalid evaluation arguments:\n" + "\n".join(problems))

    def _argument_problems(self) -> list[str]:
        problems = [
            f"  - metrics: unknown metric {name!r}; available: {', '.join(METRICS)}"
            for name in self.metrics
            if name not in METRICS
        ]
        if not self.metrics:
            problems.append("  - metrics: give at least one metric")
        gated = self.min_score is not None or self.require_improvement
        if gated and self.metric not in self.metrics:
            problems.append(f"  - metric {self.metric!r}: must be one of metrics {self.metrics}")
        if self.max_concurrency < 1:
            problems.append(f"  - max_concurrency {self.max_concurrency}: must be at least 1")
        if not 0.0 <= self.max_failure_rate <= 1.0:
            problems.append(f"  - max_failure_rate {self.max_failure_rate}: must be in [0, 1]")
        if self.min_score is not None and not 0.0 <= self.min_score <= 1.0:
            problems.append(f"  - min_score {self.min_score}: must be in [0, 1]")
        if self.require_improvement and self.baseline_model is None:
            problems.append("  - require_improvement: needs a baseline_model to compare with")
        problems += [f"  - {p}" for p in self._name_problems()]
        return problems

    def _name_problems(self) -> list[str]:
        """Literal model names that are not names of the kind each parameter takes."""
        from airflow_provider_tunedmodels.models.gemini.names import GENERATION_MODEL, TUNED_MODEL
        from airflow_provider_tunedmodels.operators._arguments import literal_name_problems

        return literal_name_problems(
            self.tuned_model_name, TUNED_MODEL, "tuned_model_name"
        ) + literal_name_problems(self.baseline_model, GENERATION_MODEL, "baseline_model")

    def execute(self, context: Context) -> dict[str, Any]:
        """Evaluate, write the results, apply the failure policy and the gate."""
        from airflow_provider_tunedmodels.core.errors import InvalidRequestError
        from airflow_provider_tunedmodels.data import DatasetError
        from airflow_provider_tunedmodels.operators._concurrency import run_with_async_hook

        try:
            models = self._models()
            summary, location = run_with_async_hook(self.hook, lambda: self._evaluate(models))
        except (InvalidRequestError, DatasetError) as error:
            # Not chained: the cause has the same message, and the log would show it twice.
            raise AirflowFailException(str(error)) from None
        self.log.info("Evaluation results written to %s:\n%s", location, summary.describe())
        result = {**summary.to_dict(), "results_path": location}
        result["quality_gate"] = self._apply_policies(summary)
        return result

    def _models(self) -> dict[str, str]:
        from airflow_provider_tunedmodels.evaluation.runner import BASELINE, TUNED
        from airflow_provider_tunedmodels.hooks.gemini_calls import model_path, tuned_model_path

        models = {TUNED: tuned_model_path(self.tuned_model_name, "tuned_model_name")}
        if self.baseline_model:
            models[BASELINE] = model_path(self.baseline_model, "baseline_model")
        return models

    async def _evaluate(self, models: dict[str, str]) -> tuple[EvaluationSummary, str]:
        from airflow_provider_tunedmodels.data.storage import AtomicTextWriter, resolve_location
        from airflow_provider_tunedmodels.evaluation.runner import EvaluationTally
        from airflow_provider_tunedmodels.operators._concurrency import (
            ordered_map,
            read_in_thread,
        )

        tally = EvaluationTally(models, self.metrics)
        request_config = self._request_generation_config()
        # Opening and committing happen while no call is in flight; reading the evaluation
        # set and writing results happen during the fan-out, so they run in worker threads.
        with AtomicTextWriter(resolve_location(self.results_path)) as writer:
            results = ordered_map(
                lambda item: self._evaluate_one(item, models, request_config),
                read_in_thread(self._records()),
                concurrency=self.max_concurrency,
            )
            batch: list[ExampleResult] = []
            async with aclosing(results):
                async for result in results:
                    batch.append(result)
                    if result.failed or len(batch) >= RESULTS_PER_WRITE:
                        await asyncio.to_thread(self._take_all, batch, tally, writer)
                        batch = []
            await asyncio.to_thread(self._take_all, batch, tally, writer)
            writer.commit()
        return tally.summary(), writer.location

    def _request_generation_config(self) -> dict[str, Any] | None:
        """``generation_config`` validated once, in wire form, for every request."""
        from pydantic import ValidationError

        from airflow_provider_tunedmodels.core.errors import InvalidRequestError
        from airflow_provider_tunedmodels.models import GenerationConfig

        if self.generation_config is None:
            return None
        if isinstance(self.generation_config, GenerationConfig):
            return self.generation_config.to_wire()
        try:
            return GenerationConfig.model_validate(dict(self.generation_config)).to_wire()
        except ValidationError as error:
            raise InvalidRequestError(
                "generation_config",
                [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()],
            ) from None

    def _records(self) -> Iterator[tuple[int, object]]:
        from airflow_provider_tunedmodels.data import iter_records

        return iter_records(self.eval_set, file_format=self.file_format)

    async def _evaluate_one(
        self,
        item: tuple[int, object],
        models: dict[str, str],
        generation_config: dict[str, Any] | None,
    ) -> ExampleResult:
        from airflow_provider_tunedmodels.evaluation.runner import evaluate_example
        from airflow_provider_tunedmodels.hooks.gemini_calls import prompt_request

        async def generate(model: str, prompt: str) -> str:
            call = self._text_call(model, prompt_request(prompt, generation_config))
            return await self.hook.arun_call(call)

        position, record = item
        return await evaluate_example(
            position, record, models=models, generate=generate, metrics=self.metrics
        )

    def _text_call(self, model: str, request: dict[str, Any]) -> ApiCall[str]:
        """The call that asks ``model`` and reads only its answer's text (no model building)."""
        from airflow_provider_tunedmodels.hooks.gemini_calls import generate_text

        return generate_text(model, request)

    def _take_all(
        self, results: list[ExampleResult], tally: EvaluationTally, writer: AtomicTextWriter
    ) -> None:
        for result in results:
            self._take(result, tally, writer)

    def _take(
        self, result: ExampleResult, tally: EvaluationTally, writer: AtomicTextWriter
    ) -> None:
        tally.add(result)
        writer.write(json.dumps(result.to_record(), ensure_ascii=False) + "\n")
        if result.failed:
            self.log.warning(
                "Example at position %d failed: %s", result.position, result.first_error
            )
        if tally.consecutive_failures >= ABORT_AFTER_CONSECUTIVE_FAILURES:
            raise EvaluationAbortedError(
                f"the last {tally.consecutive_failures} examples all failed (the last one: "
                f"{result.first_error}); stopping the evaluation. Check that the models "
                "answer, then retry."
            )

    def _apply_policies(self, summary: EvaluationSummary) -> dict[str, Any] | None:
        from airflow_provider_tunedmodels.evaluation.runner import TUNED, quality_gate_problems

        if summary.failure_rate > self.max_failure_rate:
            raise TooManyFailedExamplesError(
                f"{summary.failed} of {summary.examples} examples failed "
                f"({summary.failure_rate:.1%}); max_failure_rate allows "
                f"{self.max_failure_rate:.1%}. The results file lists each error."
            )
        if self.min_score is None and not self.require_improvement:
            return None
        problems = quality_gate_problems(
            summary,
            metric=self.metric,
            min_score=self.min_score,
            require_improvement=self.require_improvement,
        )
        if problems:
            raise QualityGateFailedError(
                f"{summary.models[TUNED]} fails the quality gate: {'; '.join(problems)}.\n"
                f"Scores:\n{summary.describe()}"
            )
        self.log.info("%s passes the quality gate on %s.", summary.models[TUNED], self.metric)
        return {
            "metric": self.metric,
            "min_score": self.min_score,
            "require_improvement": self.require_improvement,
            "passed": True,
        }
