"""The argument checks of the public API, in one place.

Every argument a caller passes goes through one of the functions below
before anything crosses into ``vaxalloc._core``, so that pybind11 never sees
a value it cannot convert (its "incompatible function arguments" TypeError,
an OverflowError) and no C string is cut short by a NUL byte. A bad argument
raises one of the package's exceptions, naming it:

- a wrong type: :class:`ArgumentTypeError` (an InvalidArgumentError and a
  TypeError), e.g. None where a sequence belongs;
- a value no call could take: :class:`InvalidArgumentError` (a ValueError):
  a NUL byte or a lone surrogate in a str, a NaN or infinite duration, a
  naive datetime;
- an int beyond 64 bits, a duration beyond 64-bit microseconds:
  :class:`OutOfRangeError` (a ValueError).

:func:`names_function` wraps each public function and method: an argument
error raised inside gets the function's name in front of its message
("Store.add_district: district code ..."), the outermost public call's name
when one calls another. The core's own errors pass unchanged.

This module imports only ``_errors``: ``_types`` and ``_convert`` use it.
"""

from __future__ import annotations

import datetime
import functools
import math
import operator
import os
from collections.abc import Iterable
from typing import Any, Callable

from ._errors import ArgumentTypeError, Error, InvalidArgumentError, OutOfRangeError

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
_MICROSECOND = datetime.timedelta(microseconds=1)

_NAIVE_HINT = (
    "vaxalloc needs timezone-aware datetimes, e.g. "
    "datetime(2021, 6, 7, 8, 0, tzinfo=datetime.timezone.utc) or "
    "tzinfo=zoneinfo.ZoneInfo('Europe/Berlin')"
)


# ---------------------------------------------------------------------------
# Raising

def _type_name(value: Any) -> str:
    return "None" if value is None else type(value).__name__


def _show(value: Any) -> str:
    """A value as a message quotes it: repr, cut short."""
    text = repr(value)
    return text if len(text) <= 80 else text[:76] + "...'"


def wrong_type(what: str, expected: str, value: Any, hint: str = "") -> ArgumentTypeError:
    return ArgumentTypeError(f"{what} must be {expected}, not {_type_name(value)}{hint}",
                             argument=what)


def invalid(what: str, message: str) -> InvalidArgumentError:
    """`message` says what is wrong with `what` (and starts with it)."""
    return InvalidArgumentError(message, argument=what)


def out_of_range(what: str, message: str) -> OutOfRangeError:
    return OutOfRangeError(message, argument=what)


# ---------------------------------------------------------------------------
# Scalars

def to_int(value: Any, what: str) -> int:
    """An int (or anything with __index__; not a bool) that fits 64 bits."""
    if isinstance(value, bool):
        raise wrong_type(what, "an int", value)
    try:
        number = operator.index(value)
    except TypeError:
        raise wrong_type(what, "an int", value) from None
    if not INT64_MIN <= number <= INT64_MAX:
        raise out_of_range(what, f"{what} {number} is outside the 64-bit range -2**63..2**63-1")
    return number


def to_uint64(value: Any, what: str) -> int:
    """An int in 0..2**64-1 (seeds)."""
    if isinstance(value, bool):
        raise wrong_type(what, "an int", value)
    try:
        number = operator.index(value)
    except TypeError:
        raise wrong_type(what, "an int", value) from None
    if not 0 <= number < 2**64:
        raise out_of_range(what, f"{what} {number} is outside 0..2**64-1")
    return number


def to_bool(value: Any, what: str) -> bool:
    if not isinstance(value, bool):
        raise wrong_type(what, "a bool", value)
    return value


def _check_text(value: str, what: str, label: str = "text") -> str:
    # The common case first: ASCII without NUL is valid everywhere.
    if "\x00" in value:
        raise invalid(what, f"{what} {_show(value)} contains a NUL byte")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as error:
            raise invalid(what, (
                f"{what} {_show(value)} is not valid {label}: a lone surrogate "
                f"(U+{ord(value[error.start]):04X} at index {error.start}) cannot be encoded "
                "as UTF-8")) from None
    return value


def to_str(value: Any, what: str) -> str:
    """A str that crosses to C++ intact: no NUL byte (C strings and SQLite
    would end it there), no lone surrogate (it has no UTF-8 form)."""
    if not isinstance(value, str):
        raise wrong_type(what, "a str", value)
    return _check_text(value, what)


def convert_each(convert: Callable[[Any, str], Any], values: Iterable, what: str) -> list:
    """convert(value, what) of every value; an error names the entry's index
    ("ids[3]"). The indexed name is made only for the entry that fails."""
    out = []
    append = out.append
    for value in values:
        try:
            append(convert(value, what))
        except Error:
            convert(value, f"{what}[{len(out)}]")  # raises the same error, named
            raise
    return out


def to_strs(values: Any, what: str) -> list[str]:
    if isinstance(values, (str, bytes, bytearray)) or not isinstance(values, Iterable):
        raise wrong_type(what, "a sequence of strs", values)
    return convert_each(to_str, values, what)


def to_bytes(value: Any, what: str) -> bytes:
    if not isinstance(value, (bytes, bytearray, memoryview)):
        raise wrong_type(what, "bytes", value)
    return bytes(value)


def to_path(value: Any, what: str = "path") -> bytes:
    """A file system path (str, bytes or os.PathLike) as the bytes the OS
    takes: str encoded as Python's os functions do (surrogateescape), no NUL."""
    try:
        path = os.fspath(value)
    except TypeError:
        raise wrong_type(what, "a str, bytes or os.PathLike", value) from None
    if isinstance(path, str):
        if "\x00" in path:
            raise invalid(what, f"{what} {_show(path)} contains a NUL byte")
        try:
            return os.fsencode(path)
        except UnicodeEncodeError as error:
            raise invalid(what, (
                f"{what} {_show(path)} is not valid for the file system: "
                f"U+{ord(path[error.start]):04X} at index {error.start} cannot be encoded"
            )) from None
    if b"\x00" in path:
        raise invalid(what, f"{what} {_show(path)} contains a NUL byte")
    return path


def to_ints(values: Any, what: str) -> list[int]:
    """A sequence of ints (any iterable but str and bytes); an entry's error
    names its index."""
    if isinstance(values, (str, bytes, bytearray)) or not isinstance(values, Iterable):
        raise wrong_type(what, "a sequence of ints", values)
    return convert_each(to_int, values, what)


def to_tuple(values: Any, what: str) -> tuple:
    """A sequence field of a record as a tuple (any iterable but str and bytes)."""
    if isinstance(values, tuple):
        return values
    if isinstance(values, (str, bytes, bytearray)) or not isinstance(values, Iterable):
        raise wrong_type(what, "a sequence", values)
    return tuple(values)


# ---------------------------------------------------------------------------
# Time

def to_micros(value: Any, what: str) -> int:
    """An aware datetime as microseconds since the epoch (UTC); naive ones are
    refused rather than guessed to be local time or UTC."""
    if not isinstance(value, datetime.datetime):
        raise wrong_type(what, "a datetime.datetime", value)
    if value.tzinfo is None or value.utcoffset() is None:
        raise invalid(what, f"{what} {value.isoformat()} is a naive datetime (no time zone); "
                            f"{_NAIVE_HINT}")
    return (value - _EPOCH) // _MICROSECOND


def to_ordinal(value: Any, what: str) -> int:
    """A civil day as its proleptic Gregorian ordinal. A datetime is refused:
    which day it falls on depends on a time zone the caller must choose."""
    if isinstance(value, datetime.datetime) or not isinstance(value, datetime.date):
        raise wrong_type(what, "a datetime.date", value,
                         " (use .date() in the time zone you mean)"
                         if isinstance(value, datetime.datetime) else "")
    return value.toordinal()


def to_timedelta(value: Any, what: str) -> datetime.timedelta:
    """A timedelta, or a finite number of seconds, as a timedelta that fits
    64-bit microseconds."""
    if isinstance(value, datetime.timedelta):
        delta = value
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        if isinstance(value, float) and not math.isfinite(value):
            raise invalid(what, f"{what} {value!r} is not a finite number of seconds")
        if not INT64_MIN <= value * 1_000_000 <= INT64_MAX:
            raise out_of_range(what, f"{what} {value!r} s is beyond 64-bit microseconds")
        delta = datetime.timedelta(seconds=value)
    else:
        raise wrong_type(what, "a datetime.timedelta or seconds", value)
    if not INT64_MIN <= delta // _MICROSECOND <= INT64_MAX:
        raise out_of_range(what, f"{what} {delta} is beyond 64-bit microseconds")
    return delta


def to_micros_duration(value: Any, what: str) -> int:
    """A timedelta, or a number of seconds, as microseconds."""
    return to_timedelta(value, what) // _MICROSECOND


# ---------------------------------------------------------------------------
# Naming the function

def _in_function(error: Error, label: str) -> None:
    """Puts `label` in front of an argument error's message (replacing an
    inner function's: the outermost public call names it)."""
    bare = error.__dict__.get("_bare_message", error.message)
    error._bare_message = bare
    error.function = label
    error.message = f"{label}: {bare}"
    error.args = (error.message, int(error.code))


def names_function(function: Callable, label: str | Callable[[tuple], str] | None = None):
    """Wraps a public function: argument errors raised inside name it.

    label: the name to give ("lottery_number"), or a function of the call's
    positional arguments (a method's is "Class.method" of its instance's
    class). The wrapper keeps the signature and docstring."""
    if label is None:
        label = function.__name__

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except Error as error:
            if error.argument is not None and not error.__dict__.get("_from_callback"):
                _in_function(error, label if isinstance(label, str) else label(args))
            raise

    return wrapper


def callback(function: Callable) -> Callable:
    """Wraps a caller's callback (Scenario.populate's progress): an argument
    error of a call the callback made keeps that call's name as it leaves
    through the package's function that ran the callback."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except Error as error:
            if error.argument is not None:
                error._from_callback = True
            raise

    return wrapper


def _method_label(name: str) -> Callable[[tuple], str]:
    def label(args: tuple) -> str:
        owner = args[0] if args and isinstance(args[0], type) else type(args[0]) if args else None
        return name if owner is None else f"{owner.__name__}.{name}"
    return label


def _constructor_label(args: tuple) -> str:
    return f"{type(args[0]).__name__}()" if args else "()"


def name_methods(cls: type) -> type:
    """Wraps the public methods, classmethods, staticmethods and __init__
    defined in `cls` with names_function. Properties are left alone (they
    take no arguments)."""
    for name, member in list(vars(cls).items()):
        if name.startswith("_") and name != "__init__":
            continue
        if isinstance(member, classmethod):
            setattr(cls, name, classmethod(names_function(member.__func__, _method_label(name))))
        elif isinstance(member, staticmethod):
            setattr(cls, name, staticmethod(
                names_function(member.__func__, f"{cls.__name__}.{name}")))
        elif name == "__init__" and callable(member):
            setattr(cls, name, names_function(member, _constructor_label))
        elif callable(member) and not isinstance(member, type):
            setattr(cls, name, names_function(member, _method_label(name)))
    return cls
