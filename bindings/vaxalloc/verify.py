"""An independent verifier of committed draws, written from docs/draw.md alone.

A committed draw (docs/draw.md, section 9) is published as an *audit bundle*
(section 11): the frozen inputs of the draw (section 10), the commitment, the
beacon value, the seed and the results. This module re-checks such a bundle
without trusting the library that produced it:

* it imports nothing from the ``vaxalloc`` package and no compiled module,
  only the Python standard library (``hashlib`` for SHA-256); SipHash-2-4 and
  the whole placement algorithm are re-implemented here, so a mistake in the
  C++ library is not silently repeated;
* it follows the structure of docs/draw.md, one function per section where
  that is natural, and cites the section numbers, so that an auditor can read
  the two side by side ("section 10.6" is item 6 of section 10's list, the
  pools; "section 5" is "Placing one registrant in one pool").

What it cannot check, and prints for the reader to check: that the beacon
value is what the named beacon published (compare it with the beacon's own
record), that the commitment was published before that value existed, and
how many commitments came before it (the header's id) and what became of
them (the campaign's journal). Nor section 1's status and self-booking-hold
conditions (the inputs carry only those who take part), or whether the
inputs describe the real campaign; that is what publishing the commitment
before the beacon value exists is for (section 9).

Use::

    python3 -m vaxalloc.verify bundle.vxd                  # identical / first difference
    python3 -m vaxalloc.verify bundle.vxd --reference REF  # REF's digest, number, place

(``python3 bindings/vaxalloc/verify.py ...`` works too and needs no built
package.) Exit status: 0 identical, 1 different, 2 unreadable or malformed.
"""

from __future__ import annotations

import argparse
import bisect
import datetime
import hashlib
import math
import os
import struct
import sys
from dataclasses import dataclass, field
from typing import Callable, NamedTuple, Sequence, TypeVar

__all__ = [
    "BundleError",
    "Inputs",
    "Bundle",
    "DrawResult",
    "Report",
    "siphash24",
    "ref_digest",
    "committed_lottery_number",
    "seed_from_beacon",
    "format_seed",
    "parse_inputs",
    "parse_bundle",
    "tier_from_rules",
    "redraw",
    "check_bundle",
    "verify_bundle",
    "explain_reference",
    "main",
]

TIER_COUNT = 8  # tiers are 1 (first) .. 8 (sections 2 and 11)
I64_MAX = (1 << 63) - 1  # a tier rule's "no bound" (section 10.3)
U64_MASK = (1 << 64) - 1
INPUTS_MAGIC = b"VXDRAWI1"  # section 10
BUNDLE_MAGIC = b"VXDRAWB1"  # section 11


# ---------------------------------------------------------------------------
# Section 3: SipHash-2-4 (Aumasson and Bernstein, 2012), as in the reference
# implementation: k0 is the first 8 key bytes little-endian, k1 the next 8.
# ---------------------------------------------------------------------------


def _rotl64(value: int, bits: int) -> int:
    return ((value << bits) | (value >> (64 - bits))) & U64_MASK


def _sip_round(v0: int, v1: int, v2: int, v3: int) -> tuple[int, int, int, int]:
    """One SipRound of the reference implementation, on 64-bit words."""
    v0 = (v0 + v1) & U64_MASK
    v1 = _rotl64(v1, 13) ^ v0
    v0 = _rotl64(v0, 32)
    v2 = (v2 + v3) & U64_MASK
    v3 = _rotl64(v3, 16) ^ v2
    v0 = (v0 + v3) & U64_MASK
    v3 = _rotl64(v3, 21) ^ v0
    v2 = (v2 + v1) & U64_MASK
    v1 = _rotl64(v1, 17) ^ v2
    v2 = _rotl64(v2, 32)
    return v0, v1, v2, v3


def siphash24(k0: int, k1: int, message: bytes) -> int:
    """SipHash-2-4 of ``message`` under the 128-bit key ``(k0, k1)``.

    Implemented here rather than taken from a library so that the verifier
    shares no code with the implementation it checks (section 12). Checked
    against the reference test vectors in tests/python/test_verify_spec.py.
    """
    if not (0 <= k0 <= U64_MASK and 0 <= k1 <= U64_MASK):
        raise ValueError("SipHash key halves must be unsigned 64-bit integers")
    message = bytes(message)
    v0 = k0 ^ 0x736F6D6570736575
    v1 = k1 ^ 0x646F72616E646F6D
    v2 = k0 ^ 0x6C7967656E657261
    v3 = k1 ^ 0x7465646279746573
    length = len(message)
    full = length - length % 8
    for start in range(0, full, 8):  # compression: 2 rounds per 8-byte word
        word = int.from_bytes(message[start:start + 8], "little")
        v3 ^= word
        v0, v1, v2, v3 = _sip_round(v0, v1, v2, v3)
        v0, v1, v2, v3 = _sip_round(v0, v1, v2, v3)
        v0 ^= word
    # The last word: the remaining 0..7 bytes, and the length mod 256 on top.
    last = ((length & 0xFF) << 56) | int.from_bytes(message[full:], "little")
    v3 ^= last
    v0, v1, v2, v3 = _sip_round(v0, v1, v2, v3)
    v0, v1, v2, v3 = _sip_round(v0, v1, v2, v3)
    v0 ^= last
    v2 ^= 0xFF  # finalization: 4 rounds
    for _ in range(4):
        v0, v1, v2, v3 = _sip_round(v0, v1, v2, v3)
    return v0 ^ v1 ^ v2 ^ v3


def format_seed(k0: int, k1: int) -> str:
    """The published form of a seed (section 3): 32 lowercase hex digits,
    ``k0`` then ``k1``, each most significant digit first."""
    if not (0 <= k0 <= U64_MASK and 0 <= k1 <= U64_MASK):
        raise ValueError("seed halves must be unsigned 64-bit integers")
    return f"{k0:016x}{k1:016x}"


# ---------------------------------------------------------------------------
# Section 9: committed draws. The lottery runs over the reference's digest, so
# the bundle need not carry anyone's reference; the seed comes from the
# commitment and the beacon value, so nobody can choose it.
# ---------------------------------------------------------------------------


def _reference_bytes(reference: str | bytes) -> bytes:
    return reference.encode("utf-8") if isinstance(reference, str) else bytes(reference)


def ref_digest(reference: str | bytes) -> bytes:
    """``ref_digest(r) = SHA-256(r.external_ref bytes)`` (section 9); a str is
    taken as its UTF-8 bytes, exactly as registered."""
    return hashlib.sha256(_reference_bytes(reference)).digest()


def committed_lottery_number(k0: int, k1: int, reference: str | bytes) -> int:
    """``lottery(r) = SipHash-2-4(k0 || k1, ref_digest(r))`` (section 9)."""
    return siphash24(k0, k1, ref_digest(reference))


def seed_from_beacon(commitment: bytes, beacon_value: bytes) -> tuple[int, int]:
    """The seed of a committed draw (section 9, "Reveal"):
    ``digest = SHA-256(commitment || beacon value)``, ``k0`` = its bytes 0..8
    and ``k1`` its bytes 8..16, each read little-endian."""
    digest = hashlib.sha256(bytes(commitment) + bytes(beacon_value)).digest()
    return int.from_bytes(digest[0:8], "little"), int.from_bytes(digest[8:16], "little")


# ---------------------------------------------------------------------------
# Days (section 10: i32 days since 1970-01-01) and ages (section 5).
# Proleptic Gregorian calendar, as datetime.date, but valid for every i32 day
# (datetime.date stops at years 1 and 9999, and the format does not).
# ---------------------------------------------------------------------------


def days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 of a civil date (H. Hinnant's algorithm)."""
    year -= month <= 2
    era = year // 400
    year_of_era = year - era * 400
    day_of_year = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146097 + day_of_era - 719468


def civil_from_days(days: int) -> tuple[int, int, int]:
    """(year, month, day) of a day number; the inverse of days_from_civil."""
    shifted = days + 719468
    era = shifted // 146097
    day_of_era = shifted - era * 146097
    year_of_era = (day_of_era - day_of_era // 1460 + day_of_era // 36524
                   - day_of_era // 146096) // 365
    day_of_year = day_of_era - (365 * year_of_era + year_of_era // 4 - year_of_era // 100)
    month_index = (5 * day_of_year + 2) // 153
    day = day_of_year - (153 * month_index + 2) // 5 + 1
    month = month_index + 3 if month_index < 10 else month_index - 9
    return year_of_era + era * 400 + (month <= 2), month, day


def iso_day(days: int) -> str:
    """A day number as an ISO date, for messages."""
    year, month, day = civil_from_days(days)
    return f"{year:04d}-{month:02d}-{day:02d}"


def iso_instant(micros: int) -> str:
    """An instant (i64 microseconds since 1970-01-01 00:00 UTC) for messages."""
    day, rest = divmod(micros, 86_400_000_000)
    seconds, micro = divmod(rest, 1_000_000)
    hour, remainder = divmod(seconds, 3600)
    minute, second = divmod(remainder, 60)
    fraction = f".{micro:06d}" if micro else ""
    return f"{iso_day(day)}T{hour:02d}:{minute:02d}:{second:02d}{fraction}Z"


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def first_day_of_age(birth_day: int, years: int) -> int:
    """The first day on which someone born on ``birth_day`` is ``years`` old
    (section 5: full years; born on 29 February, a year older on 1 March in
    non-leap years)."""
    year, month, day = civil_from_days(birth_day)
    target = year + years
    if month == 2 and day == 29 and not _is_leap(target):
        return days_from_civil(target, 3, 1)
    return days_from_civil(target, month, day)


def age_on(birth_day: int, day: int) -> int:
    """Full years since ``birth_day`` on ``day`` (section 5)."""
    year, _, _ = civil_from_days(birth_day)
    age = civil_from_days(day)[0] - year
    if first_day_of_age(birth_day, age) > day:
        age -= 1
    return age


def age_window(birth_day: int, years_min: int, years_max: int) -> tuple[int | None, int | None]:
    """The days (first, last; None: unbounded) on which someone is
    age-eligible for ``[years_min, years_max]`` (section 5: a bound of 0 is
    no bound). Computed once per candidate instead of an age per day."""
    first = first_day_of_age(birth_day, years_min) if years_min != 0 else None
    last = first_day_of_age(birth_day, years_max + 1) - 1 if years_max != 0 else None
    return first, last


# ---------------------------------------------------------------------------
# Sections 10 and 11: the data, as dataclasses mirroring the byte format.
# ---------------------------------------------------------------------------


class BundleError(ValueError):
    """Malformed inputs or bundle bytes: the message names the section, the
    field and the byte offset."""


@dataclass
class Header:  # section 10.1
    library_version: str
    commitment_id: int


@dataclass
class Request:  # section 10.2
    at: int  # microseconds since 1970-01-01 00:00 UTC
    first_dose_from: int  # day
    first_dose_until: int  # day, inclusive
    series_limit: int  # 0: no limit
    centers: list[int]  # empty: all
    beacon: str


@dataclass
class TierRule:  # section 10.3
    registered_before: int  # I64_MAX: no bound
    tier_by_group: tuple[int, int, int, int]  # groups 1, 2, 3, none


@dataclass
class Reserve:  # section 10.3, a reserve category
    share_permille: int
    age_years_min: int
    group_mask: int  # bit g-1 for group g; 0: all
    vaccine: int  # 0: every vaccine


@dataclass
class Policy:  # section 10.3
    time_zone: str
    local_day: int  # the day of `at` in time_zone
    draw_lead_days_online: int
    draw_lead_days_phone: int
    residence: int  # 0 home district only, 1 home or neighbour district
    tier_rules: list[TierRule]
    reserves: list[Reserve]
    neighbours: list[tuple[int, int]]
    version: int = 1  # the policy version; first in the section's bytes


@dataclass
class Center:  # section 10.4
    id: int
    districts: list[int]


@dataclass
class Geography:  # section 10.4
    district_count: int
    centers: list[Center]


@dataclass
class Vaccine:  # section 10.5
    id: int
    dose_count: int
    interval_days_min: int
    interval_days_target: int
    interval_days_max: int
    age_years_min: int
    age_years_max: int


@dataclass
class Release:  # section 10.6
    first_day: int
    last_day: int  # inclusive


@dataclass
class Slot:  # section 10.6
    minute: int
    bookable_first: int
    bookable_second: int
    booked_first: int
    booked_second: int


@dataclass
class PoolDay:  # section 10.6
    delivered: int
    slots: list[Slot]


@dataclass
class Pool:  # section 10.6
    center: int
    vaccine: int
    first_day: int
    releases: list[Release]
    days: list[PoolDay]  # first_day, first_day + 1, ...

    @property
    def last_day(self) -> int:
        return self.first_day + len(self.days) - 1


@dataclass
class Candidate:  # section 10.7
    ref_digest: bytes  # 32 bytes
    registered_at: int
    waiting_since: int
    district: int
    birth_day: int
    vaccine_preference: int  # 0: any
    group: int  # 1, 2, 3, 4 = none
    channel: int  # 0 online, 1 phone
    tier: int


@dataclass
class Inputs:  # section 10
    header: Header
    request: Request
    policy: Policy
    geography: Geography
    vaccines: list[Vaccine]
    pools: list[Pool]
    candidates: list[Candidate]
    raw: bytes = field(default=b"", repr=False)  # the exact bytes parsed: the commitment's input


class Dose(NamedTuple):  # section 11: per dose `i32 day`, `u16 minute`
    day: int
    minute: int


@dataclass
class Series:  # section 11; also what the re-run places
    candidate: int  # index into Inputs.candidates, from 0
    center: int
    vaccine: int
    tier: int
    category: int  # k + 1 for reserve category k (from 0), 0 for the general pool
    doses: tuple[Dose, ...]


@dataclass
class TierCount:  # section 11
    eligible: int
    assigned: int


@dataclass
class Bundle:  # section 11
    inputs: Inputs
    commitment: bytes
    beacon_value: bytes
    k0: int
    k1: int
    draw_id: int
    revealed_at: int
    tier_counts: list[TierCount]  # tiers 1..8
    series: list[Series]  # in placement order


@dataclass
class DrawResult:
    """What the re-run of sections 1-6 gives: tier counts and placed series."""

    tier_counts: list[TierCount]  # tiers 1..8
    series: list[Series]  # in placement order


# ---------------------------------------------------------------------------
# Section 10: reading the bytes. Every read names what it reads, so a
# malformed file is reported by section, field and byte offset.
# ---------------------------------------------------------------------------

T = TypeVar("T")


class _Reader:
    """Reads little-endian fixed-width fields from ``data[pos:end]``.

    Offsets in messages are offsets into ``data`` (the whole file); ``where``
    names the part being read ("inputs section 3 (policy)", "bundle").
    """

    def __init__(self, data: bytes, pos: int, end: int, where: str) -> None:
        self.data = data
        self.pos = pos
        self.end = end
        self.where = where

    def fail(self, what: str, message: str, offset: int | None = None) -> BundleError:
        at = self.pos if offset is None else offset
        return BundleError(f"{self.where}: {what}: {message} (byte offset {at})")

    def take(self, size: int, what: str) -> bytes:
        left = self.end - self.pos
        if left < size:
            raise self.fail(what, f"needs {size} bytes, only {left} left")
        chunk = self.data[self.pos:self.pos + size]
        self.pos += size
        return chunk

    def _int(self, fmt: str, size: int, what: str) -> int:
        return struct.unpack("<" + fmt, self.take(size, what))[0]

    def u8(self, what: str) -> int:
        return self._int("B", 1, what)

    def u16(self, what: str) -> int:
        return self._int("H", 2, what)

    def u32(self, what: str) -> int:
        return self._int("I", 4, what)

    def i32(self, what: str) -> int:
        return self._int("i", 4, what)

    def u64(self, what: str) -> int:
        return self._int("Q", 8, what)

    def i64(self, what: str) -> int:
        return self._int("q", 8, what)

    def string(self, what: str) -> str:
        """`str`: a u32 byte count and that many UTF-8 bytes."""
        start = self.pos
        size = self.u32(what + " length")
        raw = self.take(size, what)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise self.fail(what, f"not UTF-8 ({error.reason})", start) from None

    def items(self, what: str, min_size: int, read_one: Callable[[int], T]) -> list[T]:
        """`list<T>`: a u32 count and that many T; ``read_one(i)`` reads item i.

        The count is checked against the bytes left first, so a corrupt count
        is reported at once rather than after billions of reads."""
        start = self.pos
        count = self.u32(what + " count")
        left = self.end - self.pos
        if count * min_size > left:
            raise self.fail(what, f"count {count} needs at least {count * min_size} bytes, "
                                  f"only {left} left", start)
        return [read_one(index) for index in range(count)]


def _read_header(r: _Reader) -> Header:  # section 10.1
    return Header(library_version=r.string("library version"),
                  commitment_id=r.u32("commitment id"))


def _read_request(r: _Reader) -> Request:  # section 10.2
    return Request(at=r.i64("at"),
                   first_dose_from=r.i32("first_dose_from"),
                   first_dose_until=r.i32("first_dose_until"),
                   series_limit=r.u32("series_limit"),
                   centers=r.items("centers", 4, lambda i: r.u32(f"center {i}")),
                   beacon=r.string("beacon"))


def _read_enum(r: _Reader, what: str, allowed: range) -> int:
    start = r.pos
    value = r.u8(what)
    if value not in allowed:
        raise r.fail(what, f"is {value}, expected {allowed.start}..{allowed.stop - 1}", start)
    return value


def _read_policy(r: _Reader) -> Policy:  # section 10.3
    version = r.u32("policy version")
    time_zone = r.string("time_zone")
    local_day = r.i32("local_day")
    lead_online = r.i32("draw_lead_days_online")
    lead_phone = r.i32("draw_lead_days_phone")
    residence = _read_enum(r, "residence", range(0, 2))

    def tier_rule(i: int) -> TierRule:
        before = r.i64(f"tier rule {i} registered_before")
        tiers = tuple(r.u8(f"tier rule {i} tier of group {g}") for g in ("1", "2", "3", "none"))
        return TierRule(before, tiers)  # type: ignore[arg-type]

    def reserve(i: int) -> Reserve:
        return Reserve(share_permille=r.i32(f"reserve {i} share_permille"),
                       age_years_min=r.i32(f"reserve {i} age_years_min"),
                       group_mask=r.u8(f"reserve {i} group_mask"),
                       vaccine=r.u32(f"reserve {i} vaccine"))

    tier_rules = r.items("tier rules", 12, tier_rule)
    reserves = r.items("reserves", 13, reserve)
    neighbours = r.items("neighbour pairs", 8,
                         lambda i: (r.u32(f"neighbour pair {i} a"), r.u32(f"neighbour pair {i} b")))
    return Policy(time_zone, local_day, lead_online, lead_phone, residence,
                  tier_rules, reserves, neighbours, version)


def _read_geography(r: _Reader) -> Geography:  # section 10.4
    district_count = r.u32("district count")

    def center(i: int) -> Center:
        center_id = r.u32(f"center {i} id")
        districts = r.items(f"center {i} districts", 4, lambda j: r.u32(f"center {i} district {j}"))
        return Center(center_id, districts)

    return Geography(district_count, r.items("centers", 8, center))


def _read_vaccines(r: _Reader) -> list[Vaccine]:  # section 10.5
    def vaccine(i: int) -> Vaccine:
        vaccine_id = r.u32(f"vaccine {i} id")
        # Section 5 knows one- and two-dose vaccines only.
        dose_count = _read_enum(r, f"vaccine {i} dose_count", range(1, 3))
        return Vaccine(vaccine_id, dose_count,
                       interval_days_min=r.i32(f"vaccine {i} interval_days_min"),
                       interval_days_target=r.i32(f"vaccine {i} interval_days_target"),
                       interval_days_max=r.i32(f"vaccine {i} interval_days_max"),
                       age_years_min=r.i32(f"vaccine {i} age_years_min"),
                       age_years_max=r.i32(f"vaccine {i} age_years_max"))

    return r.items("vaccines", 25, vaccine)


def _read_pools(r: _Reader) -> list[Pool]:  # section 10.6
    def pool(i: int) -> Pool:
        center = r.u32(f"pool {i} center")
        vaccine = r.u32(f"pool {i} vaccine")
        first_day = r.i32(f"pool {i} first_day")
        releases = r.items(f"pool {i} releases", 8,
                           lambda j: Release(r.i32(f"pool {i} release {j} first_day"),
                                             r.i32(f"pool {i} release {j} last_day")))

        def day(j: int) -> PoolDay:
            what = f"pool {i} day {j}"
            delivered = r.i64(what + " delivered")
            slots = r.items(what + " slots", 10, lambda k: Slot(
                r.u16(f"{what} slot {k} minute"), r.u16(f"{what} slot {k} bookable_first"),
                r.u16(f"{what} slot {k} bookable_second"), r.u16(f"{what} slot {k} booked_first"),
                r.u16(f"{what} slot {k} booked_second")))
            return PoolDay(delivered, slots)

        return Pool(center, vaccine, first_day, releases, r.items(f"pool {i} days", 12, day))

    return r.items("pools", 20, pool)


def _read_candidates(r: _Reader) -> list[Candidate]:  # section 10.7
    def candidate(i: int) -> Candidate:
        return Candidate(ref_digest=r.take(32, f"candidate {i} ref_digest"),
                         registered_at=r.i64(f"candidate {i} registered_at"),
                         waiting_since=r.i64(f"candidate {i} waiting_since"),
                         district=r.u32(f"candidate {i} district"),
                         birth_day=r.i32(f"candidate {i} birth_day"),
                         vaccine_preference=r.u32(f"candidate {i} vaccine_preference"),
                         group=_read_enum(r, f"candidate {i} group", range(1, 5)),
                         channel=_read_enum(r, f"candidate {i} channel", range(0, 2)),
                         tier=r.u8(f"candidate {i} tier"))

    return r.items("candidates", 63, candidate)


#: Section 10's seven sections in their order. The spec gives each a `u8 tag`
#: without spelling out the values; the tag is read as the section's number
#: in that list (1 header .. 7 candidates).
_SECTIONS: tuple[tuple[str, Callable[[_Reader], object]], ...] = (
    ("header", _read_header),
    ("request", _read_request),
    ("policy", _read_policy),
    ("geography", _read_geography),
    ("vaccines", _read_vaccines),
    ("pools", _read_pools),
    ("candidates", _read_candidates),
)


def _parse_inputs_at(data: bytes, start: int, end: int, where: str) -> Inputs:
    """Section 10 on ``data[start:end]``; offsets in messages are into ``data``."""
    r = _Reader(data, start, end, where)
    magic = r.take(len(INPUTS_MAGIC), "magic")
    if magic != INPUTS_MAGIC:
        raise r.fail("magic", f"is {magic!r}, expected {INPUTS_MAGIC!r}", start)
    parts: list[object] = []
    for number, (name, read_body) in enumerate(_SECTIONS, start=1):
        label = f"section {number} ({name})"
        tag_at = r.pos
        tag = r.u8(label + " tag")
        if tag != number:
            raise r.fail(label + " tag", f"is {tag}, expected {number}: the sections are "
                         + ", ".join(n for n, _ in _SECTIONS) + ", in this order", tag_at)
        length_at = r.pos
        length = r.u64(label + " body length")
        left = r.end - r.pos
        if length > left:
            raise r.fail(label + " body length", f"is {length}, only {left} bytes follow", length_at)
        body = _Reader(data, r.pos, r.pos + length, f"{where} {label}")
        parts.append(read_body(body))
        if body.pos != body.end:
            raise body.fail("body length", f"is {length} bytes, its fields take "
                                           f"{body.pos - r.pos}")
        r.pos = body.end
    if r.pos != r.end:
        raise r.fail("end", f"{r.end - r.pos} bytes after the candidates section")
    header, request, policy, geography, vaccines, pools, candidates = parts
    inputs = Inputs(header, request, policy, geography, vaccines, pools, candidates,  # type: ignore[arg-type]
                    raw=bytes(data[start:end]))
    known_vaccines = {v.id for v in inputs.vaccines}
    for index, pool in enumerate(inputs.pools):
        if pool.vaccine not in known_vaccines:
            raise BundleError(f"{where} section 6 (pools): pool {index} (center {pool.center}) "
                              f"names vaccine {pool.vaccine}, which section 5 does not list")
    return inputs


def parse_inputs(data: bytes) -> Inputs:
    """Parse the canonical inputs of section 10 (raises BundleError)."""
    data = bytes(data)
    return _parse_inputs_at(data, 0, len(data), "inputs")


def parse_bundle(data: bytes) -> Bundle:
    """Parse an audit bundle of section 11 (raises BundleError); offsets in
    messages are offsets into the bundle file."""
    data = bytes(data)
    r = _Reader(data, 0, len(data), "bundle")
    magic = r.take(len(BUNDLE_MAGIC), "magic")
    if magic != BUNDLE_MAGIC:
        raise r.fail("magic", f"is {magic!r}, expected {BUNDLE_MAGIC!r}", 0)
    inputs_length = r.u64("inputs length")
    left = r.end - r.pos
    if inputs_length > left:
        raise r.fail("inputs length", f"is {inputs_length}, only {left} bytes follow", 8)
    inputs = _parse_inputs_at(data, r.pos, r.pos + inputs_length, "bundle inputs")
    r.pos += inputs_length
    commitment = r.take(32, "commitment")
    beacon_value = r.take(r.u32("beacon value length"), "beacon value")
    k0 = int.from_bytes(r.take(8, "seed k0"), "little")
    k1 = int.from_bytes(r.take(8, "seed k1"), "little")
    draw_id = r.u32("draw id")
    revealed_at = r.i64("revealed at")
    tier_counts = [TierCount(r.u32(f"tier {t} eligible"), r.u32(f"tier {t} assigned"))
                   for t in range(1, TIER_COUNT + 1)]

    def series(i: int) -> Series:
        candidate = r.u32(f"series {i} candidate")
        center = r.u32(f"series {i} center")
        vaccine = r.u32(f"series {i} vaccine")
        tier = r.u8(f"series {i} tier")
        category = r.u8(f"series {i} category")
        dose_count = r.u8(f"series {i} dose_count")
        doses = tuple(Dose(r.i32(f"series {i} dose {d + 1} day"), r.u16(f"series {i} dose {d + 1} minute"))
                      for d in range(dose_count))
        return Series(candidate, center, vaccine, tier, category, doses)

    placed = r.items("series", 15, series)
    if r.pos != r.end:
        raise r.fail("end", f"{r.end - r.pos} bytes after the series list")
    return Bundle(inputs, commitment, beacon_value, k0, k1, draw_id, revealed_at,
                  tier_counts, placed)


# ---------------------------------------------------------------------------
# Section 2: tiers.
# ---------------------------------------------------------------------------


def tier_from_rules(policy: Policy, registered_at: int, group: int) -> int:
    """The tier the policy's tier rules give (section 2): the first rule in
    ascending ``registered_before`` order with ``registered_at <
    registered_before`` gives ``tier_by_group[group - 1]``; after every
    rule's bound (or with no rules) the tier is the group number (none = 4)."""
    for rule in sorted(policy.tier_rules, key=lambda rule: rule.registered_before):
        if rule.registered_before == I64_MAX or registered_at < rule.registered_before:
            return rule.tier_by_group[group - 1]
    return group


# ---------------------------------------------------------------------------
# Section 3: the order of the candidates of a committed draw (section 9).
# ---------------------------------------------------------------------------


def lottery_order(candidates: Sequence[Candidate], k0: int, k1: int) -> list[int]:
    """Candidate indices by (tier, lottery number, ref_digest bytewise), with
    the lottery number of section 9 (SipHash over the digest). The index in
    the list never enters (section 3: storage order carries no meaning)."""
    keys = [(c.tier, siphash24(k0, k1, c.ref_digest), c.ref_digest) for c in candidates]
    return sorted(range(len(candidates)), key=keys.__getitem__)


# ---------------------------------------------------------------------------
# Section 4: the pools a candidate may be placed in, in order of preference.
# ---------------------------------------------------------------------------


class _Geography:
    """Who serves which district, and the neighbours (section 10.3/10.4),
    indexed once so that preference lists are cheap."""

    def __init__(self, inputs: Inputs) -> None:
        self.centers_of_district: dict[int, set[int]] = {}
        for center in inputs.geography.centers:
            for district in center.districts:
                self.centers_of_district.setdefault(district, set()).add(center.id)
        self.neighbours: dict[int, set[int]] = {}
        for a, b in inputs.policy.neighbours:  # a pair makes each a neighbour of the other
            self.neighbours.setdefault(a, set()).add(b)
            self.neighbours.setdefault(b, set()).add(a)
        self.residence = inputs.policy.residence
        # Pools by center, each center's pools by vaccine id ascending.
        self.pools_of_center: dict[int, list[int]] = {}
        for index in sorted(range(len(inputs.pools)), key=lambda i: inputs.pools[i].vaccine):
            self.pools_of_center.setdefault(inputs.pools[index].center, []).append(index)
        self.requested = set(inputs.request.centers)


def pool_preference(geo: _Geography, pools: Sequence[Pool], district: int,
                    vaccine_preference: int) -> list[int]:
    """Section 4: indices into the inputs' pools, in order of preference."""
    home = sorted(geo.centers_of_district.get(district, ()))
    centers = list(home)
    if geo.residence == 1:  # kHomeOrNeighbourDistrict
        nearby: set[int] = set()
        for neighbour in geo.neighbours.get(district, ()):
            nearby |= geo.centers_of_district.get(neighbour, set())
        centers += sorted(nearby - set(home))
    preference = []
    for center in centers:
        if geo.requested and center not in geo.requested:
            continue  # the request names centers and not this one
        for index in geo.pools_of_center.get(center, ()):
            if vaccine_preference != 0 and pools[index].vaccine != vaccine_preference:
                continue
            preference.append(index)
    return preference


# ---------------------------------------------------------------------------
# Section 5: placing one candidate in one pool.
# ---------------------------------------------------------------------------


class _PoolState:
    """One pool during the re-run: a private copy of its seats and its
    supply, updated by every placement (section 6: later candidates see the
    seats and doses taken). The inputs are not modified."""

    def __init__(self, pool: Pool, vaccine: Vaccine, request: Request) -> None:
        self.pool = pool
        self.vaccine = vaccine
        self.first_day = pool.first_day
        self.day_count = len(pool.days)
        # Slots of each day by start minute (section 5: the earliest slot).
        self.slots: list[list[list[int]]] = []  # [day][slot] = [minute, bf, bs, kf, ks]
        for pool_day in pool.days:
            ordered = sorted(pool_day.slots, key=lambda s: s.minute)
            self.slots.append([[s.minute, s.bookable_first, s.bookable_second,
                                s.booked_first, s.booked_second] for s in ordered])
        # Free seats per day: "some slot has booked < bookable" iff > 0.
        self.free_first = [sum(max(0, s[1] - s[3]) for s in day) for day in self.slots]
        self.free_second = [sum(max(0, s[2] - s[4]) for s in day) for day in self.slots]
        # Section 5: d1 lies in no release of the pool.
        self.released = [any(r.first_day <= self.first_day + i <= r.last_day for r in pool.releases)
                         for i in range(self.day_count)]
        # Section 10.6: slack(t) = running sum of delivered - booked seats.
        self.slack: list[int] = []
        running = 0
        for pool_day, day in zip(pool.days, self.slots):
            running += pool_day.delivered - sum(s[3] + s[4] for s in day)
            self.slack.append(running)
        self.suffix_min: list[int] = []
        self._update_suffix_min()
        # Window days (as indices) where a first dose could go: not released,
        # a free first-dose seat. Shrinks as seats are taken.
        low = max(request.first_dose_from - self.first_day, 0)
        high = min(request.first_dose_until - self.first_day, self.day_count - 1)
        self.open_first = [i for i in range(low, high + 1)
                           if not self.released[i] and self.free_first[i] > 0]
        # Second-dose offsets in the order of section 5: |d2 - (d1 + target)|, then d2.
        self.second_offsets = sorted(range(vaccine.interval_days_min, vaccine.interval_days_max + 1),
                                     key=lambda o: (abs(o - vaccine.interval_days_target), o))
        # d1 ranges (as day pairs) already known to fail here. Bookings only
        # take seats and doses away, so a range that failed fails again: the
        # re-run skips it (the same kind of shortcut section 6 allows).
        self.failed_ranges: set[tuple[int, int]] = set()

    def _update_suffix_min(self) -> None:
        """suffix_min[i] = min(slack[i:]), so "slack(t) >= n for every t >= d"
        is one lookup."""
        self.suffix_min = [0] * self.day_count
        lowest: int | None = None
        for i in range(self.day_count - 1, -1, -1):
            lowest = self.slack[i] if lowest is None else min(lowest, self.slack[i])
            self.suffix_min[i] = lowest

    def fits_supply(self, i1: int, i2: int | None) -> bool:
        """Section 5's supply rule for first dose on day index i1 and second
        on i2 (None: a one-dose vaccine), over the pool's days."""
        if i2 is None:
            return self.suffix_min[i1] >= 1  # slack(t) >= 1 for every t >= d1
        if self.suffix_min[i2] < 2:  # slack(t) >= 2 for every t >= d2
            return False
        return all(self.slack[t] >= 1 for t in range(i1, i2))  # d1 <= t < d2

    def find(self, day_low: int, day_high: int) -> tuple[int, int | None] | None:
        """The first feasible (d1, d2) of section 5 with d1 in [day_low,
        day_high] (already narrowed by window, lead days and age), as day
        indices; None if there is none."""
        if (day_low, day_high) in self.failed_ranges:
            return None
        two_doses = self.vaccine.dose_count >= 2
        low = day_low - self.first_day
        high = day_high - self.first_day
        position = bisect.bisect_left(self.open_first, low)
        while position < len(self.open_first) and self.open_first[position] <= high:
            i1 = self.open_first[position]  # d1 ascending
            position += 1
            if self.suffix_min[i1] < 1:
                continue  # no dose left from d1 on, whatever d2
            if not two_doses:
                return i1, None
            for offset in self.second_offsets:
                i2 = i1 + offset
                if 0 <= i2 < self.day_count and self.free_second[i2] > 0 and self.fits_supply(i1, i2):
                    return i1, i2
        self.failed_ranges.add((day_low, day_high))
        return None

    def book(self, i1: int, i2: int | None) -> tuple[Dose, ...]:
        """Books the earliest free seats on d1 (and d2) and their doses."""
        doses = [self._book_seat(i1, first=True)]
        if i2 is not None:
            doses.append(self._book_seat(i2, first=False))
        self._update_suffix_min()
        return tuple(doses)

    def _book_seat(self, index: int, *, first: bool) -> Dose:
        bookable, booked = (1, 3) if first else (2, 4)
        for slot in self.slots[index]:  # by start minute
            if slot[booked] < slot[bookable]:
                slot[booked] += 1
                break
        else:  # find() only offers days with a free seat of the kind
            raise AssertionError("no free seat on a day find() offered")
        if first:
            self.free_first[index] -= 1
            if self.free_first[index] == 0:
                self.open_first.remove(index)
        else:
            self.free_second[index] -= 1
        for t in range(index, self.day_count):  # the dose is held from this day on
            self.slack[t] -= 1
        return Dose(self.first_day + index, slot[0])

    def free_first_for_quota(self, window_low: int, window_high: int) -> int:
        """F of section 6: free first-dose seats on the window days in the
        pool, in no release, from ``window_low`` on."""
        total = 0
        for i in range(max(window_low - self.first_day, 0),
                       min(window_high - self.first_day, self.day_count - 1) + 1):
            if not self.released[i]:
                total += sum(max(0, s[1] - s[3]) for s in self.slots[i])
        return total


def _lead_bound(policy: Policy, channel: int) -> int | None:
    """Section 5: the first day the candidate's channel allows (None: 0 lead
    days, no bound)."""
    lead = policy.draw_lead_days_online if channel == 0 else policy.draw_lead_days_phone
    return policy.local_day + lead if lead != 0 else None


def first_dose_range(inputs: Inputs, vaccine: Vaccine, candidate: Candidate,
                     extra_age_min: int = 0) -> tuple[int, int] | None:
    """Section 5: the days d1 may take for this candidate and vaccine, before
    looking at seats and supply: the window, not before local day + lead
    days, age-eligible for the vaccine and (in a reserve phase, section 6)
    for the category's ``age_years_min``. None if empty."""
    request = inputs.request
    low, high = request.first_dose_from, request.first_dose_until
    lead = _lead_bound(inputs.policy, candidate.channel)
    if lead is not None:
        low = max(low, lead)
    for years_min, years_max in ((vaccine.age_years_min, vaccine.age_years_max), (extra_age_min, 0)):
        age_low, age_high = age_window(candidate.birth_day, years_min, years_max)
        if age_low is not None:
            low = max(low, age_low)
        if age_high is not None:
            high = min(high, age_high)
    return (low, high) if low <= high else None


def place_in_pool(inputs: Inputs, state: _PoolState, candidate: Candidate,
                  extra_age_min: int = 0) -> tuple[Dose, ...] | None:
    """Section 5: places ``candidate`` in one pool, booking the seats and the
    doses, or returns None and changes nothing."""
    days = first_dose_range(inputs, state.vaccine, candidate, extra_age_min)
    if days is None:
        return None
    found = state.find(*days)
    if found is None:
        return None
    return state.book(*found)


# ---------------------------------------------------------------------------
# Section 6: phases. Section 8: tier counts. Together with sections 3-5,
# the re-run.
# ---------------------------------------------------------------------------


def reserve_quotas(inputs: Inputs, states: Sequence[_PoolState]) -> list[list[int]]:
    """Section 6: quota[k][pool] = floor(share_permille * F / 1000) for the
    pools of category k's vaccine (0 elsewhere), computed once when the draw
    starts. F counts from the earliest day some channel may use: the earlier
    of the two lead-day bounds when both lead times are set, else the window
    start."""
    policy, request = inputs.policy, inputs.request
    low = request.first_dose_from
    if policy.draw_lead_days_online != 0 and policy.draw_lead_days_phone != 0:
        low = max(low, policy.local_day + min(policy.draw_lead_days_online,
                                              policy.draw_lead_days_phone))
    free = [state.free_first_for_quota(low, request.first_dose_until) for state in states]
    quotas = []
    for reserve in policy.reserves:
        quotas.append([(reserve.share_permille * free[i]) // 1000
                       if reserve.vaccine in (0, state.pool.vaccine) else 0
                       for i, state in enumerate(states)])
    return quotas


def _admits(reserve: Reserve, candidate: Candidate) -> bool:
    """Section 6: the category admits the candidate's group (mask 0: all);
    the age bound is checked on the first-dose day, in placement."""
    return reserve.group_mask == 0 or bool(reserve.group_mask >> (candidate.group - 1) & 1)


def redraw(inputs: Inputs, k0: int, k1: int) -> DrawResult:
    """Re-runs sections 3-6 on the inputs with the seed (k0, k1): the tier
    counts and the series in placement order. The inputs are not modified."""
    vaccines = {v.id: v for v in inputs.vaccines}
    states = [_PoolState(pool, vaccines[pool.vaccine], inputs.request) for pool in inputs.pools]
    geo = _Geography(inputs)
    candidates = inputs.candidates
    order = lottery_order(candidates, k0, k1)  # section 3 (and 9)
    preference_cache: dict[tuple[int, int], list[int]] = {}

    def preference(candidate: Candidate) -> list[int]:  # section 4
        key = (candidate.district, candidate.vaccine_preference)
        if key not in preference_cache:
            preference_cache[key] = pool_preference(geo, inputs.pools, *key)
        return preference_cache[key]

    quotas = reserve_quotas(inputs, states)  # before any placement
    limit = inputs.request.series_limit
    placed: list[Series] = []
    is_placed = [False] * len(candidates)

    def try_place(index: int, category: int, pools: list[int], extra_age_min: int) -> bool:
        candidate = candidates[index]
        for pool_index in pools:
            doses = place_in_pool(inputs, states[pool_index], candidate, extra_age_min)
            if doses is not None:
                pool = inputs.pools[pool_index]
                placed.append(Series(index, pool.center, pool.vaccine, candidate.tier,
                                     category, doses))
                is_placed[index] = True
                if category > 0:
                    quotas[category - 1][pool_index] -= 1
                return True
        return False

    def limit_reached() -> bool:
        return limit != 0 and len(placed) >= limit

    # Phase 1: the reserve categories in policy order, each within its quotas.
    for k, reserve in enumerate(inputs.policy.reserves):
        for index in order:
            if limit_reached():
                break
            if is_placed[index] or not _admits(reserve, candidates[index]):
                continue
            with_quota = [p for p in preference(candidates[index]) if quotas[k][p] > 0]
            if with_quota:
                try_place(index, k + 1, with_quota, reserve.age_years_min)
    # Phase 2: the general pool, everyone not yet placed, no quota.
    for index in order:
        if limit_reached():
            break
        if not is_placed[index]:
            try_place(index, 0, preference(candidates[index]), 0)

    # Section 8: per tier, the candidates who took part and those placed.
    counts = [TierCount(0, 0) for _ in range(TIER_COUNT)]
    for candidate in candidates:
        if 1 <= candidate.tier <= TIER_COUNT:
            counts[candidate.tier - 1].eligible += 1
    for series in placed:
        if 1 <= series.tier <= TIER_COUNT:
            counts[series.tier - 1].assigned += 1
    return DrawResult(counts, placed)


# ---------------------------------------------------------------------------
# Section 12: verifying a bundle.
# ---------------------------------------------------------------------------


@dataclass
class Report:
    """The verdict on a bundle: identical, or the first difference in words."""

    identical: bool
    difference: str | None
    draw_id: int
    seed: str  # the bundle's seed, as published (section 3)
    series_count: int  # in the bundle
    candidate_count: int  # in the inputs
    notes: list[str] = field(default_factory=list)  # checks that could not run


def local_day_of(at: int, time_zone: str) -> int | None:
    """The day of instant ``at`` in ``time_zone``, or None when this Python
    cannot tell (no zoneinfo, unknown zone, instant out of datetime's range)."""
    try:
        import zoneinfo

        zone = zoneinfo.ZoneInfo(time_zone)
    except (ImportError, ValueError, KeyError, OSError):  # ZoneInfoNotFoundError is a KeyError
        return None
    try:
        epoch = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
        local = (epoch + datetime.timedelta(microseconds=at)).astimezone(zone)
    except (OverflowError, ValueError):
        return None
    return days_from_civil(local.year, local.month, local.day)


def describe_series(series: Series) -> str:
    """A series in words, for differences and explanations."""
    doses = ", ".join(f"dose {n} {iso_day(d.day)} (day {d.day}) minute {d.minute}"
                      for n, d in enumerate(series.doses, start=1))
    return (f"candidate {series.candidate} at center {series.center} vaccine {series.vaccine}, "
            f"tier {series.tier}, category {series.category}, {doses or 'no doses'}")


def _first_field_difference(said: Series, ran: Series) -> str:
    """The first field in which two series differ, to point the reader at it."""
    for name in ("candidate", "center", "vaccine", "tier", "category"):
        if getattr(said, name) != getattr(ran, name):
            return name
    if len(said.doses) != len(ran.doses):
        return "dose count"
    for number, (a, b) in enumerate(zip(said.doses, ran.doses), start=1):
        if a.day != b.day:
            return f"dose {number} day"
        if a.minute != b.minute:
            return f"dose {number} minute"
    return "none"


def _first_input_difference(bundle: Bundle) -> str | None:
    """The checks of section 12 that need no re-run, in order."""
    inputs = bundle.inputs
    actual = hashlib.sha256(inputs.raw).digest()
    if actual != bundle.commitment:  # section 9: the commitment is SHA-256 of the inputs
        return (f"commitment: SHA-256 of the inputs is {actual.hex()}, "
                f"the bundle says {bundle.commitment.hex()}")
    k0, k1 = seed_from_beacon(bundle.commitment, bundle.beacon_value)
    if (k0, k1) != (bundle.k0, bundle.k1):  # section 9, "Reveal"
        return (f"seed: SHA-256(commitment || beacon value) gives {format_seed(k0, k1)}, "
                f"the bundle says {format_seed(bundle.k0, bundle.k1)}")
    at = inputs.request.at
    for index, candidate in enumerate(inputs.candidates):  # section 1
        for name, instant in (("registered_at", candidate.registered_at),
                              ("waiting_since", candidate.waiting_since)):
            if instant > at:
                return (f"candidate {index}: {name} {iso_instant(instant)} is after the draw's "
                        f"at {iso_instant(at)}, so the candidate does not take part (section 1)")
    for index, candidate in enumerate(inputs.candidates):  # section 2
        tier = tier_from_rules(inputs.policy, candidate.registered_at, candidate.group)
        if tier != candidate.tier:
            return f"candidate {index}: tier {candidate.tier} in the inputs, the tier rules give {tier}"
    return None


def check_bundle(bundle: Bundle) -> Report:
    """Section 12 on a parsed bundle: commitment, seed, candidates' instants
    and tiers, local day, then the re-run's tier counts and series."""
    inputs = bundle.inputs
    report = Report(identical=False, difference=None, draw_id=bundle.draw_id,
                    seed=format_seed(bundle.k0, bundle.k1), series_count=len(bundle.series),
                    candidate_count=len(inputs.candidates))
    report.difference = _first_input_difference(bundle)
    if report.difference is not None:
        return report
    policy, at = inputs.policy, inputs.request.at
    local_day = local_day_of(at, policy.time_zone)  # section 10.3
    if local_day is None:
        report.notes.append(f"local_day not checked: this Python does not know the time zone "
                            f"{policy.time_zone!r}")
    elif local_day != policy.local_day:
        report.difference = (f"local_day: the inputs say {iso_day(policy.local_day)} "
                             f"(day {policy.local_day}), at {iso_instant(at)} is "
                             f"{iso_day(local_day)} (day {local_day}) in {policy.time_zone}")
        return report
    result = redraw(inputs, bundle.k0, bundle.k1)
    for tier, (said, ran) in enumerate(zip(bundle.tier_counts, result.tier_counts), start=1):
        for name in ("eligible", "assigned"):
            if getattr(said, name) != getattr(ran, name):
                report.difference = (f"tier {tier} {name}: the bundle says {getattr(said, name)}, "
                                     f"the re-run gives {getattr(ran, name)}")
                return report
    for number, (said_series, ran_series) in enumerate(zip(bundle.series, result.series)):
        if said_series != ran_series:
            report.difference = (f"series {number} (placement order, from 0): the bundle has "
                                 f"{describe_series(said_series)}; the re-run has "
                                 f"{describe_series(ran_series)} (first differing field: "
                                 f"{_first_field_difference(said_series, ran_series)})")
            return report
    if len(bundle.series) != len(result.series):
        shorter = min(len(bundle.series), len(result.series))
        extra = (bundle.series if len(bundle.series) > shorter else result.series)[shorter]
        whose = "the bundle's" if len(bundle.series) > shorter else "the re-run's"
        report.difference = (f"series count: the bundle has {len(bundle.series)} series, the "
                             f"re-run places {len(result.series)}; {whose} series {shorter}: "
                             f"{describe_series(extra)}")
        return report
    report.identical = True
    return report


def verify_bundle(data: bytes) -> Report:
    """Parses and checks an audit bundle (section 12). Raises BundleError if
    the bytes are malformed; a well-formed bundle that does not match gives a
    Report with the first difference."""
    return check_bundle(parse_bundle(data))


def explain_reference(bundle: Bundle, reference: str | bytes) -> str:
    """What the bundle says about one person, from their own reference: the
    digest, the committed lottery number under the bundle's seed, whether
    they took part (index, tier, rank in lottery order within the tier), and
    their place, if any, as the bundle records it."""
    digest = ref_digest(reference)
    number = siphash24(bundle.k0, bundle.k1, digest)
    lines = [f"reference digest (SHA-256): {digest.hex()}",
             f"committed lottery number under seed {format_seed(bundle.k0, bundle.k1)}: "
             f"0x{number:016x} ({number})"]
    candidates = bundle.inputs.candidates
    matches = [i for i, c in enumerate(candidates) if c.ref_digest == digest]
    if not matches:
        lines.append("not a candidate of this draw: no candidate has this digest (the person "
                     "was not waiting at the draw's instant, or the reference is spelled "
                     "differently)")
        return "\n".join(lines)
    for index in matches:
        tier = candidates[index].tier
        same_tier = sorted((siphash24(bundle.k0, bundle.k1, c.ref_digest), c.ref_digest)
                           for c in candidates if c.tier == tier)
        rank = same_tier.index((number, digest)) + 1
        lines.append(f"candidate {index} of {len(candidates)}: tier {tier}, rank {rank} of "
                     f"{len(same_tier)} in lottery order within tier {tier}")
        mine = [(n, s) for n, s in enumerate(bundle.series) if s.candidate == index]
        if not mine:
            lines.append("not placed in this draw (still waiting), according to the bundle")
        for position, series in mine:
            phase = (f"reserve category {series.category}" if series.category
                     else "the general pool")
            lines.append(f"placed, according to the bundle: series {position} in placement "
                         f"order, center {series.center}, vaccine {series.vaccine}, from "
                         f"{phase}")
            for dose_number, dose in enumerate(series.doses, start=1):
                hour, minute = divmod(dose.minute, 60)
                lines.append(f"  dose {dose_number}: {iso_day(dose.day)} {hour:02d}:{minute:02d}")
    return "\n".join(lines)


# --- Section 13: did registration time decide? ------------------------------

@dataclass
class TierFairness:  # section 13, one tested tier
    tier: int
    candidates: int
    winners: int
    buckets: int
    chi_square: float
    degrees_of_freedom: int


@dataclass
class Fairness:  # section 13
    buckets: int
    tiers: list[TierFairness]
    chi_square: float
    degrees_of_freedom: int
    p_value: float  # 1.0 when no tier was tested


def upper_gamma_regularized(a: float, x: float) -> float:
    """Q(a, x), the regularized upper incomplete gamma function: the
    chi-square tail is Q(dof / 2, X / 2). By its power series below a + 1,
    by the continued fraction (modified Lentz) above."""
    if x <= 0:
        return 1.0
    log_prefix = a * math.log(x) - x - math.lgamma(a)
    if x < a + 1:
        term = total = 1.0 / a
        n = 1
        while abs(term) > abs(total) * 1e-15 and n < 1000:
            term *= x / (a + n)
            total += term
            n += 1
        return max(0.0, 1.0 - total * math.exp(log_prefix))
    tiny = 1e-300
    b = x + 1 - a
    c = 1 / tiny
    d = 1 / b
    h = d
    for i in range(1, 1000):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1 / d
        delta = d * c
        h *= delta
        if abs(delta - 1) < 1e-15:
            break
    return min(1.0, math.exp(log_prefix) * h)


def fairness(bundle: Bundle, buckets: int = 10) -> Fairness:
    """Section 13 from the bundle alone: per tier, winning against
    registration-time buckets, a 2 x B chi-square test of independence."""
    if not 2 <= buckets <= 100:
        raise ValueError(f"buckets {buckets}: expected 2 to 100")
    won = set(series.candidate for series in bundle.series)
    by_tier: dict[int, list[tuple[int, int]]] = {}
    for index, candidate in enumerate(bundle.inputs.candidates):
        by_tier.setdefault(candidate.tier, []).append((candidate.registered_at, index))
    tested: list[TierFairness] = []
    for tier in sorted(by_tier):
        order = sorted(by_tier[tier])
        n = len(order)
        w = sum(1 for _, index in order if index in won)
        b = buckets  # the most with every bucket expecting >= 5 winners and losers
        while b >= 2 and (n // b) * min(w, n - w) < 5 * n:
            b -= 1
        if b < 2:
            continue
        statistic = 0.0
        for k in range(b):
            members = order[k * n // b:(k + 1) * n // b]
            size = len(members)
            observed = sum(1 for _, index in members if index in won)
            expected = size * w / n
            statistic += ((observed - expected) ** 2 / expected
                          + (observed - expected) ** 2 / (size - expected))
        tested.append(TierFairness(tier, n, w, b, statistic, b - 1))
    total = sum(t.chi_square for t in tested)
    dof = sum(t.degrees_of_freedom for t in tested)
    p_value = upper_gamma_regularized(dof / 2, total / 2) if dof > 0 else 1.0
    return Fairness(buckets, tested, total, dof, p_value)


def main(argv: list[str] | None = None) -> int:
    """The command line of section 12: 0 identical, 1 different, 2 malformed."""
    parser = argparse.ArgumentParser(
        prog="python3 -m vaxalloc.verify",
        description="Check a committed draw's audit bundle against docs/draw.md.")
    parser.add_argument("bundle", help="the audit bundle file (docs/draw.md, section 11)")
    parser.add_argument("--reference", help="a registrant's external reference: print its "
                        "digest, lottery number and place")
    parser.add_argument("--fairness", action="store_true",
                        help="also run section 13's chi-square check over registration time")
    args = parser.parse_args(argv)
    try:
        with open(args.bundle, "rb") as handle:
            data = handle.read()
    except OSError as error:
        print(f"cannot read {args.bundle}: {error}", file=sys.stderr)
        return 2
    try:
        bundle = parse_bundle(data)
    except BundleError as error:
        print(f"malformed bundle {args.bundle}: {error}", file=sys.stderr)
        return 2
    report = check_bundle(bundle)
    if report.identical:
        print(f"identical: draw {report.draw_id}, seed {report.seed}, "
              f"{report.series_count} series, {report.candidate_count} candidates")
    else:
        print(f"DIFFERENT: {report.difference}")
    # What no file can prove: left to the reader (section 12).
    print(f"beacon: {bundle.inputs.request.beacon!r}, value {bundle.beacon_value.hex()}"
          " (check it against the beacon's own publication)")
    print(f"commitment {bundle.inputs.header.commitment_id} of the campaign "
          f"({bundle.inputs.header.commitment_id - 1} before it), {bundle.commitment.hex()}, "
          f"library {bundle.inputs.header.library_version}"
          " (check that it was published before the beacon's value existed)")
    for note in report.notes:
        print(f"note: {note}")
    if args.fairness:
        result = fairness(bundle)
        print(f"fairness: chi-square {result.chi_square:.3f} with {result.degrees_of_freedom} "
              f"degrees of freedom over {len(result.tiers)} tiers, p-value {result.p_value:.4f}")
    if args.reference is not None:
        # The reference's bytes as given on the command line (os.fsencode
        # undoes the decoding of non-UTF-8 arguments).
        print(explain_reference(bundle, os.fsencode(args.reference)))
    return 0 if report.identical else 1


if __name__ == "__main__":
    sys.exit(main())
