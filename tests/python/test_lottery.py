"""Seeds, SipHash-2-4 and lottery numbers, and the draw's winners as the
lottery order predicts them (docs/draw.md, section 3)."""

from __future__ import annotations

import datetime as dt

import pytest

import vaxalloc
from conftest import at

# The reference key 00 01 .. 0f (github.com/veorq/SipHash), read little-endian.
REFERENCE_KEY = (0x0706050403020100, 0x0F0E0D0C0B0A0908)


def test_siphash_reference_vectors():
    message = bytes(range(64))
    assert vaxalloc.siphash24(REFERENCE_KEY, message[:0]) == 0x726FDB47DD0E0E31
    assert vaxalloc.siphash24(REFERENCE_KEY, message[:1]) == 0x74F839C593DC67FD
    assert vaxalloc.siphash24(REFERENCE_KEY, message[:7]) == 0xAB0200F58B01D137
    assert vaxalloc.siphash24(REFERENCE_KEY, message[:8]) == 0x93F5F5799A932462
    assert vaxalloc.siphash24(REFERENCE_KEY, message[:15]) == 0xA129CA6149BE45E5
    assert vaxalloc.siphash24(REFERENCE_KEY, bytearray(message[:63])) == 0x958A324CEB064572
    with pytest.raises(TypeError):
        vaxalloc.siphash24(REFERENCE_KEY, "text")


def test_lottery_number_is_siphash_of_the_utf8_reference():
    seed = vaxalloc.DrawSeed(k0=REFERENCE_KEY[0], k1=REFERENCE_KEY[1])
    for ref in ["reg-000123", "HE-00000001", "Müller-7", ""]:
        expected = vaxalloc.siphash24(REFERENCE_KEY, ref.encode("utf-8"))
        assert vaxalloc.lottery_number(seed, ref) == expected
        assert vaxalloc.lottery_number(REFERENCE_KEY, ref) == expected
        assert vaxalloc.lottery_number(int(seed), ref) == expected
        assert vaxalloc.lottery_number(str(seed), ref) == expected


def test_seed_int_mapping_and_published_form():
    seed = vaxalloc.DrawSeed.from_int(5 + (1 << 64))
    assert (seed.k0, seed.k1) == (5, 1)
    assert int(seed) == 5 + (1 << 64)
    assert str(seed) == "0000000000000005" "0000000000000001"
    assert vaxalloc.format_seed(0xDEADBEEFCAFEF00D) == "deadbeefcafef00d0000000000000000"
    assert vaxalloc.format_seed(REFERENCE_KEY) == "07060504030201000f0e0d0c0b0a0908"
    assert vaxalloc.parse_seed("07060504030201000F0E0D0C0B0A0908") == vaxalloc.DrawSeed(
        k0=REFERENCE_KEY[0], k1=REFERENCE_KEY[1])
    assert vaxalloc.parse_seed("2a") == vaxalloc.DrawSeed(k0=42, k1=0)
    for value in [0, 1, 2**64 - 1, 2**64, 2**128 - 1, 0x1234_5678_9ABC_DEF0_0FED_CBA9_8765_4321]:
        s = vaxalloc.DrawSeed.from_int(value)
        assert int(s) == value
        assert vaxalloc.parse_seed(str(s)) == s
    assert repr(vaxalloc.DrawSeed(k0=1)) == "DrawSeed('00000000000000010000000000000000')"
    with pytest.raises(TypeError):
        vaxalloc.DrawSeed.from_int(True)
    with pytest.raises(TypeError):
        vaxalloc.lottery_number(1.5, "x")
    with pytest.raises(vaxalloc.InvalidArgumentError, match="characters"):
        vaxalloc.parse_seed("0" * 17)


def build_one_center(target, seats):
    """One district, one center with `seats` first-dose seats on 14 June."""
    district = target.add_district(code="06411", name="Darmstadt")
    vaccine = target.add_vaccine(code="spikevax", name="Spikevax", interval_days_min=28,
                                 interval_days_target=28, interval_days_max=42)
    center = target.add_center(code="DA", name="Darmstadtium", districts=[district])
    target.add_capacity(center=center, vaccine=vaccine, first_day=dt.date(2021, 6, 14),
                        last_day=dt.date(2021, 6, 14), open_minute=480,
                        close_minute=480 + seats * 5, slot_minutes=5, seats_first=1)
    target.add_capacity(center=center, vaccine=vaccine, first_day=dt.date(2021, 7, 12),
                        last_day=dt.date(2021, 7, 12), open_minute=480,
                        close_minute=480 + seats * 5, slot_minutes=5, seats_second=1)
    target.add_supply(center=center, vaccine=vaccine, day=dt.date(2021, 6, 1), doses=2 * seats)
    return district


@pytest.mark.parametrize("seed", [1, 2021, (0xFFFFFFFFFFFFFFFF, 0x1), "c0ffee"])
def test_winners_follow_tier_then_lottery_order(campaign, seed):
    seats = 20
    district = build_one_center(campaign, seats)
    refs = [f"DA-{i:04}" for i in range(40)]
    # Every third person is in group 2 (tier 2); the rest have no group (tier 4).
    groups = [vaxalloc.PriorityGroup.GROUP2 if i % 3 == 0 else vaxalloc.PriorityGroup.NONE
              for i in range(40)]
    campaign.register_batch(external_ref=refs, district=district, birth_day=dt.date(1970, 1, 1),
                            registered_at=[at(2021, 6, 1, 8, i) for i in range(40)], group=groups)
    record = campaign.draw(seed=seed, at=at(2021, 6, 7), first_dose_from=dt.date(2021, 6, 14),
                           first_dose_until=dt.date(2021, 6, 14))

    tier = {ref: int(group) for ref, group in zip(refs, groups)}
    expected = sorted(refs, key=lambda r: (tier[r], vaxalloc.lottery_number(seed, r), r))[:seats]
    series = campaign.get_series_batch(record.series)
    winners = [r.external_ref
               for r in campaign.get_registrant_batch([s.registrant for s in series])]
    assert winners == expected  # the same people, in assignment order
    # Seats are handed out in that order: earliest slot first.
    assert [s.appointments[0].minute for s in series] == [480 + 5 * i for i in range(seats)]
    assert [s.appointments[1].day for s in series] == [dt.date(2021, 7, 12)] * seats
    assert record.tiers[1] == vaxalloc.TierCount(eligible=14, assigned=14)
    assert record.tiers[3] == vaxalloc.TierCount(eligible=26, assigned=6)
    assert record.request.seed == vaxalloc._convert.to_seed(seed)
