"""Output-only statistics Vertex AI computes over a tuning dataset (``tuningDataStats``).

Two distribution shapes exist on the wire and differ in their number types:
supervised tuning's ``SupervisedTuningDatasetDistribution`` has int64 sums and
double bucket counts; the newer ``DatasetDistribution`` (preference and
reinforcement tuning) has double sums and int64 bucket counts.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_tunedmodels.models._wire import Int64, WireModel
from airflow_provider_tunedmodels.models.generation import Content

__all__ = [
    "DatasetBucket",
    "DatasetDistribution",
    "DatasetStats",
    "DistributionBucket",
    "PreferenceOptimizationDataStats",
    "SupervisedTuningDataStats",
    "SupervisedTuningDatasetDistribution",
    "TuningDataStats",
]


class _Bucket(WireModel):
    """One histogram bucket: how many values fell in ``[left, right)``."""

    count: float | None = None
    left: float | None = None
    right: float | None = None


class _Distribution(WireModel):
    """The figures every distribution reports; the subclasses set the number types."""

    sum: float | None = None
    min: float | None = None
    max: float | None = None
    mean: float | None = None
    median: float | None = None
    p5: float | None = None
    p95: float | None = None


class DatasetBucket(_Bucket):
    """One histogram bucket of a supervised-tuning distribution (a double count)."""


class SupervisedTuningDatasetDistribution(_Distribution):
    """A distribution over a supervised-tuning dataset (tokens or messages per example)."""

    sum: Int64 | None = None
    billable_sum: Int64 | None = None
    buckets: list[DatasetBucket] | None = None


class SupervisedTuningDataStats(WireModel):
    """Statistics of a supervised-tuning dataset, filled in once the dataset is processed."""

    tuning_dataset_example_count: Int64 | None = None
    total_tuning_character_count: Int64 | None = None
    total_billable_character_count: Int64 | None = None
    total_billable_token_count: Int64 | None = None
    tuning_step_count: Int64 | None = None
    user_input_token_distribution: SupervisedTuningDatasetDistribution | None = None
    user_output_token_distribution: SupervisedTuningDatasetDistribution | None = None
    user_message_per_example_distribution: SupervisedTuningDatasetDistribution | None = None
    user_dataset_examples: list[Content] | None = None
    total_truncated_example_count: Int64 | None = None
    truncated_example_indices: list[Int64] | None = None
    dropped_example_reasons: list[str] | None = None


class DistributionBucket(_Bucket):
    """One histogram bucket of a :class:`DatasetDistribution` (an int64 count)."""

    count: Int64 | None = None


class DatasetDistribution(_Distribution):
    """A distribution over a preference or reinforcement tuning dataset (a double sum)."""

    buckets: list[DistributionBucket] | None = None


class PreferenceOptimizationDataStats(WireModel):
    """Statistics of a preference-tuning dataset.

    ``userDatasetExamples`` holds preference examples (prompt plus scored
    completions), kept as plain JSON.
    """

    tuning_dataset_example_count: Int64 | None = None
    total_billable_token_count: Int64 | None = None
    tuning_step_count: Int64 | None = None
    user_input_token_distribution: DatasetDistribution | None = None
    user_output_token_distribution: DatasetDistribution | None = None
    scores_distribution: DatasetDistribution | None = None
    score_variance_per_example_distribution: DatasetDistribution | None = None
    user_dataset_examples: list[dict[str, Any]] | None = None
    dropped_example_indices: list[Int64] | None = None
    dropped_example_reasons: list[str] | None = None


class DatasetStats(WireModel):
    """Statistics of a reinforcement-tuning (or distillation) dataset."""

    tuning_dataset_example_count: Int64 | None = None
    total_tuning_character_count: Int64 | None = None
    total_billable_character_count: Int64 | None = None
    tuning_step_count: Int64 | None = None
    user_input_token_distribution: DatasetDistribution | None = None
    user_output_token_distribution: DatasetDistribution | None = None
    user_message_per_example_distribution: DatasetDistribution | None = None
    user_dataset_examples: list[Content] | None = None


class TuningDataStats(WireModel):
    """The statistics of whichever tuning method the job uses (one member is set)."""

    supervised_tuning_data_stats: SupervisedTuningDataStats | None = None
    preference_optimization_data_stats: PreferenceOptimizationDataStats | None = None
    reinforcement_tuning_data_stats: DatasetStats | None = None
    distillation_data_stats: dict[str, Any] | None = None

    @property
    def example_count(self) -> int | None:
        """How many training examples the server counted, whatever the tuning method."""
        for stats in (
            self.supervised_tuning_data_stats,
            self.preference_optimization_data_stats,
            self.reinforcement_tuning_data_stats,
        ):
            if stats is not None and stats.tuning_dataset_example_count is not None:
                return stats.tuning_dataset_example_count
        return None
