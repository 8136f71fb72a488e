"""boto3 clients, created once per process and shared (tests and the runtime reset them)."""

from collections.abc import Callable
from functools import cache
from typing import Any

import boto3


def _boto3_client(service: str) -> Any:
    return boto3.client(service)  # type: ignore[call-overload]


_factory: Callable[[str], Any] = _boto3_client


@cache
def client(service: str) -> Any:
    """The process-wide boto3 client for ``service``."""
    return _factory(service)


def use_factory(factory: Callable[[str], Any] | None) -> None:
    """Make clients with ``factory`` from now on (None: plain boto3); the embedded runtime's seam."""
    global _factory
    _factory = factory or _boto3_client
    client.cache_clear()


_resets: list[Callable[[], None]] = []


def on_reset(forget: Callable[[], None]) -> Callable[[], None]:
    """Register a per-process cache to clear with the clients (a decorator)."""
    _resets.append(forget)
    return forget


def reset() -> None:
    """Forget every client and per-process cache (the embedded runtime calls this around moto)."""
    client.cache_clear()
    for forget in _resets:
        forget()
