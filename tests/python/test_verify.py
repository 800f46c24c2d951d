"""Committed draws end to end: commit, reveal, bundle, and the pure-Python
verifier (vaxalloc.verify, written from docs/draw.md alone) re-running the
C++ draw from the bundle on thousands of random small campaigns.

The campaigns use every rule a draw reads: tier rules, reserve categories
(group masks, age bounds, a vaccine), the neighbour residence rule, lead
days by channel, overbooking, time zones, releases, vaccine preferences,
age bounds of vaccines, one- and two-dose vaccines, tight supply, seats
already booked by an earlier draw, people waiting again after a
cancellation, center limits and series limits.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import random

import pytest

import vaxalloc
from vaxalloc import verify
from conftest import SMALL, UTC, at

CAMPAIGNS = 300 if SMALL else 2000
BASE_DAY = dt.date(2021, 6, 7)


def random_campaign(rng: random.Random, target) -> dict:
    """Builds a random small campaign in `target`; returns what the draw request needs."""
    districts = [target.add_district(code=f"D{i}", name=f"District {i}")
                 for i in range(rng.randint(1, 4))]
    vaccines = []
    one_dose = set()
    for i in range(rng.randint(1, 3)):
        if rng.random() < 0.3:
            spec = dict(dose_count=1, interval_days_min=0, interval_days_target=0,
                        interval_days_max=0)
        else:
            low = rng.randint(1, 6)
            target_days = low + rng.randint(0, 4)
            spec = dict(dose_count=2, interval_days_min=low, interval_days_target=target_days,
                        interval_days_max=target_days + rng.randint(0, 5))
        if rng.random() < 0.3:
            spec["age_years_min"] = rng.choice([12, 18, 60])
        if rng.random() < 0.2:
            spec["age_years_max"] = spec.get("age_years_min", 0) + rng.choice([11, 29, 40])
        vaccines.append(target.add_vaccine(code=f"V{i}", name=f"Vaccine {i}", **spec))
        if spec["dose_count"] == 1:
            one_dose.add(vaccines[-1])
    centers = []
    for i in range(rng.randint(1, 4)):
        served = rng.sample(districts, rng.randint(1, min(2, len(districts))))
        centers.append(target.add_center(code=f"C{i}", name=f"Center {i}", districts=served))
    days = rng.randint(4, 24)
    for center in centers:
        for vaccine in vaccines:
            if rng.random() < 0.35:
                continue
            first = BASE_DAY + dt.timedelta(days=rng.randint(0, 5))
            last = first + dt.timedelta(days=rng.randint(6, days + 6))
            open_minute = rng.choice([480, 540, 600])
            target.add_capacity(center=center, vaccine=vaccine, first_day=first, last_day=last,
                                weekdays=rng.choice([vaxalloc.Weekday.EVERY_DAY, 0b0011111,
                                                     0b1010101]),
                                open_minute=open_minute,
                                close_minute=open_minute + rng.choice([30, 60, 120]),
                                slot_minutes=rng.choice([15, 30]),
                                seats_first=rng.randint(1, 3),
                                seats_second=0 if vaccine in one_dose else rng.randint(0, 3))
            for _ in range(rng.randint(0, 3)):
                target.add_supply(center=center, vaccine=vaccine,
                                  day=first + dt.timedelta(days=rng.randint(-2, days)),
                                  doses=rng.randint(1, 12))
            if rng.random() < 0.15:
                release_day = first + dt.timedelta(days=rng.randint(0, 4))
                try:
                    target.add_release(center=center, vaccine=rng.choice([0, vaccine]),
                                       first_day=release_day,
                                       last_day=release_day + dt.timedelta(days=rng.randint(0, 2)),
                                       release_at=at(2021, 6, 1))
                except vaxalloc.AlreadyExistsError:
                    pass  # overlaps an earlier release of the center
    registered_base = at(2021, 5, 1)
    tier_rules = []
    if rng.random() < 0.4:
        cut = registered_base + dt.timedelta(days=rng.randint(1, 20))
        tier_rules.append(vaxalloc.TierRule(
            registered_before=cut,
            tier_by_group=tuple(rng.randint(1, 8) for _ in range(4))))
        if rng.random() < 0.5:
            tier_rules.append(vaxalloc.TierRule(
                registered_before=None, tier_by_group=tuple(rng.randint(1, 8) for _ in range(4))))
    reserves = []
    for k in range(rng.choice([0, 0, 1, 2])):
        reserves.append(vaxalloc.ReserveCategory(
            name=f"R{k}", share_permille=rng.randint(0, 500),
            age_years_min=rng.choice([0, 0, 60, 70]), group_mask=rng.randint(0, 15),
            vaccine=rng.choice([0] + vaccines)))
    neighbours = []
    if len(districts) > 1:
        for _ in range(rng.randint(0, 2)):
            a, b = rng.sample(districts, 2)
            neighbours.append((a, b))
    target.set_policy(
        tier_rules=tier_rules, reserves=reserves,
        residence=rng.choice(list(vaxalloc.ResidenceRule)), neighbours=neighbours,
        time_zone=rng.choice(["UTC", "Europe/Berlin", "America/New_York"]),
        draw_lead_days_online=rng.choice([0, 0, 1, 3]),
        draw_lead_days_phone=rng.choice([0, 0, 2, 5]),
        overbook_permille=rng.choice([0, 0, 100, 250]))
    specs = []
    for i in range(rng.randint(0, 60)):
        specs.append(vaxalloc.RegistrantSpec(
            external_ref=f"REF-{rng.getrandbits(40):010x}-{i}",
            district=rng.choice(districts),
            birth_day=dt.date(rng.randint(1935, 2008), rng.randint(1, 12), rng.randint(1, 28))
            if rng.random() < 0.95 else dt.date(1960, 2, 29),
            registered_at=registered_base + dt.timedelta(hours=rng.randint(0, 24 * 30)),
            group=rng.choice(list(vaxalloc.PriorityGroup)),
            channel=rng.choice(list(vaxalloc.Channel)),
            vaccine_preference=rng.choice([0, 0, 0] + vaccines)))
    if specs:
        target.register_batch(specs)
    now = at(2021, 6, 3, 10)
    if specs and rng.random() < 0.4:
        # An earlier plain draw books seats; a cancellation makes one wait again.
        record = target.draw(seed=rng.getrandbits(64) + 1, at=now, first_dose_from=BASE_DAY,
                             first_dose_until=BASE_DAY + dt.timedelta(days=days))
        now += dt.timedelta(hours=1)
        if record.series and rng.random() < 0.7:
            target.cancel_series(rng.choice(record.series), at=now)
    chosen = [c for c in centers if rng.random() < 0.5] if rng.random() < 0.3 else []
    window_from = BASE_DAY + dt.timedelta(days=rng.randint(0, 4))
    return dict(at=now + dt.timedelta(hours=rng.randint(0, 200)), first_dose_from=window_from,
                first_dose_until=window_from + dt.timedelta(days=rng.randint(0, days)),
                centers=chosen, series_limit=rng.choice([0, 0, 0, 1, 5]))


def commit_and_reveal(target, request: dict, rng: random.Random):
    commitment = target.commit_draw(beacon=f"test beacon round {rng.getrandbits(32)}", **request)
    value = rng.randbytes(32)
    record = target.reveal_draw(commitment.id, value, at=request["at"] + dt.timedelta(minutes=1))
    return commitment, value, record


def test_thousands_of_random_campaigns_verify_identical():
    rng = random.Random(20210607)
    identical = placed = 0
    for n in range(CAMPAIGNS):
        engine = vaxalloc.Engine()
        request = random_campaign(rng, engine)
        commitment, value, record = commit_and_reveal(engine, request, rng)
        bundle = engine.draw_bundle(commitment.id)
        report = verify.verify_bundle(bundle)
        assert report.identical, f"campaign {n}: {report.difference}"
        # The verifier's re-run is the engine's draw, series by series.
        parsed = verify.parse_bundle(bundle)
        series = engine.get_series_batch(record.series)
        assert len(parsed.series) == len(series)
        for bundled, actual in zip(parsed.series, series):
            assert (bundled.center, bundled.vaccine, bundled.tier, bundled.category) == (
                actual.center, actual.vaccine, actual.tier, actual.category)
        assert engine.check_invariants().ok
        library, independent = engine.draw_fairness(commitment.id), verify.fairness(parsed)
        assert library.degrees_of_freedom == independent.degrees_of_freedom
        assert library.chi_square == pytest.approx(independent.chi_square, rel=1e-12)
        identical += 1
        placed += len(record.series)
    assert identical == CAMPAIGNS
    assert placed > CAMPAIGNS  # the campaigns place people: the check is not vacuous


def test_commit_reveal_bundle_on_a_store_survives_reopening(tmp_path):
    rng = random.Random(7)
    path = str(tmp_path / "campaign.sqlite")
    with vaxalloc.Store(path) as store:
        request = random_campaign(rng, store)
        while store.registrant_count == 0:
            store.close()
            (tmp_path / "campaign.sqlite").unlink()
            store = vaxalloc.Store(path)
            request = random_campaign(rng, store)
        commitment, value, record = commit_and_reveal(store, request, rng)
        bundle = store.draw_bundle(commitment.id)
    with vaxalloc.Store(path) as store:
        assert store.draw_bundle(commitment.id) == bundle
        again = store.get_draw_commitment(commitment.id)
        assert again.status == vaxalloc.CommitmentStatus.REVEALED
        assert again.beacon_value == value and again.draw == record.id
        assert store.get_draw(record.id).commitment == commitment.id
        assert store.verify_journal().first_bad_seq == 0
        ops = [entry.op_name for entry in store.read_journal()]
        assert ops[-2:] == ["commit_draw", "reveal_draw"]
    assert verify.verify_bundle(bundle).identical


def small_campaign(target):
    """One district, one center with one first-dose seat a day, four people."""
    target.add_district(code="06412", name="Frankfurt")
    target.add_vaccine(code="bnt", name="Comirnaty", interval_days_min=3,
                       interval_days_target=3, interval_days_max=6)
    target.add_center(code="FFM", name="Festhalle", districts=[1])
    target.add_capacity(center=1, vaccine=1, first_day=BASE_DAY,
                        last_day=BASE_DAY + dt.timedelta(days=9), open_minute=540,
                        close_minute=600, slot_minutes=60, seats_first=1, seats_second=1)
    target.add_supply(center=1, vaccine=1, day=BASE_DAY, doses=100)
    target.register_batch([
        vaxalloc.RegistrantSpec(external_ref=f"FFM-{i}", district=1,
                                birth_day=dt.date(1950 + i, 1, 1),
                                registered_at=at(2021, 5, 1 + i))
        for i in range(4)])
    return dict(at=at(2021, 6, 3, 10), first_dose_from=BASE_DAY,
                first_dose_until=BASE_DAY + dt.timedelta(days=2))


def test_seed_is_sha256_of_commitment_and_beacon_and_lottery_uses_the_digest(campaign):
    request = small_campaign(campaign)
    commitment = campaign.commit_draw(beacon="drand quicknet round 1", **request)
    assert commitment.status == vaxalloc.CommitmentStatus.PENDING
    assert len(commitment.commitment) == 32 and commitment.draw == 0
    inputs = campaign.draw_inputs(commitment.id)
    assert hashlib.sha256(inputs).digest() == commitment.commitment
    assert len(inputs) == commitment.input_bytes
    value = bytes.fromhex("aa" * 32)
    record = campaign.reveal_draw(commitment.id, value, at=request["at"] + dt.timedelta(hours=1))
    digest = hashlib.sha256(commitment.commitment + value).digest()
    k0, k1 = int.from_bytes(digest[:8], "little"), int.from_bytes(digest[8:16], "little")
    assert record.request.seed == vaxalloc.DrawSeed(k0=k0, k1=k1)
    assert record.commitment == commitment.id
    assert record.request.at == request["at"]
    # Three days of one first-dose seat: the three lowest numbers over the digests win.
    people = campaign.get_registrant_batch(
        [s.registrant for s in campaign.get_series_batch(record.series)])
    by_number = sorted(range(4), key=lambda i: (
        verify.committed_lottery_number(k0, k1, f"FFM-{i}"), verify.ref_digest(f"FFM-{i}")))
    assert [p.external_ref for p in people] == [f"FFM-{i}" for i in by_number[:3]]
    revealed = campaign.get_draw_commitment(commitment.id)
    assert revealed.status == vaxalloc.CommitmentStatus.REVEALED
    assert revealed.draw == record.id and revealed.request.seed == record.request.seed
    assert campaign.draw_commitment_count == 1


def test_changed_inputs_refuse_the_reveal_and_name_the_section(campaign):
    request = small_campaign(campaign)
    commitment = campaign.commit_draw(beacon="NIST pulse 1", **request)
    campaign.add_supply(center=1, vaccine=1, day=BASE_DAY, doses=1)
    later = request["at"] + dt.timedelta(hours=1)
    with pytest.raises(vaxalloc.FailedPreconditionError, match="section 'pools'"):
        campaign.reveal_draw(commitment.id, b"\x01" * 32, at=later)
    assert campaign.get_draw_commitment(commitment.id).status == vaxalloc.CommitmentStatus.PENDING
    assert campaign.draw_count == 0
    campaign.abandon_draw(commitment.id, "supply added after the commitment", at=later)
    abandoned = campaign.get_draw_commitment(commitment.id)
    assert abandoned.status == vaxalloc.CommitmentStatus.ABANDONED
    assert abandoned.abandon_reason == "supply added after the commitment"
    assert not abandoned.abandoned_unchanged  # it could not have been revealed
    assert abandoned.library_version == vaxalloc.__version__
    with pytest.raises(vaxalloc.FailedPreconditionError, match="abandoned"):
        campaign.reveal_draw(commitment.id, b"\x01" * 32, at=later)
    with pytest.raises(vaxalloc.FailedPreconditionError, match="abandoned"):
        campaign.draw_bundle(commitment.id)
    # A new commitment covers the new state and reveals.
    second = campaign.commit_draw(beacon="NIST pulse 2", **dict(request, at=later))
    assert second.id == 2 and second.commitment != commitment.commitment
    campaign.reveal_draw(second.id, b"\x02" * 32, at=later)
    assert verify.verify_bundle(campaign.draw_bundle(second.id)).identical


def test_one_pending_commitment_and_no_plain_draw_meanwhile(campaign):
    request = small_campaign(campaign)
    commitment = campaign.commit_draw(beacon="round 5", **request)
    with pytest.raises(vaxalloc.FailedPreconditionError, match="still pending"):
        campaign.commit_draw(beacon="round 6", **request)
    with pytest.raises(vaxalloc.FailedPreconditionError, match="pending"):
        campaign.draw(seed=1, **request)
    campaign.reveal_draw(commitment.id, b"x", at=request["at"])
    with pytest.raises(vaxalloc.FailedPreconditionError, match="already revealed as draw 1"):
        campaign.reveal_draw(commitment.id, b"x", at=request["at"])
    # A beacon decides one draw.
    with pytest.raises(vaxalloc.AlreadyExistsError, match="was named by draw commitment 1"):
        campaign.commit_draw(beacon="round 5", **request)


def test_bad_commit_and_reveal_arguments_are_clear_errors(campaign):
    request = small_campaign(campaign)
    with pytest.raises(vaxalloc.InvalidArgumentError, match="beacon is empty"):
        campaign.commit_draw(beacon="", **request)
    with pytest.raises(vaxalloc.InvalidArgumentError, match="at most 256"):
        campaign.commit_draw(beacon="x" * 257, **request)
    with pytest.raises(TypeError, match="beacon must be a str"):
        campaign.commit_draw(beacon=b"round", **request)
    with pytest.raises(vaxalloc.NotFoundError, match="unknown draw commitment id 9"):
        campaign.reveal_draw(9, b"x", at=request["at"])
    commitment = campaign.commit_draw(beacon="round 1", **request)
    with pytest.raises(vaxalloc.InvalidArgumentError, match="beacon value has 0 bytes"):
        campaign.reveal_draw(commitment.id, b"", at=request["at"])
    with pytest.raises(vaxalloc.InvalidArgumentError, match="beacon value has 1025 bytes"):
        campaign.reveal_draw(commitment.id, b"x" * 1025, at=request["at"])
    with pytest.raises(TypeError, match="beacon_value must be bytes"):
        campaign.reveal_draw(commitment.id, "aa", at=request["at"])
    with pytest.raises(vaxalloc.InvalidArgumentError, match="before draw commitment 1 was made"):
        campaign.reveal_draw(commitment.id, b"x", at=request["at"] - dt.timedelta(seconds=1))
    with pytest.raises(vaxalloc.InvalidArgumentError, match="reason is empty"):
        campaign.abandon_draw(commitment.id, "", at=request["at"])
    with pytest.raises(vaxalloc.FailedPreconditionError, match="still pending"):
        campaign.draw_bundle(commitment.id)
    assert campaign.get_draw_commitment(1).status == vaxalloc.CommitmentStatus.PENDING


def test_a_person_checks_their_own_number_from_the_bundle(campaign, tmp_path):
    request = small_campaign(campaign)
    commitment = campaign.commit_draw(beacon="round 9", **request)
    campaign.reveal_draw(commitment.id, b"\x09" * 32, at=request["at"])
    path = tmp_path / "draw.vxd"
    path.write_bytes(campaign.draw_bundle(commitment.id))
    bundle = verify.parse_bundle(path.read_bytes())
    text = verify.explain_reference(bundle, "FFM-2")
    assert verify.ref_digest("FFM-2").hex() in text
    assert verify.main([str(path)]) == 0
    assert verify.main([str(path), "--reference", "FFM-2"]) == 0
    tampered = bytearray(path.read_bytes())
    tampered[-1] ^= 1
    path.write_bytes(bytes(tampered))
    assert verify.main([str(path)]) == 1


def fairness_campaign(target, people: int, age_bound: bool):
    """One pool with a quarter as many first-dose seats as people, all in one
    tier. With age_bound the vaccine is for 60+ and the early registrants are
    the old ones: registration time then decides who can be placed."""
    target.add_district(code="06412", name="Frankfurt")
    target.add_vaccine(code="bnt", name="Comirnaty", dose_count=1, interval_days_min=0,
                       interval_days_target=0, interval_days_max=0,
                       age_years_min=60 if age_bound else 0)
    target.add_center(code="FFM", name="Festhalle", districts=[1])
    target.add_capacity(center=1, vaccine=1, first_day=BASE_DAY, last_day=BASE_DAY,
                        open_minute=480, close_minute=480 + 15, slot_minutes=15,
                        seats_first=people // 4)
    target.add_supply(center=1, vaccine=1, day=BASE_DAY, doses=people)
    target.register_batch([
        vaxalloc.RegistrantSpec(
            external_ref=f"HE-{i:06d}", district=1,
            birth_day=dt.date(1940 if i < people // 2 else 1990, 1, 1) if age_bound
            else dt.date(1960, 1, 1),
            registered_at=at(2021, 5, 1) + dt.timedelta(seconds=i))
        for i in range(people)])


def test_fairness_from_the_library_and_from_the_bundle_agree_and_can_fail():
    people = 2000
    p_values = []
    for round_ in range(12 if SMALL else 40):
        engine = vaxalloc.Engine()
        fairness_campaign(engine, people, age_bound=False)
        commitment = engine.commit_draw(beacon=f"round {round_}", at=at(2021, 6, 1),
                                        first_dose_from=BASE_DAY, first_dose_until=BASE_DAY)
        engine.reveal_draw(commitment.id, round_.to_bytes(4, "little"), at=at(2021, 6, 1))
        result = engine.draw_fairness(commitment.id)
        independent = verify.fairness(verify.parse_bundle(engine.draw_bundle(commitment.id)))
        assert result.degrees_of_freedom == independent.degrees_of_freedom == 9
        assert [t.winners for t in result.tiers] == [t.winners for t in independent.tiers] == [500]
        assert result.chi_square == pytest.approx(independent.chi_square, rel=1e-12)
        assert result.p_value == pytest.approx(independent.p_value, rel=1e-9, abs=1e-12)
        p_values.append(result.p_value)
    # A fair lottery: no p-value tiny, and they spread over 0..1.
    assert min(p_values) > 1e-4
    assert sum(p < 0.5 for p in p_values) not in (0, len(p_values))
    # The check can fail: with a 60+ vaccine only the early half can win.
    engine = vaxalloc.Engine()
    fairness_campaign(engine, people, age_bound=True)
    commitment = engine.commit_draw(beacon="biased", at=at(2021, 6, 1),
                                    first_dose_from=BASE_DAY, first_dose_until=BASE_DAY)
    engine.reveal_draw(commitment.id, b"x", at=at(2021, 6, 1))
    biased = engine.draw_fairness(commitment.id)
    assert biased.p_value < 1e-100
    assert biased.p_value == pytest.approx(
        verify.fairness(verify.parse_bundle(engine.draw_bundle(commitment.id))).p_value,
        abs=1e-300)
    with pytest.raises(vaxalloc.InvalidArgumentError, match="1 buckets; expected 2 to 100"):
        engine.draw_fairness(commitment.id, buckets=1)


def test_chi_square_tail_matches_known_quantiles():
    # The 0.999 quantile with 9 degrees of freedom (tests/draw_test.cc), the
    # median with 1, and the exponential tail of 2 degrees of freedom.
    assert verify.upper_gamma_regularized(4.5, 27.877 / 2) == pytest.approx(0.001, rel=1e-3)
    assert verify.upper_gamma_regularized(0.5, 0.454936 / 2) == pytest.approx(0.5, rel=1e-5)
    assert verify.upper_gamma_regularized(1.0, 3.0) == pytest.approx(math.exp(-3), rel=1e-12)
