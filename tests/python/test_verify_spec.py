"""Tests of bindings/vaxalloc/verify.py alone, against docs/draw.md.

The verifier is loaded by path, so these tests need no compiled module:

    cd /work/main && python3 -m pytest -q --noconftest tests/python/test_verify_spec.py

The bundles here are built by a serializer written in this file from
docs/draw.md sections 10 and 11 (not by verify.py and not by the library), and
the re-run is compared against a deliberately naive second implementation of
sections 1-6 (no caches, no running minima), on random small campaigns.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import importlib.util
import pathlib
import random
import struct
import subprocess
import sys
import time

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
VERIFY_PATH = REPO / "bindings" / "vaxalloc" / "verify.py"

_spec = importlib.util.spec_from_file_location("vaxalloc_verify_under_test", VERIFY_PATH)
assert _spec is not None and _spec.loader is not None
verify = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = verify  # dataclasses look their module up by name
_spec.loader.exec_module(verify)

EPOCH = dt.date(1970, 1, 1)


def day(year: int, month: int, d: int) -> int:
    """A civil date as days since 1970-01-01 (section 10)."""
    return (dt.date(year, month, d) - EPOCH).days


def instant(year: int, month: int, d: int, hour: int = 0, minute: int = 0) -> int:
    """A UTC instant as microseconds since the epoch (section 10)."""
    moment = dt.datetime(year, month, d, hour, minute, tzinfo=dt.timezone.utc)
    return int((moment - dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)).total_seconds()) * 1_000_000


# ---------------------------------------------------------------------------
# A serializer of sections 10 and 11, written from the spec for these tests.
# ---------------------------------------------------------------------------


def enc_str(text: str) -> bytes:
    raw = text.encode("utf-8")
    return struct.pack("<I", len(raw)) + raw


def enc_list(items: list, encode_one) -> bytes:
    return struct.pack("<I", len(items)) + b"".join(encode_one(item) for item in items)


def enc_section(tag: int, body: bytes) -> bytes:
    return struct.pack("<BQ", tag, len(body)) + body


def section_bodies(inputs) -> list[bytes]:
    """The seven section bodies of section 10, in order."""
    h, q, p, g = inputs.header, inputs.request, inputs.policy, inputs.geography
    header = enc_str(h.library_version) + struct.pack("<I", h.commitment_id)
    request = (struct.pack("<qiiI", q.at, q.first_dose_from, q.first_dose_until, q.series_limit)
               + enc_list(q.centers, lambda c: struct.pack("<I", c)) + enc_str(q.beacon))
    policy = (struct.pack("<I", p.version) + enc_str(p.time_zone)
              + struct.pack("<iiiB", p.local_day, p.draw_lead_days_online, p.draw_lead_days_phone,
                            p.residence)
              + enc_list(p.tier_rules, lambda r: struct.pack("<q4B", r.registered_before, *r.tier_by_group))
              + enc_list(p.reserves, lambda r: struct.pack("<iiBI", r.share_permille, r.age_years_min,
                                                           r.group_mask, r.vaccine))
              + enc_list(p.neighbours, lambda n: struct.pack("<II", *n)))
    geography = struct.pack("<I", g.district_count) + enc_list(
        g.centers, lambda c: struct.pack("<I", c.id) + enc_list(c.districts, lambda d: struct.pack("<I", d)))
    vaccines = enc_list(inputs.vaccines, lambda v: struct.pack(
        "<IBiiiii", v.id, v.dose_count, v.interval_days_min, v.interval_days_target,
        v.interval_days_max, v.age_years_min, v.age_years_max))

    def enc_pool(pool) -> bytes:
        return (struct.pack("<IIi", pool.center, pool.vaccine, pool.first_day)
                + enc_list(pool.releases, lambda r: struct.pack("<ii", r.first_day, r.last_day))
                + enc_list(pool.days, lambda d: struct.pack("<q", d.delivered) + enc_list(
                    d.slots, lambda s: struct.pack("<5H", s.minute, s.bookable_first, s.bookable_second,
                                                   s.booked_first, s.booked_second))))

    pools = enc_list(inputs.pools, enc_pool)
    candidates = enc_list(inputs.candidates, lambda c: c.ref_digest + struct.pack(
        "<qqIiIBBB", c.registered_at, c.waiting_since, c.district, c.birth_day,
        c.vaccine_preference, c.group, c.channel, c.tier))
    return [header, request, policy, geography, vaccines, pools, candidates]


def encode_inputs(inputs) -> bytes:
    """Section 10: magic, then the seven sections with tags 1..7."""
    return b"VXDRAWI1" + b"".join(enc_section(tag, body)
                                  for tag, body in enumerate(section_bodies(inputs), start=1))


def encode_bundle(inputs_bytes: bytes, commitment: bytes, beacon_value: bytes, k0: int, k1: int,
                  draw_id: int, revealed_at: int, tier_counts, series) -> bytes:
    """Section 11."""
    def enc_series(s) -> bytes:
        return (struct.pack("<IIIBBB", s.candidate, s.center, s.vaccine, s.tier, s.category, len(s.doses))
                + b"".join(struct.pack("<iH", d.day, d.minute) for d in s.doses))

    return (b"VXDRAWB1" + struct.pack("<Q", len(inputs_bytes)) + inputs_bytes + commitment
            + struct.pack("<I", len(beacon_value)) + beacon_value
            + struct.pack("<QQ", k0, k1) + struct.pack("<Iq", draw_id, revealed_at)
            + b"".join(struct.pack("<II", t.eligible, t.assigned) for t in tier_counts)
            + enc_list(series, enc_series))


def honest_bundle(inputs, beacon_value: bytes = b"beacon value 0123456789abcdef",
                  draw_id: int = 7) -> bytes:
    """What an honest library would publish: commitment, seed from the beacon,
    results of the draw (here: the verifier's own re-run)."""
    raw = encode_inputs(inputs)
    commitment = hashlib.sha256(raw).digest()
    k0, k1 = verify.seed_from_beacon(commitment, beacon_value)
    result = verify.redraw(verify.parse_inputs(raw), k0, k1)
    return encode_bundle(raw, commitment, beacon_value, k0, k1, draw_id,
                         inputs.request.at + 60_000_000, result.tier_counts, result.series)


# ---------------------------------------------------------------------------
# The hand-built campaign: 1 district, 1 center, a two-dose vaccine, 3 days of
# slots, candidates in two tiers, one reserve category, limited supply.
# ---------------------------------------------------------------------------

D0 = day(2021, 6, 14)
AT = instant(2021, 6, 7, 10)
REFS = {"A": "ref-A-1", "B": "ref-B-2", "C": "ref-C-3", "D": "ref-D-4", "E": "ref-E-5",
        "F": "ref-F-6"}


def candidate(ref: str, *, group: int, tier: int, vaccine_preference: int = 0, channel: int = 0,
              birth_day: int = day(1960, 5, 5), district: int = 1,
              registered_at: int = instant(2021, 5, 1)) -> "verify.Candidate":
    return verify.Candidate(ref_digest=verify.ref_digest(ref), registered_at=registered_at,
                            waiting_since=registered_at, district=district, birth_day=birth_day,
                            vaccine_preference=vaccine_preference, group=group, channel=channel,
                            tier=tier)


def small_campaign() -> "verify.Inputs":
    """Two tiers: A, B (group 1, tier 1) and C, D, E (group 2, tier 2); F
    (tier 1) prefers a vaccine nobody has. Slots on D0..D2 at 09:00 (2 first,
    2 second seats) and 10:00 (1 and 1); 6 doses delivered on D0, so 3
    series. The reserve category takes group 2 with 334 permille of the 6
    free first-dose seats of the window D0..D1: a quota of 2."""
    slots = [verify.Slot(540, 2, 2, 0, 0), verify.Slot(600, 1, 1, 0, 0)]
    days = [verify.PoolDay(6, [dataclasses.replace(s) for s in slots])] + [
        verify.PoolDay(0, [dataclasses.replace(s) for s in slots]) for _ in range(2)]
    return verify.Inputs(
        header=verify.Header("0.5.0", 1),
        request=verify.Request(at=AT, first_dose_from=D0, first_dose_until=D0 + 1, series_limit=0,
                               centers=[], beacon="drand quicknet round 13371337"),
        policy=verify.Policy(time_zone="Europe/Berlin", local_day=day(2021, 6, 7),
                             draw_lead_days_online=0, draw_lead_days_phone=0, residence=0,
                             tier_rules=[], reserves=[verify.Reserve(334, 0, 0b10, 0)],
                             neighbours=[], version=3),
        geography=verify.Geography(1, [verify.Center(1, [1])]),
        vaccines=[verify.Vaccine(1, 2, 1, 1, 2, 12, 0)],
        pools=[verify.Pool(1, 1, D0, [], days)],
        candidates=[candidate(REFS["C"], group=2, tier=2), candidate(REFS["A"], group=1, tier=1),
                    candidate(REFS["D"], group=2, tier=2), candidate(REFS["B"], group=1, tier=1),
                    candidate(REFS["E"], group=2, tier=2),
                    candidate(REFS["F"], group=1, tier=1, vaccine_preference=2)],
    )


def lottery_sorted(inputs, k0: int, k1: int, indices: list[int]) -> list[int]:
    return sorted(indices, key=lambda i: (verify.siphash24(k0, k1, inputs.candidates[i].ref_digest),
                                          inputs.candidates[i].ref_digest))


# ---------------------------------------------------------------------------
# Section 3: SipHash-2-4 and the seed's published form.
# ---------------------------------------------------------------------------

# vectors_sip64 of the reference implementation (github.com/veorq/SipHash,
# vectors.h): key 00..0f, message 00 01 .. (n-1) for n = 0..63, each output
# as 8 little-endian bytes.
SIP64_VECTORS = [
    "310e0edd47db6f72", "fd67dc93c539f874", "5a4fa9d909806c0d", "2d7efbd796666785",
    "b7877127e09427cf", "8da699cd64557618", "cee3fe586e46c9cb", "37d1018bf50002ab",
    "6224939a79f5f593", "b0e4a90bdf82009e", "f3b9dd94c5bb5d7a", "a7ad6b22462fb3f4",
    "fbe50e86bc8f1e75", "903d84c02756ea14", "eef27a8e90ca23f7", "e545be4961ca29a1",
    "db9bc2577fcc2a3f", "9447be2cf5e99a69", "9cd38d96f0b3c14b", "bd6179a71dc96dbb",
    "98eea21af25cd6be", "c7673b2eb0cbf2d0", "883ea3e395675393", "c8ce5ccd8c030ca8",
    "94af49f6c650adb8", "eab8858ade92e1bc", "f315bb5bb835d817", "adcf6b0763612e2f",
    "a5c91da7acaa4dde", "716595876650a2a6", "28ef495c53a387ad", "42c341d8fa92d832",
    "ce7cf2722f512771", "e37859f94623f3a7", "381205bb1ab0e012", "ae97a10fd434e015",
    "b4a31508beff4d31", "81396229f0907902", "4d0cf49ee5d4dcca", "5c73336a76d8bf9a",
    "d0a704536ba93e0e", "925958fcd6420cad", "a915c29bc8067318", "952b79f3bc0aa6d4",
    "f21df2e41d4535f9", "87577519048f53a9", "10a56cf5dfcd9adb", "eb75095ccd986cd0",
    "51a9cb9ecba312e6", "96afadfc2ce666c7", "72fe52975a4364ee", "5a1645b276d592a1",
    "b274cb8ebf87870a", "6f9bb4203de7b381", "eaecb2a30b22a87f", "9924a43cc1315724",
    "bd838d3aafbf8db7", "0b1a2a3265d51aea", "135079a3231ce660", "932b2846e4d70666",
    "e1915f5cb1eca46c", "f325965ca16d629f", "575ff28e60381be5", "724506eb4c328a95",
]
REF_K0 = int.from_bytes(bytes(range(0, 8)), "little")
REF_K1 = int.from_bytes(bytes(range(8, 16)), "little")


@pytest.mark.parametrize("length", range(64))
def test_siphash24_reference_vectors(length: int) -> None:
    expected = int.from_bytes(bytes.fromhex(SIP64_VECTORS[length]), "little")
    assert verify.siphash24(REF_K0, REF_K1, bytes(range(length))) == expected


def test_siphash24_spelled_out() -> None:
    assert verify.siphash24(REF_K0, REF_K1, b"") == 0x726FDB47DD0E0E31
    assert verify.siphash24(REF_K0, REF_K1, bytes(range(15))) == 0xA129CA6149BE45E5
    assert verify.siphash24(REF_K0, REF_K1, bytes(range(63))) == 0x958A324CEB064572
    with pytest.raises(ValueError):
        verify.siphash24(1 << 64, 0, b"")


def test_format_seed() -> None:
    assert verify.format_seed(0, 0) == "0" * 32
    assert verify.format_seed(REF_K0, REF_K1) == "07060504030201000f0e0d0c0b0a0908"
    assert verify.format_seed(0xDEADBEEFCAFEF00D, 1) == "deadbeefcafef00d0000000000000001"


# ---------------------------------------------------------------------------
# Section 9.
# ---------------------------------------------------------------------------


def test_ref_digest_and_committed_lottery_number() -> None:
    abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"  # SHA-256("abc")
    assert verify.ref_digest("abc").hex() == abc
    assert verify.ref_digest(b"abc").hex() == abc
    assert verify.ref_digest("Zoë") == hashlib.sha256("Zoë".encode("utf-8")).digest()
    assert (verify.committed_lottery_number(REF_K0, REF_K1, "abc")
            == verify.siphash24(REF_K0, REF_K1, bytes.fromhex(abc)))


def test_seed_from_beacon_fixed_example() -> None:
    # SHA-256 of 32 zero bytes is 66687aad f862bd77 6c8fc18b 8e9f8e20 ...
    k0, k1 = verify.seed_from_beacon(bytes(32), b"")
    assert (k0, k1) == (0x77BD62F8AD7A6866, 0x208E9F8E8BC18F6C)
    assert verify.format_seed(k0, k1) == "77bd62f8ad7a6866208e9f8e8bc18f6c"
    # The commitment comes first, the beacon value after it.
    commitment, beacon = bytes(range(32)), b"pulse 2021-06-07T10:00Z"
    digest = hashlib.sha256(commitment + beacon).digest()
    assert verify.seed_from_beacon(commitment, beacon) == (
        int.from_bytes(digest[:8], "little"), int.from_bytes(digest[8:16], "little"))
    assert verify.seed_from_beacon(beacon, commitment) != verify.seed_from_beacon(commitment, beacon)


# ---------------------------------------------------------------------------
# Days, ages (section 5) and tiers (section 2).
# ---------------------------------------------------------------------------


def test_days_match_datetime() -> None:
    for days in list(range(-800, 800)) + [day(1, 1, 1), day(9999, 12, 31), day(2000, 2, 29)]:
        civil = EPOCH + dt.timedelta(days=days)
        assert verify.civil_from_days(days) == (civil.year, civil.month, civil.day)
        assert verify.days_from_civil(civil.year, civil.month, civil.day) == days
    assert verify.iso_day(D0) == "2021-06-14"
    assert verify.iso_instant(AT) == "2021-06-07T10:00:00Z"


def test_age_full_years_and_29_february() -> None:
    born = day(2000, 2, 29)
    assert verify.first_day_of_age(born, 21) == day(2021, 3, 1)  # common year: 1 March
    assert verify.first_day_of_age(born, 24) == day(2024, 2, 29)  # leap year: 29 February
    assert verify.age_on(born, day(2021, 2, 28)) == 20
    assert verify.age_on(born, day(2021, 3, 1)) == 21
    assert verify.age_window(born, 18, 20) == (day(2018, 3, 1), day(2021, 2, 28))
    assert verify.age_window(day(1990, 7, 1), 0, 0) == (None, None)


def test_tier_rules() -> None:
    rules = [verify.TierRule(instant(2021, 3, 1), (2, 3, 4, 5)),
             verify.TierRule(instant(2021, 1, 1), (1, 1, 1, 1)),
             verify.TierRule(verify.I64_MAX, (8, 7, 6, 5))]
    policy = dataclasses.replace(small_campaign().policy, tier_rules=rules)
    assert verify.tier_from_rules(policy, instant(2020, 12, 31), 3) == 1  # the earliest bound first
    assert verify.tier_from_rules(policy, instant(2021, 1, 1), 3) == 4  # not < its bound
    assert verify.tier_from_rules(policy, instant(2021, 6, 1), 4) == 5  # no bound
    no_rules = dataclasses.replace(policy, tier_rules=[])
    assert verify.tier_from_rules(no_rules, instant(2021, 6, 1), 4) == 4  # group none = 4
    one_rule = dataclasses.replace(policy, tier_rules=rules[:1])
    assert verify.tier_from_rules(one_rule, instant(2021, 6, 1), 2) == 2  # after every bound


# ---------------------------------------------------------------------------
# The hand-built campaign, end to end.
# ---------------------------------------------------------------------------


def test_small_campaign_by_hand() -> None:
    inputs = small_campaign()
    raw = encode_inputs(inputs)
    parsed = verify.parse_inputs(raw)
    assert parsed.raw == raw
    assert dataclasses.replace(parsed, raw=b"") == dataclasses.replace(inputs, raw=b"")

    k0, k1 = 0x0123456789ABCDEF, 0xFEDCBA9876543210
    result = verify.redraw(parsed, k0, k1)
    group_two = lottery_sorted(parsed, k0, k1, [0, 2, 4])  # C, D, E
    tier_one = lottery_sorted(parsed, k0, k1, [1, 3])  # A, B (F has no pool)
    # Reserve phase: the first two of group 2 in lottery order (quota 2).
    # General phase: tier 1 in lottery order; the supply is gone after one.
    assert result.series == [
        verify.Series(group_two[0], 1, 1, 2, 1, ((D0, 540), (D0 + 1, 540))),
        verify.Series(group_two[1], 1, 1, 2, 1, ((D0, 540), (D0 + 1, 540))),
        verify.Series(tier_one[0], 1, 1, 1, 0, ((D0, 600), (D0 + 1, 600))),
    ]
    assert [(t.eligible, t.assigned) for t in result.tier_counts] == (
        [(3, 1), (3, 2)] + [(0, 0)] * 6)
    # The inputs are not changed by the re-run.
    assert encode_inputs(parsed) == raw


def test_small_campaign_without_reserve_walks_tiers_first() -> None:
    inputs = small_campaign()
    inputs.policy.reserves = []
    k0, k1 = 5, 6
    result = verify.redraw(verify.parse_inputs(encode_inputs(inputs)), k0, k1)
    tier_one = lottery_sorted(inputs, k0, k1, [1, 3])
    group_two = lottery_sorted(inputs, k0, k1, [0, 2, 4])
    assert [(s.candidate, s.category, s.doses) for s in result.series] == [
        (tier_one[0], 0, ((D0, 540), (D0 + 1, 540))),
        (tier_one[1], 0, ((D0, 540), (D0 + 1, 540))),
        (group_two[0], 0, ((D0, 600), (D0 + 1, 600))),
    ]


def test_series_limit_lead_days_releases_and_age() -> None:
    inputs = small_campaign()
    inputs.request.series_limit = 1
    result = verify.redraw(inputs, 1, 2)
    assert len(result.series) == 1 and result.series[0].category == 1

    # One person on the phone channel, 8 lead days from 7 June: not before 15 June.
    inputs = small_campaign()
    inputs.policy.reserves = []
    inputs.candidates = [candidate("phone", group=1, tier=1, channel=1)]
    inputs.policy.draw_lead_days_phone = 8
    inputs.pools[0].days[2].delivered = 2
    assert verify.redraw(inputs, 1, 2).series[0].doses == ((D0 + 1, 540), (D0 + 2, 540))
    # A release over 15 June leaves nothing.
    inputs.pools[0].releases = [verify.Release(D0 + 1, D0 + 1)]
    assert verify.redraw(inputs, 1, 2).series == []
    # Online, no lead days: 14 June, the release does not touch it.
    inputs.candidates[0].channel = 0
    assert verify.redraw(inputs, 1, 2).series[0].doses == ((D0, 540), (D0 + 1, 540))
    # Turning 12 (the vaccine's minimum) on 15 June: not on 14 June.
    inputs.pools[0].releases = []
    inputs.candidates[0].birth_day = day(2009, 6, 15)
    assert verify.redraw(inputs, 1, 2).series[0].doses[0] == (D0 + 1, 540)


def test_reserve_quota_counts_only_usable_days() -> None:
    """F skips released days and days before the earlier lead-day bound
    when both lead times are set (section 6)."""
    inputs = small_campaign()
    inputs.pools[0].days[0].delivered = 100
    states = [verify._PoolState(inputs.pools[0], inputs.vaccines[0], inputs.request)]
    inputs.policy.reserves = [verify.Reserve(1000, 0, 0, 0), verify.Reserve(500, 0, 0, 2)]
    assert verify.reserve_quotas(inputs, states) == [[6], [0]]  # vaccine 2: no quota here
    inputs.policy.draw_lead_days_online, inputs.policy.draw_lead_days_phone = 9, 8  # from 15 June
    assert verify.reserve_quotas(inputs, states) == [[3], [0]]
    inputs.policy.draw_lead_days_online = 0  # online has no bound: the whole window
    assert verify.reserve_quotas(inputs, states) == [[6], [0]]


def test_pool_preference_home_then_neighbours() -> None:
    inputs = small_campaign()
    inputs.geography = verify.Geography(3, [verify.Center(1, [2]), verify.Center(2, [1]),
                                            verify.Center(3, [3, 1]), verify.Center(4, [3])])
    inputs.pools = [verify.Pool(c, v, D0, [], []) for c in (1, 2, 3, 4) for v in (1, 2)]
    inputs.policy.neighbours = [(3, 1)]
    geo = verify._Geography(inputs)
    assert verify.pool_preference(geo, inputs.pools, 1, 0) == [2, 3, 4, 5]  # home only
    inputs.policy.residence = 1
    geo = verify._Geography(inputs)
    # Home centers 2, 3; then center 4 (serves neighbour 3; 3 already listed).
    assert verify.pool_preference(geo, inputs.pools, 1, 0) == [2, 3, 4, 5, 6, 7]
    assert verify.pool_preference(geo, inputs.pools, 1, 2) == [3, 5, 7]
    assert verify.pool_preference(geo, inputs.pools, 3, 0) == [4, 5, 6, 7, 2, 3]  # symmetric pair
    inputs.request.centers = [4]
    geo = verify._Geography(inputs)
    assert verify.pool_preference(geo, inputs.pools, 1, 0) == [6, 7]


def test_verify_identical_bundle() -> None:
    data = honest_bundle(small_campaign())
    report = verify.verify_bundle(data)
    assert report.identical, report.difference
    assert report.difference is None
    assert (report.draw_id, report.series_count, report.candidate_count) == (7, 3, 6)
    bundle = verify.parse_bundle(data)
    assert report.seed == verify.format_seed(bundle.k0, bundle.k1)
    assert report.notes == []  # Europe/Berlin is known: the local day was checked


def bundle_regions(data: bytes) -> dict[str, range]:
    """Byte ranges of the parts of a bundle built by encode_bundle."""
    inputs_length = struct.unpack_from("<Q", data, 8)[0]
    inputs_start = 16
    commitment = inputs_start + inputs_length
    beacon_length = struct.unpack_from("<I", data, commitment + 32)[0]
    beacon = commitment + 36
    seed = beacon + beacon_length
    results = seed + 16 + 12
    return {"inputs": range(inputs_start, commitment), "commitment": range(commitment, commitment + 32),
            "beacon": range(beacon, beacon + beacon_length), "seed": range(seed, seed + 16),
            "results": range(results, len(data))}


def flipped(data: bytes, offset: int, mask: int = 1) -> bytes:
    return data[:offset] + bytes([data[offset] ^ mask]) + data[offset + 1:]


def test_every_changed_byte_is_noticed() -> None:
    data = honest_bundle(small_campaign())
    regions = bundle_regions(data)
    expected_start = {"inputs": "commitment:", "commitment": "commitment:", "beacon": "seed:",
                      "seed": "seed:"}
    for name, region in regions.items():
        for offset in region:
            for mask in (0x01, 0x80):
                try:
                    report = verify.verify_bundle(flipped(data, offset, mask))
                except verify.BundleError:
                    continue  # the change broke the structure: also noticed
                assert not report.identical, (name, offset, mask)
                if name in expected_start:
                    assert report.difference.startswith(expected_start[name]), report.difference


def test_first_difference_in_results() -> None:
    inputs = small_campaign()
    data = honest_bundle(inputs)
    bundle = verify.parse_bundle(data)
    last_minute = len(data) - 2  # the last u16: the second dose minute of series 2
    report = verify.verify_bundle(flipped(data, last_minute, 0x04))
    assert report.difference.startswith("series 2 (placement order"), report.difference
    assert "minute 604" in report.difference and "minute 600" in report.difference
    assert report.difference.endswith("(first differing field: dose 2 minute)")

    results = bundle_regions(data)["results"].start  # tier 1 eligible
    report = verify.verify_bundle(flipped(data, results, 0x02))
    assert report.difference == "tier 1 eligible: the bundle says 1, the re-run gives 3"

    # One series fewer: the list and the tier counts re-encoded consistently.
    raw = bundle.inputs.raw
    counts = [dataclasses.replace(t) for t in bundle.tier_counts]
    counts[bundle.series[-1].tier - 1].assigned -= 1
    shorter = encode_bundle(raw, bundle.commitment, bundle.beacon_value, bundle.k0, bundle.k1,
                            bundle.draw_id, bundle.revealed_at, counts, bundle.series[:-1])
    report = verify.verify_bundle(shorter)
    assert report.difference.startswith("tier 1 assigned"), report.difference
    shorter = encode_bundle(raw, bundle.commitment, bundle.beacon_value, bundle.k0, bundle.k1,
                            bundle.draw_id, bundle.revealed_at, bundle.tier_counts, bundle.series[:-1])
    report = verify.verify_bundle(shorter)
    assert report.difference.startswith("series count: the bundle has 2 series, the re-run places 3")


def consistent_bundle(inputs) -> bytes:
    """A bundle whose commitment and seed fit its (possibly wrong) inputs and
    whose results are those of the correct inputs."""
    good = verify.parse_bundle(honest_bundle(small_campaign()))
    raw = encode_inputs(inputs)
    commitment = hashlib.sha256(raw).digest()
    k0, k1 = verify.seed_from_beacon(commitment, good.beacon_value)
    return encode_bundle(raw, commitment, good.beacon_value, k0, k1, 1, AT, good.tier_counts,
                         good.series)


def test_first_difference_in_consistent_inputs() -> None:
    inputs = small_campaign()
    inputs.candidates[4].tier = 1
    report = verify.verify_bundle(consistent_bundle(inputs))
    assert report.difference == "candidate 4: tier 1 in the inputs, the tier rules give 2"

    inputs = small_campaign()
    inputs.candidates[3].waiting_since = AT + 1
    report = verify.verify_bundle(consistent_bundle(inputs))
    assert report.difference.startswith("candidate 3: waiting_since 2021-06-07T10:00:00.000001Z is after")

    inputs = small_campaign()
    inputs.policy.local_day += 1
    report = verify.verify_bundle(consistent_bundle(inputs))
    assert report.difference.startswith("local_day: the inputs say 2021-06-08"), report.difference

    # 23:30 UTC on 7 June is 8 June in Berlin (UTC+2).
    inputs = small_campaign()
    inputs.request.at = instant(2021, 6, 7, 23, 30)
    assert verify.verify_bundle(honest_bundle(inputs)).difference.startswith("local_day")
    inputs.policy.local_day = day(2021, 6, 8)
    assert verify.verify_bundle(honest_bundle(inputs)).identical

    # A zone this Python does not know: the check is skipped, and said so.
    inputs = small_campaign()
    inputs.policy.time_zone = "Mars/Olympus_Mons"
    report = verify.verify_bundle(honest_bundle(inputs))
    assert report.identical and "Mars/Olympus_Mons" in report.notes[0]


def test_malformed_bundles_raise_bundle_error() -> None:
    data = honest_bundle(small_campaign())
    for length in range(len(data)):
        with pytest.raises(verify.BundleError):
            verify.parse_bundle(data[:length])
    with pytest.raises(verify.BundleError, match="bytes after the series list"):
        verify.parse_bundle(data + b"\0")
    with pytest.raises(verify.BundleError, match="magic"):
        verify.parse_bundle(b"VXDRAWB2" + data[8:])

    inputs = small_campaign()
    raw = encode_inputs(inputs)
    with pytest.raises(verify.BundleError, match="magic"):
        verify.parse_inputs(b"VXDRAWI0" + raw[8:])
    with pytest.raises(verify.BundleError, match="bytes after the candidates section"):
        verify.parse_inputs(raw + b"\0")
    bodies = section_bodies(inputs)
    # Sections out of order.
    swapped = b"VXDRAWI1" + enc_section(2, bodies[1]) + enc_section(1, bodies[0]) + b"".join(
        enc_section(tag, body) for tag, body in enumerate(bodies[2:], start=3))
    with pytest.raises(verify.BundleError, match=r"section 1 \(header\) tag: is 2, expected 1"):
        verify.parse_inputs(swapped)
    # A body longer than its fields.
    padded = b"VXDRAWI1" + b"".join(enc_section(tag, body + (b"\0" if tag == 3 else b""))
                                    for tag, body in enumerate(bodies, start=1))
    with pytest.raises(verify.BundleError, match=r"section 3 \(policy\): body length"):
        verify.parse_inputs(padded)
    # A body shorter than its fields.
    cut = b"VXDRAWI1" + b"".join(enc_section(tag, body[:-1] if tag == 5 else body)
                                 for tag, body in enumerate(bodies, start=1))
    with pytest.raises(verify.BundleError, match=r"section 5 \(vaccines\).*byte offset"):
        verify.parse_inputs(cut)
    # A field value the spec does not allow.
    inputs.candidates[0].group = 5
    with pytest.raises(verify.BundleError, match="candidate 0 group: is 5"):
        verify.parse_inputs(encode_inputs(inputs))


def test_explain_reference() -> None:
    data = honest_bundle(small_campaign())
    bundle = verify.parse_bundle(data)
    placed = bundle.series[0]
    ref = [r for r in REFS.values()
           if verify.ref_digest(r) == bundle.inputs.candidates[placed.candidate].ref_digest][0]
    text = verify.explain_reference(bundle, ref)
    number = verify.committed_lottery_number(bundle.k0, bundle.k1, ref)
    assert verify.ref_digest(ref).hex() in text
    assert f"0x{number:016x} ({number})" in text
    assert f"candidate {placed.candidate} of 6: tier 2, rank 1 of 3" in text
    assert "reserve category 1" in text
    assert "dose 1: 2021-06-14 09:00" in text and "dose 2: 2021-06-15 09:00" in text
    assert "not placed" in verify.explain_reference(bundle, REFS["F"])
    assert "not a candidate" in verify.explain_reference(bundle, "nobody")


def test_command_line(tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = honest_bundle(small_campaign())
    good = tmp_path / "good.vxd"
    good.write_bytes(data)
    assert verify.main([str(good)]) == 0
    assert capsys.readouterr().out.startswith("identical: draw 7, seed ")
    assert verify.main([str(good), "--reference", REFS["A"]]) == 0
    assert "reference digest (SHA-256): " + verify.ref_digest(REFS["A"]).hex() in capsys.readouterr().out
    bad = tmp_path / "bad.vxd"
    bad.write_bytes(flipped(data, len(data) - 2, 0x04))
    assert verify.main([str(bad)]) == 1
    assert capsys.readouterr().out.startswith("DIFFERENT: series 2")
    cut = tmp_path / "cut.vxd"
    cut.write_bytes(data[:100])
    assert verify.main([str(cut)]) == 2
    assert "malformed" in capsys.readouterr().err
    assert verify.main([str(tmp_path / "missing.vxd")]) == 2
    # As a script it needs nothing but the standard library.
    run = subprocess.run([sys.executable, "-I", str(VERIFY_PATH), str(good)],
                         capture_output=True, text=True, check=False)
    assert run.returncode == 0 and run.stdout.startswith("identical"), run.stderr


# ---------------------------------------------------------------------------
# The re-run against a naive second reading of sections 1-6 on random small
# campaigns: this checks verify.py's shortcuts (cached failures, running
# minima, open-day lists), not the spec reading itself.
# ---------------------------------------------------------------------------


def naive_age(birth: int, on: int) -> int:
    b, d = EPOCH + dt.timedelta(days=birth), EPOCH + dt.timedelta(days=on)
    return d.year - b.year - ((d.month, d.day) < (b.month, b.day))


def naive_redraw(inputs, k0: int, k1: int):
    pools = [dataclasses.replace(p, days=[dataclasses.replace(
        d, slots=sorted((dataclasses.replace(s) for s in d.slots), key=lambda s: s.minute))
        for d in p.days]) for p in inputs.pools]
    vaccines = {v.id: v for v in inputs.vaccines}
    policy, request = inputs.policy, inputs.request
    cands = inputs.candidates
    order = sorted(range(len(cands)), key=lambda i: (
        cands[i].tier, verify.siphash24(k0, k1, cands[i].ref_digest), cands[i].ref_digest))

    def serves(center_id: int, district: int) -> bool:
        return any(c.id == center_id and district in c.districts for c in inputs.geography.centers)

    def preference(c) -> list[int]:
        ids = sorted(x.id for x in inputs.geography.centers)
        home = [i for i in ids if serves(i, c.district)]
        near = set()
        for a, b in policy.neighbours:
            for me, other in ((a, b), (b, a)):
                if me == c.district:
                    near |= {i for i in ids if serves(i, other)}
        centers = home + (sorted(near - set(home)) if policy.residence == 1 else [])
        out = []
        for center in centers:
            for p in sorted(range(len(pools)), key=lambda p: pools[p].vaccine):
                if pools[p].center != center:
                    continue
                if request.centers and center not in request.centers:
                    continue
                if c.vaccine_preference and pools[p].vaccine != c.vaccine_preference:
                    continue
                out.append(p)
        return out

    def in_pool(p, d: int) -> bool:
        return pools[p].first_day <= d <= pools[p].last_day

    def slots(p, d: int):
        return pools[p].days[d - pools[p].first_day].slots

    def released(p, d: int) -> bool:
        return any(r.first_day <= d <= r.last_day for r in pools[p].releases)

    def slack(p, t: int) -> int:
        return sum(day.delivered - sum(s.booked_first + s.booked_second for s in day.slots)
                   for day in pools[p].days[:t - pools[p].first_day + 1])

    def eligible(c, v, d: int, extra_min: int) -> bool:
        age = naive_age(c.birth_day, d)
        return ((v.age_years_min == 0 or age >= v.age_years_min)
                and (v.age_years_max == 0 or age <= v.age_years_max)
                and (extra_min == 0 or age >= extra_min))

    def place(c, p, extra_min: int):
        v = vaccines[pools[p].vaccine]
        lead = policy.draw_lead_days_online if c.channel == 0 else policy.draw_lead_days_phone
        for d1 in range(request.first_dose_from, request.first_dose_until + 1):
            if not in_pool(p, d1) or released(p, d1) or not eligible(c, v, d1, extra_min):
                continue
            if lead != 0 and d1 < policy.local_day + lead:
                continue
            if not any(s.booked_first < s.bookable_first for s in slots(p, d1)):
                continue
            pool_days = range(pools[p].first_day, pools[p].last_day + 1)
            if v.dose_count == 1:
                if all(slack(p, t) >= 1 for t in pool_days if t >= d1):
                    return d1, None
                continue
            seconds = sorted(range(d1 + v.interval_days_min, d1 + v.interval_days_max + 1),
                             key=lambda d2: (abs(d2 - (d1 + v.interval_days_target)), d2))
            for d2 in seconds:
                if not in_pool(p, d2) or not any(s.booked_second < s.bookable_second for s in slots(p, d2)):
                    continue
                if all(slack(p, t) >= (2 if t >= d2 else 1) for t in pool_days if t >= d1):
                    return d1, d2
        return None

    def book(p, d1: int, d2):
        s1 = next(s for s in slots(p, d1) if s.booked_first < s.bookable_first)
        s1.booked_first += 1
        doses = [(d1, s1.minute)]
        if d2 is not None:
            s2 = next(s for s in slots(p, d2) if s.booked_second < s.bookable_second)
            s2.booked_second += 1
            doses.append((d2, s2.minute))
        return tuple(doses)

    low = request.first_dose_from
    if policy.draw_lead_days_online and policy.draw_lead_days_phone:
        low = max(low, policy.local_day + min(policy.draw_lead_days_online, policy.draw_lead_days_phone))
    free = [sum(max(0, s.bookable_first - s.booked_first)
                for d in range(low, request.first_dose_until + 1)
                if in_pool(p, d) and not released(p, d) for s in slots(p, d))
            for p in range(len(pools))]
    quota = [[r.share_permille * free[p] // 1000 if r.vaccine in (0, pools[p].vaccine) else 0
              for p in range(len(pools))] for r in policy.reserves]
    series, done = [], set()
    phases = [(k + 1, r) for k, r in enumerate(policy.reserves)] + [(0, None)]
    for category, reserve in phases:
        for i in order:
            if request.series_limit and len(series) >= request.series_limit:
                break
            c = cands[i]
            if i in done:
                continue
            if reserve is not None and reserve.group_mask and not (reserve.group_mask >> (c.group - 1)) & 1:
                continue
            for p in preference(c):
                if reserve is not None and quota[category - 1][p] <= 0:
                    continue
                found = place(c, p, reserve.age_years_min if reserve else 0)
                if found:
                    doses = book(p, *found)
                    if reserve is not None:
                        quota[category - 1][p] -= 1
                    series.append(verify.Series(i, pools[p].center, pools[p].vaccine, c.tier,
                                                category, doses))
                    done.add(i)
                    break
    counts = [(sum(c.tier == t for c in cands), sum(s.tier == t for s in series)) for t in range(1, 9)]
    return counts, series


def random_campaign(rng: random.Random) -> "verify.Inputs":
    district_count = rng.randint(1, 3)
    centers = [verify.Center(i, sorted(rng.sample(range(1, district_count + 1),
                                                  rng.randint(1, district_count))))
               for i in range(1, rng.randint(1, 3) + 1)]
    vaccines = []
    for vid in range(1, rng.randint(1, 2) + 1):
        low = rng.randint(0, 4)
        high = low + rng.randint(0, 4)
        vaccines.append(verify.Vaccine(vid, rng.choice((1, 2, 2)), low, rng.randint(low, high), high,
                                       rng.choice((0, 0, 12, 40)), rng.choice((0, 0, 60))))
    start = day(2021, 6, 1) + rng.randint(0, 3)
    pools = []
    for c in centers:
        for v in vaccines:
            if rng.random() < 0.25:
                continue
            first = start + rng.randint(-2, 2)
            days = [verify.PoolDay(rng.choice((0, 0, 0, 1, 2, 5, 20)),
                                   [verify.Slot(m, rng.randint(0, 3), rng.randint(0, 3), rng.randint(0, 1),
                                                rng.randint(0, 1))
                                    for m in sorted(rng.sample(range(480, 1000, 10), rng.randint(0, 3)))])
                    for _ in range(rng.randint(1, 12))]
            releases = [verify.Release(first + a, first + a + rng.randint(0, 2))
                        for a in rng.sample(range(12), rng.randint(0, 2))]
            pools.append(verify.Pool(c.id, v.id, first, releases, days))
    rules = [verify.TierRule(instant(2021, 5, rng.randint(1, 28)) if rng.random() < 0.8 else verify.I64_MAX,
                             tuple(rng.randint(1, 8) for _ in range(4)))
             for _ in range(rng.randint(0, 2))]
    policy = verify.Policy("UTC", start - rng.randint(1, 5), rng.choice((0, 0, 2, 4)), rng.choice((0, 3, 5)),
                           rng.randint(0, 1), rules,
                           [verify.Reserve(rng.choice((100, 300, 500, 1000)), rng.choice((0, 0, 50)),
                                           rng.randint(0, 15), rng.choice((0, 1, 2)))
                            for _ in range(rng.randint(0, 2))],
                           [(rng.randint(1, district_count), rng.randint(1, district_count))
                            for _ in range(rng.randint(0, 2))])
    policy.local_day = day(2021, 5, 28)  # the day of `at` below, in UTC
    cands = []
    for n in range(rng.randint(0, 30)):
        registered = instant(2021, 5, rng.randint(1, 28))
        group = rng.randint(1, 4)
        c = candidate(f"ref-{rng.random()}-{n}", group=group, tier=0, district=rng.randint(1, district_count),
                      vaccine_preference=rng.choice((0, 0, 0, 1, 2)), channel=rng.randint(0, 1),
                      birth_day=rng.choice((day(2000, 2, 29), day(1960, 6, 3), day(2009, 6, 4),
                                            day(1961, 6, 5), day(1990, 1, 1))),
                      registered_at=registered)
        c.tier = verify.tier_from_rules(policy, registered, group)
        cands.append(c)
    request = verify.Request(instant(2021, 5, 28, 12), start, start + rng.randint(0, 6), rng.choice((0, 0, 3)),
                             sorted(rng.sample([c.id for c in centers], rng.randint(0, 1))), "beacon")
    pools = [p for p in pools if not request.centers or p.center in request.centers]
    return verify.Inputs(verify.Header("0.5.0", 1), request, policy,
                         verify.Geography(district_count, centers), vaccines, pools, cands)


def test_redraw_matches_naive_reading_on_random_campaigns() -> None:
    rng = random.Random(20210607)
    placed_total = 0
    for _ in range(400):
        inputs = verify.parse_inputs(encode_inputs(random_campaign(rng)))
        k0, k1 = rng.getrandbits(64), rng.getrandbits(64)
        result = verify.redraw(inputs, k0, k1)
        counts, series = naive_redraw(inputs, k0, k1)
        assert [(t.eligible, t.assigned) for t in result.tier_counts] == counts
        assert result.series == series
        placed_total += len(series)
        data = honest_bundle(inputs)
        report = verify.verify_bundle(data)
        assert report.identical, report.difference
    assert placed_total > 400  # the campaigns do place people


def test_ten_thousand_candidates_in_seconds() -> None:
    inputs = small_campaign()
    slots = [verify.Slot(480 + 5 * i, 2, 2, 0, 0) for i in range(40)]
    days = [verify.PoolDay(300 if d % 7 == 0 else 0, [dataclasses.replace(s) for s in slots])
            for d in range(60)]
    inputs.request.first_dose_until = D0 + 27
    inputs.vaccines = [verify.Vaccine(1, 2, 21, 28, 35, 12, 0), verify.Vaccine(2, 1, 0, 0, 0, 18, 0)]
    inputs.pools = [verify.Pool(1, v, D0, [], [dataclasses.replace(d, slots=[dataclasses.replace(s) for s in
                                                                            d.slots]) for d in days])
                    for v in (1, 2)]
    inputs.candidates = [candidate(f"mass-{n}", group=1 + n % 4, tier=1 + n % 4, channel=n % 2)
                         for n in range(10_000)]
    inputs.policy.draw_lead_days_phone = 3
    start = time.perf_counter()
    report = verify.verify_bundle(honest_bundle(inputs))
    elapsed = time.perf_counter() - start
    assert report.identical
    assert report.series_count > 1000
    assert elapsed < 20, elapsed  # generous for slow machines; a few seconds normally
