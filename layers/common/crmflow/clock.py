"""The one source of "now" for all crmflow code.

On AWS it is the system clock. The embedded runtime installs its virtual clock with
:func:`set_source`, so handlers, Step Functions Wait states and the local API share one time.
"""

from collections.abc import Callable
from datetime import UTC, datetime

_source: Callable[[], datetime] | None = None


def now() -> datetime:
    """The current time, timezone-aware, in UTC."""
    if _source is not None:
        return _source()
    return datetime.now(UTC)


def set_source(source: Callable[[], datetime] | None) -> None:
    """Use ``source`` for :func:`now` (``None`` restores the system clock)."""
    global _source
    _source = source


def iso(at: datetime) -> str:
    """ISO 8601 in UTC with milliseconds and a ``Z``, as HubSpot writes timestamps."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def parse_iso(text: str) -> datetime:
    """Parse an ISO 8601 timestamp (``Z`` or offset); naive input is taken as UTC."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
