"""Errors as HubSpot sends them: raise these anywhere in the domain, the API turns them into answers.

Body: ``{"status": "error", "message", "category", "correlationId"}`` (plus ``context`` when given),
with the HTTP status of the subclass.
"""

from typing import Any, ClassVar


class ApiError(Exception):
    """A user-facing error with an HTTP status and a HubSpot error category."""

    status: ClassVar[int] = 400
    category: ClassVar[str] = "VALIDATION_ERROR"

    def __init__(self, message: str, *, context: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.context = context

    def to_body(self, correlation_id: str | None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "status": "error",
            "message": self.message,
            "category": self.category,
            "correlationId": correlation_id,
        }
        if self.context:
            body["context"] = self.context
        return body


class ValidationFailed(ApiError):
    status = 400
    category = "VALIDATION_ERROR"


class Unauthorized(ApiError):
    status = 401
    category = "INVALID_AUTHENTICATION"


class Forbidden(ApiError):
    status = 403
    category = "FORBIDDEN"


class NotFound(ApiError):
    status = 404
    category = "OBJECT_NOT_FOUND"


class Conflict(ApiError):
    status = 409
    category = "CONFLICT"


class PayloadTooLarge(ApiError):
    status = 413
    category = "PAYLOAD_TOO_LARGE"
