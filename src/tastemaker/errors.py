"""The error tree.

    TastemakerError
     ├── NotFound          a workspace, experience, item or request id that does not exist (404)
     ├── InvalidInput      bad input; ``field`` names the offending field, ``location`` the
     │                     file:line when it came from a file (422)
     ├── PayloadTooLarge   a body, batch or answer over its limit (413)
     ├── Unauthorized      no key or an unknown key (401)
     ├── Forbidden         a valid key whose scope does not allow the call (403)
     ├── TooManyRequests   a key over its request rate; ``retry_after`` in seconds (429)
     └── StageError        a pipeline stage failed; the runner turns it into the curated fallback

``api/errors.py`` maps these to HTTP statuses and ``cli.py`` to exit codes, each in one place.
"""

from __future__ import annotations


class TastemakerError(Exception):
    """Base of every error the library raises on purpose."""

    status = 500
    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(TastemakerError):
    status = 404
    exit_code = 3


class InvalidInput(TastemakerError):
    status = 422
    exit_code = 2

    def __init__(self, message: str, *, field: str | None = None, location: str | None = None):
        super().__init__(message)
        self.field = field
        self.location = location

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        what = f"{self.field}: " if self.field else ""
        return f"{where}{what}{self.message}"


class PayloadTooLarge(TastemakerError):
    status = 413
    exit_code = 2


class Unauthorized(TastemakerError):
    status = 401
    exit_code = 4


class Forbidden(TastemakerError):
    status = 403
    exit_code = 4


class TooManyRequests(TastemakerError):
    status = 429
    exit_code = 5

    def __init__(self, message: str, *, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class StageError(TastemakerError):
    """Raised (or wrapped) inside the pipeline; never reaches a client."""

    def __init__(self, stage: str, message: str) -> None:
        super().__init__(f"{stage}: {message}")
        self.stage = stage
