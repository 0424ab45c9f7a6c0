"""Marks a client method with the route it calls, so that a test can hold its
return annotation to the type the OpenAPI document gives that route."""

from __future__ import annotations

from typing import Callable, TypeVar

F = TypeVar("F", bound=Callable)


def route(method: str, template: str) -> Callable[[F], F]:
    """Records `(method, template)` on the decorated method as `__plinth_route__`."""

    def mark(f: F) -> F:
        f.__plinth_route__ = (method, template)  # type: ignore[attr-defined]
        return f

    return mark
