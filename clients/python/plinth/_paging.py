"""Walking a paged list to its end."""

from __future__ import annotations

from typing import Any, Callable, Iterator, TypeVar

T = TypeVar("T")


def pages(fetch: Callable[[Any], list[T]], cursor: Callable[[T], Any], limit: int) -> Iterator[T]:
    """Yields every item of a list served in pages of `limit`: `fetch(None)` is
    the first page, `fetch(cursor(last item))` the next; a short page is the last."""
    at = None
    while True:
        page = fetch(at)
        yield from page
        if len(page) < limit:
            return
        nxt = cursor(page[-1])
        if nxt == at:  # a server that ignores the cursor would loop forever
            raise RuntimeError(f"paging did not advance past {nxt!r}")
        at = nxt
