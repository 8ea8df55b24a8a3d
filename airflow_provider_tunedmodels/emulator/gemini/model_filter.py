"""The ``tunedModels.list`` filter: full-text terms and role operators."""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field

from airflow_provider_tunedmodels.emulator.errors import invalid_argument

__all__ = ["FILTER_OPERATORS", "ModelFilter", "parse_model_filter"]

#: Operators of the ``tunedModels.list`` filter and their accepted values.
FILTER_OPERATORS = {
    "owner": ("me",),
    "writers": ("me",),
    "readers": ("me", "everyone"),
}


@dataclass(frozen=True)
class ModelFilter:
    """A parsed ``tunedModels.list`` filter: text terms and role operators."""

    terms: tuple[str, ...] = ()
    operators: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    @property
    def includes_everyone(self) -> bool:
        """Whether the filter asks for models shared with everyone."""
        return ("readers", "everyone") in self.operators

    def text_matches(self, *fields: str) -> bool:
        """Whether every term occurs (case-insensitively) in one of ``fields``."""
        haystack = "\n".join(fields).lower()
        return all(term in haystack for term in self.terms)


def parse_model_filter(raw: str | None) -> ModelFilter:
    """Parse ``owner:me readers:everyone some words "a phrase"``."""
    if not raw or not raw.strip():
        return ModelFilter()
    try:
        tokens = shlex.split(raw)
    except ValueError as exc:
        raise invalid_argument(f"Invalid filter: {raw}") from exc
    terms: list[str] = []
    operators: list[tuple[str, str]] = []
    for token in tokens:
        key, sep, value = token.partition(":")
        if sep and key.lower() in FILTER_OPERATORS:
            value = value.lower()
            if value not in FILTER_OPERATORS[key.lower()]:
                raise invalid_argument(f"Invalid filter: unsupported value {token!r}.")
            operators.append((key.lower(), value))
        else:
            terms.append(token.lower())
    return ModelFilter(tuple(terms), tuple(operators))
