"""boto3 clients, created once per process and shared (tests and the runtime reset them)."""

from functools import cache
from typing import Any

import boto3


@cache
def client(service: str) -> Any:
    """The process-wide boto3 client for ``service``."""
    return boto3.client(service)  # type: ignore[call-overload]


def reset() -> None:
    """Forget every client (the embedded runtime calls this after it starts moto)."""
    client.cache_clear()
