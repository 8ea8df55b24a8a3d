"""Evaluate a tuned model's answers: text metrics and their summary."""

from __future__ import annotations

from airflow_provider_tunedmodels.evaluation.metrics import (
    METRICS,
    Metric,
    char_similarity,
    exact_match,
    levenshtein_distance,
    normalize_text,
    score_example,
    summarize,
    token_f1,
    tokenize,
)

__all__ = [
    "METRICS",
    "Metric",
    "char_similarity",
    "exact_match",
    "levenshtein_distance",
    "normalize_text",
    "score_example",
    "summarize",
    "token_f1",
    "tokenize",
]
