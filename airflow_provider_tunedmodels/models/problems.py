"""Problems found in a request, reported in the caller's own words.

A check names the field it faults by its wire path (``tuningTask.hyperparameters.epochCount``).
The caller may know that field under another spelling: ``epoch_count`` in a
mapping written in snake_case, or ``hyperparameters['epoch_count']`` as an
operator's argument. A *spelling* maps wire paths to what the caller wrote, and
every message is rendered through it, so an error quotes the user back to
themselves instead of a name they never typed.

Nothing heavy is imported here: operators use it when a DAG file is parsed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from airflow_provider_tunedmodels.core.errors import InvalidRequestError

__all__ = [
    "MAX_LISTED_PROBLEMS",
    "Problem",
    "Spelling",
    "raise_listed",
    "raise_problems",
    "spelling_of",
    "update_mask_for",
    "wire_key",
]

#: How many problems an error lists before summarising the rest.
MAX_LISTED_PROBLEMS = 20

#: Wire path (``tuningTask.hyperparameters``) to the caller's spelling of it.
Spelling = Mapping[str, str]


@dataclass(frozen=True)
class Problem:
    """One thing to fix.

    :param field: the wire path of the faulty field (``""`` for the request as a whole).
    :param text: what is wrong and what to do, without the field's name.
    """

    field: str
    text: str

    def render(self, spelling: Spelling | None = None) -> str:
        """``"<field as the caller wrote it>: <text>"``."""
        if not self.field:
            return self.text
        return f"{spell(self.field, spelling or {})}: {self.text}"


def spell(field: str, spelling: Spelling) -> str:
    """``field`` with its longest known prefix replaced by the caller's spelling."""
    if not spelling:
        return field
    cut = len(field)
    while cut > 0:
        head = field[:cut]
        if head in spelling:
            return spelling[head] + field[cut:]
        cut = max(field.rfind(".", 0, cut), field.rfind("[", 0, cut))
    return field


def raise_problems(
    problems: Iterable[Problem], what: str, spelling: Spelling | None = None
) -> None:
    """Raise one :class:`InvalidRequestError` listing every problem, if there is any."""
    raise_listed([problem.render(spelling) for problem in problems], what)


def raise_listed(lines: list[str], what: str) -> None:
    """Raise one :class:`InvalidRequestError` listing ``lines`` (the first
    :data:`MAX_LISTED_PROBLEMS`, then how many more), if there is any."""
    if not lines:
        return
    listed = lines[:MAX_LISTED_PROBLEMS]
    if len(lines) > MAX_LISTED_PROBLEMS:
        listed.append(f"... and {len(lines) - MAX_LISTED_PROBLEMS} more problems")
    raise InvalidRequestError(what, listed)


def wire_key(key: str) -> str:
    """The wire (camelCase) name of one key written in snake_case or camelCase."""
    head, *rest = key.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def update_mask_for(fields: Mapping[str, Any]) -> list[str]:
    """The update mask for a mapping of changed fields (snake_case or camelCase keys)."""
    return [wire_key(str(key)) for key in fields]


def spelling_of(raw: Mapping[Any, Any], prefix: str = "", written: str = "") -> dict[str, str]:
    """How the caller spelled each key of a nested mapping, by wire path.

    Lists are not entered: an index keeps the wire spelling of what follows it.

    :param prefix: the wire path of ``raw`` itself.
    :param written: the caller's spelling of ``raw`` itself.
    """
    found: dict[str, str] = {}
    for key, value in raw.items():
        if not isinstance(key, str):
            continue
        path = f"{prefix}.{wire_key(key)}" if prefix else wire_key(key)
        shown = f"{written}.{key}" if written else key
        found[path] = shown
        if isinstance(value, Mapping):
            found.update(spelling_of(value, path, shown))
    return found
