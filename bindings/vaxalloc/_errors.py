"""The exceptions of vaxalloc, one per kind of failure the C++ core reports.

The core returns an ``absl::Status``; ``vaxalloc._core`` turns every non-OK
status into one of these (a single mapping function in ``_core.cc``), carrying
the core's message and status code. Codes without a class of their own (e.g.
``INTERNAL``, ``PERMISSION_DENIED``) raise the base class :class:`Error`.

This module must not import ``vaxalloc._core``: the shim imports it.
"""

from __future__ import annotations

import enum

__all__ = [
    "StatusCode",
    "Error",
    "NotFoundError",
    "InvalidArgumentError",
    "AlreadyExistsError",
    "FailedPreconditionError",
    "CapacityExhaustedError",
    "BusyError",
    "CorruptStoreError",
    "VerificationFailedError",
    "OutOfRangeError",
    "ArgumentTypeError",
]


class StatusCode(enum.IntEnum):
    """The canonical status codes (``absl::StatusCode``), with their numbers."""

    OK = 0
    CANCELLED = 1
    UNKNOWN = 2
    INVALID_ARGUMENT = 3
    DEADLINE_EXCEEDED = 4
    NOT_FOUND = 5
    ALREADY_EXISTS = 6
    PERMISSION_DENIED = 7
    RESOURCE_EXHAUSTED = 8
    FAILED_PRECONDITION = 9
    ABORTED = 10
    OUT_OF_RANGE = 11
    UNIMPLEMENTED = 12
    INTERNAL = 13
    UNAVAILABLE = 14
    DATA_LOSS = 15
    UNAUTHENTICATED = 16

    def __repr__(self) -> str:
        return f"StatusCode.{self.name}"


class Error(Exception):
    """Base class of every error vaxalloc raises.

    Attributes:
        message: the core's message, naming what was wrong (for an argument
            the package refused before the core, "Function: argument ...").
        code: the :class:`StatusCode` the core returned.
        function: for an argument the package refused before calling the
            core, the function or method called (e.g. "Store.add_district");
            None for the core's own errors.
        argument: for such an argument, the argument as the message names it
            (e.g. "district code", "registrant ids[3]"); None otherwise.
    """

    #: The status code of the subclass (the base class takes any).
    default_code: StatusCode = StatusCode.UNKNOWN
    function: str | None = None
    argument: str | None = None

    def __init__(self, message: str, code: int | None = None, *,
                 argument: str | None = None) -> None:
        code_value = self.default_code if code is None else code
        super().__init__(message, int(code_value))  # args survive a pickle
        self.message = message
        if argument is not None:  # instance attributes survive a pickle too
            self.argument = argument
        try:
            self.code = StatusCode(code_value)
        except ValueError:  # a code newer than this list; keep the number
            self.code = code_value  # type: ignore[assignment]

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, code={self.code!r})"


class NotFoundError(Error, LookupError):
    """An id, code or reference names nothing (``NOT_FOUND``)."""

    default_code = StatusCode.NOT_FOUND


class InvalidArgumentError(Error, ValueError):
    """An argument makes no sense, e.g. an empty code, a naive datetime
    (``INVALID_ARGUMENT``)."""

    default_code = StatusCode.INVALID_ARGUMENT


class AlreadyExistsError(Error):
    """A code, external reference or draw seed is already taken
    (``ALREADY_EXISTS``)."""

    default_code = StatusCode.ALREADY_EXISTS


class FailedPreconditionError(Error):
    """The state does not allow the call, e.g. cancelling a cancelled series,
    using a closed Store, a file of another application
    (``FAILED_PRECONDITION``).

    Attributes:
        outcome: from verify_code(), ``CodeOutcome.NOT_PENDING`` when the
            code was already used or superseded; None otherwise.
    """

    default_code = StatusCode.FAILED_PRECONDITION
    outcome = None


class CapacityExhaustedError(Error):
    """A limit of the library or the machine was reached, e.g. ids or disk
    space (``RESOURCE_EXHAUSTED``)."""

    default_code = StatusCode.RESOURCE_EXHAUSTED


class BusyError(Error):
    """The campaign file is locked by another connection beyond the busy
    timeout, or cannot be reached (``UNAVAILABLE``). Retrying may succeed."""

    default_code = StatusCode.UNAVAILABLE


class CorruptStoreError(Error):
    """The campaign file is not a readable vaxalloc database or contradicts
    itself (``DATA_LOSS``). The file is left unchanged."""

    default_code = StatusCode.DATA_LOSS


class VerificationFailedError(Error):
    """A one-time code did not verify (``UNAUTHENTICATED``): verify_code()
    with a wrong code (the message says how many attempts are left), an
    expired one or a locked one.

    Attributes:
        outcome: the ``CodeOutcome`` (WRONG, EXPIRED or LOCKED); None when
            raised by anything but verify_code().
    """

    default_code = StatusCode.UNAUTHENTICATED
    outcome = None


class OutOfRangeError(Error, ValueError):
    """A value lies outside what the library accepts, e.g. a day outside the
    years 1900-2200, an id that does not fit 32 bits or an int beyond 64
    bits (``OUT_OF_RANGE``)."""

    default_code = StatusCode.OUT_OF_RANGE


class ArgumentTypeError(InvalidArgumentError, TypeError):
    """An argument of the wrong type: a str for an id, a datetime for a day,
    None for a sequence, a float for an int (``INVALID_ARGUMENT``).

    Raised by the package before anything reaches the core. It is an
    InvalidArgumentError (so ``except vaxalloc.InvalidArgumentError`` catches
    every bad argument) and a TypeError (as Python's own functions raise for
    a wrong type); the message names the function and the argument."""
