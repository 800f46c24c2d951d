"""Every exception type: raised by real failures of the core where one can be
provoked cheaply, and through the shim's one mapping for every status code."""

from __future__ import annotations

import datetime as dt
import pickle
import sqlite3

import pytest

import vaxalloc
from vaxalloc import _core
from conftest import SMALL, at

S = vaxalloc.StatusCode

# Status code -> class, as documented in docs/python.md.
MAPPING = {
    S.NOT_FOUND: vaxalloc.NotFoundError,
    S.INVALID_ARGUMENT: vaxalloc.InvalidArgumentError,
    S.ALREADY_EXISTS: vaxalloc.AlreadyExistsError,
    S.FAILED_PRECONDITION: vaxalloc.FailedPreconditionError,
    S.RESOURCE_EXHAUSTED: vaxalloc.CapacityExhaustedError,
    S.UNAVAILABLE: vaxalloc.BusyError,
    S.DATA_LOSS: vaxalloc.CorruptStoreError,
    S.UNAUTHENTICATED: vaxalloc.VerificationFailedError,
    S.OUT_OF_RANGE: vaxalloc.OutOfRangeError,
}


@pytest.mark.parametrize("code", [c for c in S if c != S.OK])
def test_every_status_code_maps_to_its_class_with_message_and_code(code):
    expected = MAPPING.get(code, vaxalloc.Error)
    with pytest.raises(vaxalloc.Error) as info:
        _core.raise_status(int(code), f"message of {code.name} \u00fc")
    assert type(info.value) is expected
    assert info.value.code is code
    assert info.value.message == f"message of {code.name} \u00fc"
    assert str(info.value) == info.value.message
    assert repr(info.value) == (
        f"{expected.__name__}('message of {code.name} \u00fc', code=StatusCode.{code.name})")


def test_errors_pickle_with_message_and_code():
    for code in [S.NOT_FOUND, S.INTERNAL]:
        with pytest.raises(vaxalloc.Error) as info:
            _core.raise_status(int(code), "gone")
        copy = pickle.loads(pickle.dumps(info.value))
        assert type(copy) is type(info.value)
        assert (copy.message, copy.code) == ("gone", code)
    assert repr(vaxalloc.NotFoundError("x")).startswith("NotFoundError(")
    assert vaxalloc.NotFoundError.__module__ == "vaxalloc"


def test_subclasses_are_also_the_matching_builtin_errors():
    assert issubclass(vaxalloc.NotFoundError, LookupError)
    assert issubclass(vaxalloc.InvalidArgumentError, ValueError)
    assert issubclass(vaxalloc.OutOfRangeError, ValueError)
    for cls in MAPPING.values():
        assert issubclass(cls, vaxalloc.Error)
        assert cls("x").code == cls.default_code


def test_not_found(small):
    target = small.target
    with pytest.raises(vaxalloc.NotFoundError, match="unknown registrant id 99") as info:
        target.get_registrant(99)
    assert info.value.code is S.NOT_FOUND
    with pytest.raises(vaxalloc.NotFoundError):
        target.find_district("99999")
    with pytest.raises(vaxalloc.NotFoundError):
        target.get_series(1)
    with pytest.raises(vaxalloc.NotFoundError, match="unknown center id 9"):
        target.draw(seed=1, at=at(2021, 6, 7), first_dose_from=dt.date(2021, 6, 14),
                    first_dose_until=dt.date(2021, 6, 14), centers=[9])
    with pytest.raises(LookupError):
        target.get_draw(1)


def test_invalid_argument(small):
    target = small.target
    with pytest.raises(vaxalloc.InvalidArgumentError, match="district code is empty") as info:
        target.add_district(code="", name="Nowhere")
    assert info.value.code is S.INVALID_ARGUMENT
    with pytest.raises(vaxalloc.InvalidArgumentError, match="dose_count 3"):
        target.add_vaccine(code="x", name="X", dose_count=3)
    with pytest.raises(ValueError, match="window ends"):
        target.draw(seed=1, at=at(2021, 6, 7), first_dose_from=dt.date(2021, 6, 14),
                    first_dose_until=dt.date(2021, 6, 13))
    with pytest.raises(vaxalloc.InvalidArgumentError):
        vaxalloc.parse_seed("xyz")


def test_already_exists(small):
    target = small.target
    with pytest.raises(vaxalloc.AlreadyExistsError, match="'06412' already exists") as info:
        target.add_district(code="06412", name="again")
    assert info.value.code is S.ALREADY_EXISTS
    target.register(external_ref="R-1", district=small.ffm, birth_day=dt.date(1950, 1, 1),
                    registered_at=at(2021, 6, 1))
    with pytest.raises(vaxalloc.AlreadyExistsError):
        target.register(external_ref="R-1", district=small.ffm, birth_day=dt.date(1950, 1, 1),
                        registered_at=at(2021, 6, 1))
    request = dict(at=at(2021, 6, 7), first_dose_from=dt.date(2021, 6, 14),
                   first_dose_until=dt.date(2021, 6, 14))
    target.draw(seed=5, **request)
    # A seed decides everyone's lottery number: it can be used once.
    with pytest.raises(vaxalloc.AlreadyExistsError):
        target.draw(seed=(5, 0), **request)
    assert target.draw_count == 1


def test_failed_precondition(small):
    target = small.target
    target.register(external_ref="R-1", district=small.ffm, birth_day=dt.date(1950, 1, 1),
                    registered_at=at(2021, 6, 1))
    record = target.draw(seed=5, at=at(2021, 6, 7), first_dose_from=dt.date(2021, 6, 14),
                         first_dose_until=dt.date(2021, 6, 14))
    target.cancel_series(record.series[0], at=at(2021, 6, 8))
    with pytest.raises(vaxalloc.FailedPreconditionError, match="already cancelled") as info:
        target.cancel_series(record.series[0], at=at(2021, 6, 9))
    assert info.value.code is S.FAILED_PRECONDITION
    target.withdraw(1, at=at(2021, 6, 9))
    with pytest.raises(vaxalloc.FailedPreconditionError, match="already withdrawn"):
        target.withdraw(1, at=at(2021, 6, 10))


def test_out_of_range(small):
    target = small.target
    with pytest.raises(vaxalloc.OutOfRangeError, match="1800-01-01 is outside") as info:
        target.add_capacity(center=1, vaccine=1, first_day=dt.date(1800, 1, 1),
                            last_day=dt.date(1800, 1, 2), seats_first=1)
    assert info.value.code is S.OUT_OF_RANGE
    # Ids are 32-bit: the shim refuses what cannot name anything.
    with pytest.raises(vaxalloc.OutOfRangeError, match="registrant id -1 is out of range"):
        target.get_registrant(-1)
    with pytest.raises(vaxalloc.OutOfRangeError, match="center id 4294967296"):
        target.get_center(2**32)
    with pytest.raises(vaxalloc.OutOfRangeError):
        vaxalloc.DrawSeed.from_int(2**128)
    with pytest.raises(vaxalloc.OutOfRangeError):
        vaxalloc.DrawSeed(k0=-1)


def test_busy(tmp_path):
    path = tmp_path / "busy.sqlite"
    with vaxalloc.Store.open(path, busy_timeout=dt.timedelta(milliseconds=50)) as store:
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")  # another process's write lock
            with pytest.raises(vaxalloc.BusyError, match="busy") as info:
                store.add_district(code="06412", name="Frankfurt am Main")
            assert info.value.code is S.UNAVAILABLE
        finally:
            other.execute("ROLLBACK")
            other.close()
        # Nothing was applied in memory; with the lock gone the call succeeds.
        assert store.district_count == 0
        assert store.add_district(code="06412", name="Frankfurt am Main") == 1


def test_corrupt_store(tmp_path):
    path = tmp_path / "corrupt.sqlite"
    garbage = bytes(range(256)) * 64
    path.write_bytes(garbage)
    with pytest.raises(vaxalloc.CorruptStoreError, match="not a readable SQLite database") as info:
        vaxalloc.Store.open(path)
    assert info.value.code is S.DATA_LOSS
    assert path.read_bytes() == garbage  # left unchanged


def test_store_of_another_application(tmp_path):
    path = tmp_path / "other.sqlite"
    other = sqlite3.connect(path)
    other.execute("CREATE TABLE t (x)")
    other.commit()
    other.close()
    with pytest.raises(vaxalloc.FailedPreconditionError, match="another application"):
        vaxalloc.Store.open(path)


def test_missing_file_without_create(tmp_path):
    with pytest.raises(vaxalloc.NotFoundError, match="does not exist"):
        vaxalloc.Store.open(tmp_path / "missing.sqlite", create_if_missing=False)


@pytest.mark.skipif(SMALL, reason="65535 vaccines take a while under sanitizers")
def test_capacity_exhausted_by_the_vaccine_limit():
    engine = vaxalloc.Engine()
    for i in range(65535):
        engine.add_vaccine(code=f"v{i}", name="V")
    with pytest.raises(vaxalloc.CapacityExhaustedError, match="too many vaccines") as info:
        engine.add_vaccine(code="one-more", name="V")
    assert info.value.code is S.RESOURCE_EXHAUSTED
