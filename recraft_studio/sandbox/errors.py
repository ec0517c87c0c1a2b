"""The sandbox's refusals, shaped as the Recraft API shapes them.

Every error body is JSON with a machine-readable `code` and a `message` a person can
act on; a refusal caused by one field of the request also names that `field`, so the
studio can put the message next to the input that caused it.
"""

from __future__ import annotations

from starlette.responses import JSONResponse

from recraft_studio.recraft.validation import FieldError


class ApiError(Exception):
    """A refusal the handlers raise and the application turns into a JSON answer."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        field: str | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.headers = headers or {}

    def body(self) -> dict[str, str]:
        body = {"code": self.code, "message": self.message}
        if self.field is not None:
            body["field"] = self.field
        return body

    def response(self) -> JSONResponse:
        return JSONResponse(self.body(), status_code=self.status, headers=self.headers)


def invalid(field: str, message: str) -> ApiError:
    """HTTP 400 for a request that breaks a documented rule on `field`."""
    return ApiError(400, "invalid_request", message, field=field)


def from_field_error(error: FieldError) -> ApiError:
    return invalid(error.field, error.message)


def unauthorized(message: str) -> ApiError:
    return ApiError(401, "unauthorized", message, headers={"WWW-Authenticate": "Bearer"})


def not_enough_credits(message: str) -> ApiError:
    return ApiError(402, "not_enough_credits", message)


def not_found(message: str, *, field: str | None = None) -> ApiError:
    return ApiError(404, "not_found", message, field=field)


def rate_limited(message: str, *, retry_after: int) -> ApiError:
    return ApiError(429, "too_many_requests", message, headers={"Retry-After": str(retry_after)})
