"""The ``tuningJobs.list`` filter (a subset of AIP-160).

Terms joined by ``AND``: ``state=JOB_STATE_SUCCEEDED`` (also ``!=``),
``labels.team="nlp"`` (also ``!=``; ``labels.team:*`` for "has the label"),
``create_time>"2026-01-01T00:00:00Z"`` (also ``<``, ``>=``, ``<=``; ``createTime``
works too). Values may be quoted. Anything else is ``INVALID_ARGUMENT`` naming
the term.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from airflow_provider_tunedmodels.emulator.errors import invalid_argument
from airflow_provider_tunedmodels.emulator.vertex.schemas import JOB_STATE

__all__ = ["JobFilter", "parse_job_filter"]

#: A compiled filter: (state name, labels, create time) -> whether the job is listed.
JobFilter = Callable[[str, dict[str, str], float], bool]

_TERM = re.compile(
    r"\s*(?P<field>[A-Za-z_][\w.-]*)\s*(?P<op>!=|>=|<=|=|>|<|:)\s*(?P<value>\"[^\"]*\"|[^\s\"]+)\s*"
)
_AND = re.compile(r"\s+AND\s+")
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "=": lambda left, right: left == right,
    "!=": lambda left, right: left != right,
    ">": lambda left, right: left > right,
    "<": lambda left, right: left < right,
    ">=": lambda left, right: left >= right,
    "<=": lambda left, right: left <= right,
}


def parse_job_filter(raw: str | None) -> JobFilter:
    """Compile ``raw``; an empty filter lists every job."""
    if not raw or not raw.strip():
        return lambda state, labels, create_time: True
    tests = [_term(term) for term in _AND.split(raw.strip())]
    return lambda state, labels, create_time: all(
        test(state, labels, create_time) for test in tests
    )


def _term(term: str) -> JobFilter:
    found = _TERM.fullmatch(term)
    if found is None:
        raise _bad(term, "expected FIELD OPERATOR VALUE")
    field, op, value = found["field"], found["op"], found["value"].strip('"')
    if field == "state":
        return _state_term(term, op, value)
    if field.startswith("labels."):
        return _label_term(term, field.removeprefix("labels."), op, value)
    if field in ("create_time", "createTime"):
        return _time_term(term, op, value)
    raise _bad(term, f"unsupported field {field!r}; use state, labels.KEY or create_time")


def _state_term(term: str, op: str, value: str) -> JobFilter:
    if op not in ("=", "!="):
        raise _bad(term, "state supports = and !=")
    if value not in JOB_STATE.names:
        raise _bad(term, f"unknown state {value!r}")
    compare = _COMPARE[op]
    return lambda state, labels, create_time: compare(state, value)


def _label_term(term: str, key: str, op: str, value: str) -> JobFilter:
    if op == ":" and value == "*":
        return lambda state, labels, create_time: key in labels
    if op not in ("=", "!="):
        raise _bad(term, "labels support =, != and :*")
    compare = _COMPARE[op]
    return lambda state, labels, create_time: compare(labels.get(key), value)


def _time_term(term: str, op: str, value: str) -> JobFilter:
    if op == ":":
        raise _bad(term, "create_time supports =, !=, <, >, <= and >=")
    try:
        parsed = datetime.fromisoformat(_iso(value))
        moment = (parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)).timestamp()
    except ValueError as exc:
        raise _bad(term, f"{value!r} is not an RFC 3339 timestamp") from exc
    compare = _COMPARE[op]
    return lambda state, labels, create_time: compare(create_time, moment)


def _iso(value: str) -> str:
    """RFC 3339 as Python 3.10's ``fromisoformat`` reads it (``Z``, at most 6 fraction digits)."""
    text = value.replace("z", "Z").replace("Z", "+00:00")
    return re.sub(r"(\.\d{6})\d+", r"\1", text)


def _bad(term: str, why: str) -> Exception:
    return invalid_argument(f"Invalid filter term {term.strip()!r}: {why}.")
