"""Following ``nextPageToken`` across list pages, sync and async."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from typing import Protocol, TypeVar

__all__ = ["Page", "aiter_items", "iter_items"]

ItemT = TypeVar("ItemT", covariant=True)
T = TypeVar("T")


class Page(Protocol[ItemT]):
    """A list response: its items and the token of the next page (absent on the last)."""

    @property
    def next_page_token(self) -> str | None: ...

    def page_items(self) -> Iterable[ItemT]: ...


def iter_items(fetch: Callable[[str | None], Page[T]]) -> Iterator[T]:
    """Yield every item of every page; ``fetch(token)`` returns one page."""
    token: str | None = None
    while True:
        page = fetch(token)
        yield from page.page_items()
        token = page.next_page_token
        if not token:
            return


async def aiter_items(fetch: Callable[[str | None], Awaitable[Page[T]]]) -> AsyncIterator[T]:
    """Async twin of :func:`iter_items`."""
    token: str | None = None
    while True:
        page = await fetch(token)
        for item in page.page_items():
            yield item
        token = page.next_page_token
        if not token:
            return
