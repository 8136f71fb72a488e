"""boto3 clients, created once per process and shared (tests and the runtime reset them)."""

from collections.abc import Callable
from functools import cache
from typing import Any

import boto3


@cache
def client(service: str) -> Any:
    """The process-wide boto3 client for ``service``."""
    return boto3.client(service)  # type: ignore[call-overload]


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
