"""Bad arguments, systematically (issue 22).

Every public function and method of the package is called with a battery of
bad values in each argument position, the other arguments valid: NUL bytes
and lone surrogates in text, ints beyond 64 bits, NaN and infinities, None,
wrong types, sequences of wrong items. Each call must raise the package's
own exception (a ``vaxalloc.Error``; wrong types an ``ArgumentTypeError``,
which is also a ``TypeError``) whose message names the function and the
argument, must change nothing (the campaign's revision and, for a Store, its
journal stay as they were), and nothing may crash.

The functions are found by introspection (the Engine, Store and Scenario
methods, DrawSeed's constructors, the module's functions); the argument
kinds come from the annotations. A public function or parameter without an
entry here, or an annotation without a battery, fails
``test_every_public_function_and_argument_is_covered``.

Run with ``-s`` to see the counts (bad calls tried, unclear ones).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import inspect
import os
import pathlib
import pickle
import re

import pytest

import vaxalloc
from vaxalloc._scenario import Scenario
from conftest import at

NAN = float("nan")
INF = float("inf")
NAIVE = dt.datetime(2021, 6, 7, 6, 0)
AWARE = at(2021, 6, 14, 8)
DAY = dt.date(2021, 6, 14)

# The package's own class for a wrong type (None on a package that has none:
# the counts before the change were taken with this file unchanged).
ArgumentTypeError = getattr(vaxalloc, "ArgumentTypeError", None)


# ---------------------------------------------------------------------------
# The batteries: values every argument of a kind must refuse.

HUGE = [2**64, -2**64, 2**63, -2**63 - 1, 10**30]
INT = HUGE + [None, "1", b"1", 1.5, NAN, INF, True, [1], (1,), DAY]
UINT64 = [2**64, -1, -2**64, 10**30, None, "1", 1.5, NAN, True, [1]]
UINT128 = [2**128, -1, None, "1", 1.5, NAN, True]
TEXT = ["a\x00b", "\x00", "\ud800", "x\udcff", "\udfff\ud800", None, 1, 1.5, b"x", ["x"]]
INSTANT = [NAIVE, None, 1.5, NAN, INF, 2**64, "2021-06-07T06:00:00+00:00", DAY, (2021, 6, 7)]
CIVIL_DAY = [AWARE, None, "2021-06-14", 738_000, NAN, INF, 2**64, (2021, 6, 14)]
DURATION = [NAN, INF, -INF, None, "600", dt.timedelta.max, dt.timedelta.min, 1e300, -1e300,
            2**64, 10**30, True, [600], DAY]
BOOL = [None, "yes", "", 1, 0, 1.5, NAN, [True], b""]
BYTES = [None, "beacon", "\ud800", 5, 1.5, [1, 2], (1, 2)]
INTS = [None, 5, 1.5, "12", b"\x01\x02", [None], ["1"], [2**64], [-2**64], [1.5], [NAN],
        [True], [[1]], (1, None)]
TEXTS = [None, 5, "abc", b"abc", [None], [1], [b"x"], ["a\x00"], ["\ud800"], ("ok", None)]
ENUM = [None, "1", "GIVEN", 99, -1, 2**64, -2**64, 1.5, NAN, True, [1]]
SEED = [None, -1, 2**128, -2**128, "zz", "ab\x00", "\ud800", "", (1,), (1, 2, 3), (1.5, 0),
        (2**64, 0), (0, -1), (None, 0), ("1", 0), 1.5, NAN, [1, 2], b"12", True]
RECORD = [5, "x", b"x", 1.5, {"a": 1}, [1], True]
PATH = [None, 5, 1.5, "zz\x00evil.sqlite", b"zz\x00evil.sqlite", "\ud800.sqlite",
        pathlib.Path("zz\x00p.sqlite"), [b"x"], True]
TARGET = [None, 5, "engine", object()]
CALLBACK = [5, "x", b"x", True]
ROWS = [5, 1.5, "x", b"x", True, [5], [None], ["x"], [{"bogus": 1}]]
PAIRS = [None, 5, "ab", [5], [None], [(1,)], [(1, 2, 3)], [("a", 1)], [(2**64, 1)],
         [(1, NAN)], ["ab"]]
TIER_RULES = [None, 5, "x", [5], [None], [{"tier_by_group": (1, 2, 3, 4)}],
              [vaxalloc.TierRule(tier_by_group=(1, 2, 3, 2**64))],
              [vaxalloc.TierRule(tier_by_group=(1, 2, 3, "4"))],
              [vaxalloc.TierRule(registered_before=NAIVE)],
              [vaxalloc.TierRule(registered_before=NAN)]]
RESERVES = [None, 5, "x", [5], [None], [vaxalloc.ReserveCategory(name="a\x00")],
            [vaxalloc.ReserveCategory(name="\ud800")],
            [vaxalloc.ReserveCategory(name="r", share_permille=2**64)],
            [vaxalloc.ReserveCategory(name="r", group_mask=None)]]
REF_COLUMN = [None, 5, 1.5, ["a\x00"], ["\ud800"], [None], [1], [b"x"]]
INT_COLUMN = HUGE + ["1", 1.5, NAN, True, [None], ["1"], [2**64], [1.5]]
DAY_COLUMN = [AWARE, "2021-06-14", 738_000, NAN, [AWARE], [None], ["x"]]
INSTANT_COLUMN = [NAIVE, 1.5, NAN, "x", DAY, [NAIVE], [None], [NAN]]
ENUM_COLUMN = ["1", 99, 2**64, 1.5, NAN, True, [99], [None], ["x"], [True]]
BOOL_COLUMN = ["yes", 1, 1.5, NAN, [1], [None], ["yes"]]

#: Annotation (as written) -> battery.
BATTERY_OF_ANNOTATION = {
    "int": INT, "int | None": INT,
    "str": TEXT,
    "datetime.datetime": INSTANT, "datetime.datetime | None": INSTANT,
    "datetime.date": CIVIL_DAY, "datetime.date | None": CIVIL_DAY,
    "datetime.timedelta | float": DURATION,
    "bool": BOOL,
    "bytes": BYTES,
    "Sequence[int]": INTS, "Iterable[int]": INTS,
    "Iterable[str]": TEXTS,
    "Seed | None": SEED,
    "Durability": ENUM, "DoseOutcome": ENUM, "CodePurpose": ENUM, "BookingMode": ENUM,
    "PriorityGroup": ENUM, "Channel": ENUM, "ResidenceRule": ENUM,
    "Policy | None": RECORD, "ReleaseSpec | None": RECORD, "BookingRequest | None": RECORD,
    "DrawRequest | None": RECORD,
    "str | os.PathLike[str]": PATH,
    "Engine | Store": TARGET,
    "ProgressCallback | None": CALLBACK,
    "Iterable[RegistrantSpec | Mapping[str, Any]] | None": ROWS,
    "Iterable[tuple[int, int]]": PAIRS,
    "Iterable[TierRule]": TIER_RULES,
    "Iterable[ReserveCategory]": RESERVES,
    "Sequence[str] | None": REF_COLUMN,
    "Sequence[int] | int | None": INT_COLUMN,
    "Sequence[datetime.date] | datetime.date | None": DAY_COLUMN,
    "Sequence[datetime.datetime] | datetime.datetime | None": INSTANT_COLUMN,
    "Sequence[PriorityGroup] | PriorityGroup | None": ENUM_COLUMN,
    "Sequence[Channel] | Channel | None": ENUM_COLUMN,
    "Sequence[bool] | bool | None": BOOL_COLUMN,
}

#: Arguments whose kind the annotation does not tell.
BATTERY_OF_ARGUMENT = {
    ("lottery_number", "seed"): SEED,
    ("siphash24", "key"): SEED,
    ("format_seed", "seed"): SEED,
    ("DrawSeed()", "k0"): UINT64,
    ("DrawSeed()", "k1"): UINT64,
    ("DrawSeed.from_int", "seed"): UINT128,
    ("make_scenario", "seed"): UINT64,
}

#: Values that may be refused or accepted (the core decides), but if refused,
#: with the package's own exception. Tried in every sequence position.
PROBES_OF_BATTERY = {id(INTS): [[], ()], id(TEXTS): [[], ()], id(PAIRS): [[]],
                     id(TIER_RULES): [[]], id(RESERVES): [[]], id(ROWS): [[]],
                     id(TEXT): ["", "é", "\udcff"], id(INT): [-1, 0, 2**32, 2**63 - 1]}


def battery_for(label: str, parameter: inspect.Parameter) -> list | None:
    if (label, parameter.name) in BATTERY_OF_ARGUMENT:
        return BATTERY_OF_ARGUMENT[(label, parameter.name)]
    annotation = parameter.annotation
    if not isinstance(annotation, str):
        annotation = getattr(annotation, "__name__", repr(annotation))
    return BATTERY_OF_ANNOTATION.get(annotation)


# ---------------------------------------------------------------------------
# A small campaign with one of everything, so that the valid arguments name
# things that exist.

def build(target) -> None:
    ffm = target.add_district(code="06412", name="Frankfurt am Main")
    target.add_district(code="06413", name="Offenbach am Main")
    comirnaty = target.add_vaccine(code="comirnaty", name="Comirnaty")
    festhalle = target.add_center(code="FFM", name="Festhalle", districts=[ffm])
    target.add_capacity(center=festhalle, vaccine=comirnaty, first_day=dt.date(2021, 6, 14),
                        last_day=dt.date(2021, 7, 31), seats_first=1, seats_second=1)
    target.add_supply(center=festhalle, vaccine=comirnaty, day=dt.date(2021, 6, 1), doses=1000)
    target.register_batch(external_ref=["R-1", "R-2", "R-3"], district=ffm,
                          birth_day=dt.date(1950, 1, 1), registered_at=at(2021, 6, 1),
                          standby=[False, False, True])
    commitment = target.commit_draw(at=at(2021, 6, 7, 6), first_dose_from=dt.date(2021, 6, 14),
                                    first_dose_until=dt.date(2021, 6, 20), beacon="test beacon")
    record = target.reveal_draw(commitment.id, b"\x01" * 32, at=at(2021, 6, 7, 7))
    assert record.series
    target.add_release(center=festhalle, first_day=dt.date(2021, 6, 28),
                       last_day=dt.date(2021, 6, 28), release_at=at(2021, 6, 21, 8))
    series = target.get_series(record.series[0])
    target.issue_code(series.registrant, purpose=vaxalloc.CodePurpose.CANCEL_SERIES,
                      series=series.id, at=at(2021, 6, 8, 9))


@dataclasses.dataclass
class Case:
    """One baseline call: valid arguments, and which of them to vary."""

    args: dict
    #: None-defaulted arguments this form requires (None is bad for them).
    required: tuple = ()
    #: Only these are varied (None: every argument of the signature).
    vary: tuple | None = None


def campaign_cases() -> dict[str, list[Case]]:
    """Method name -> baseline calls, for an Engine and a Store built by build()."""
    draw_window = dict(first_dose_from=dt.date(2021, 7, 5), first_dose_until=dt.date(2021, 7, 11))
    columns = dict(external_ref=["N-1", "N-2"], district=1, birth_day=dt.date(1960, 1, 1),
                   registered_at=at(2021, 6, 2))
    release = dict(center=1, first_day=dt.date(2021, 7, 20), last_day=dt.date(2021, 7, 20),
                   release_at=at(2021, 7, 12, 8))
    return {
        "add_district": [Case(dict(code="X1", name="Nowhere"))],
        "add_vaccine": [Case(dict(code="X1", name="Vaccine X"))],
        "add_center": [Case(dict(code="X1", name="Center X", districts=[1]))],
        "add_capacity": [Case(dict(center=1, vaccine=1, first_day=dt.date(2021, 8, 1),
                                   last_day=dt.date(2021, 8, 2), seats_first=1))],
        "add_supply": [Case(dict(center=1, vaccine=1, day=dt.date(2021, 6, 2), doses=5))],
        "set_policy": [Case(dict(), vary=tuple(
                           p for p in inspect.signature(vaxalloc.Engine.set_policy).parameters
                           if p not in ("self", "policy"))),
                       Case(dict(policy=vaxalloc.Policy()), vary=("policy",))],
        "add_release": [Case(release, required=("center", "first_day", "last_day", "release_at"),
                             vary=tuple(release) + ("vaccine", "first_dose_cap")),
                        Case(dict(spec=vaxalloc.ReleaseSpec(**release)), vary=("spec",))],
        "register": [Case(dict(external_ref="N-1", district=1, birth_day=dt.date(1960, 1, 1),
                               registered_at=at(2021, 6, 2)))],
        "register_batch": [
            Case(columns, required=("external_ref", "district", "birth_day", "registered_at"),
                 vary=tuple(columns) + ("group", "channel", "vaccine_preference", "standby")),
            Case(dict(registrants=[vaxalloc.RegistrantSpec(
                external_ref="N-1", district=1, birth_day=dt.date(1960, 1, 1),
                registered_at=at(2021, 6, 2))]), vary=("registrants",))],
        "draw": [Case(dict(seed=77, at=at(2021, 6, 28, 6), **draw_window),
                      required=("seed", "at", "first_dose_from", "first_dose_until"),
                      vary=("seed", "at", "first_dose_from", "first_dose_until", "centers",
                            "series_limit")),
                 Case(dict(request=vaxalloc.DrawRequest(seed=77, at=at(2021, 6, 28, 6),
                                                        **draw_window)), vary=("request",))],
        "commit_draw": [Case(dict(at=at(2021, 6, 28, 6), beacon="round 2", **draw_window))],
        "reveal_draw": [Case(dict(commitment=1, beacon_value=b"\x02" * 32, at=at(2021, 6, 28)))],
        "abandon_draw": [Case(dict(commitment=1, reason="changed", at=at(2021, 6, 28)))],
        "get_draw_commitment": [Case(dict(id=1))],
        "draw_bundle": [Case(dict(commitment=1))],
        "draw_fairness": [Case(dict(commitment=1, buckets=4))],
        "draw_inputs": [Case(dict(commitment=1))],
        "cancel_series": [Case(dict(series=1, at=at(2021, 6, 28)))],
        "withdraw": [Case(dict(registrant=2, at=at(2021, 6, 28)))],
        "delete_registration": [Case(dict(registrant=2, at=at(2021, 6, 28)))],
        "book": [Case(dict(registrant=3, at=at(2021, 6, 21, 9)), required=("registrant", "at"),
                      vary=("registrant", "at", "mode", "center", "vaccine", "first_dose_from",
                            "first_dose_until", "confirm")),
                 Case(dict(request=vaxalloc.BookingRequest(registrant=3, at=at(2021, 6, 21, 9))),
                      vary=("request",))],
        "confirm_hold": [Case(dict(hold=1, at=at(2021, 6, 28)))],
        "decline_hold": [Case(dict(hold=1, at=at(2021, 6, 28)))],
        "expire_holds": [Case(dict(at=at(2021, 6, 28)))],
        "record_dose": [Case(dict(series=1, dose=1, outcome=vaxalloc.DoseOutcome.GIVEN,
                                  at=at(2021, 6, 28)))],
        "rebook_second_dose": [Case(dict(series=1, at=at(2021, 6, 28)))],
        "standby_list": [Case(dict(center=1, at=at(2021, 6, 28), limit=5))],
        "issue_code": [Case(dict(registrant=1, purpose=vaxalloc.CodePurpose.WITHDRAW,
                                 at=at(2021, 6, 28)))],
        "verify_code": [Case(dict(code_id=1, code="000000", at=at(2021, 6, 8, 9, 1)))],
        "get_code": [Case(dict(id=1))],
        "get_district": [Case(dict(id=1))],
        "get_vaccine": [Case(dict(id=1))],
        "get_center": [Case(dict(id=1))],
        "get_registrant": [Case(dict(id=1))],
        "get_registrant_batch": [Case(dict(ids=[1, 2]))],
        "get_series": [Case(dict(id=1))],
        "get_series_batch": [Case(dict(ids=[1]))],
        "get_draw": [Case(dict(id=1))],
        "get_release": [Case(dict(id=1))],
        "find_district": [Case(dict(code="06412"))],
        "find_vaccine": [Case(dict(code="comirnaty"))],
        "find_center": [Case(dict(code="FFM"))],
        "find_registrant": [Case(dict(external_ref="R-1"))],
        "find_registrant_batch": [Case(dict(external_refs=["R-1", "R-2"]))],
        "get_policy": [Case(dict(version=1))],
        "tier_of": [Case(dict(registrant=1))],
        "slots": [Case(dict(center=1, vaccine=1, day=DAY))],
        "doses_available_from": [Case(dict(center=1, vaccine=1, day=DAY))],
        "attendance": [Case(dict(center=1, first_day=DAY, last_day=dt.date(2021, 6, 20)))],
        "forecast_wait": [Case(dict(at=at(2021, 6, 28)))],
        # Store only
        "pending_events": [Case(dict())],
        "acknowledge_events": [Case(dict(through_id=0))],
        "read_journal": [Case(dict())],
    }


SCENARIO_OPTIONS = dict(registrants=30, districts=2, centers=2, days=14, registration_days=4)


def module_cases(tmp_path: pathlib.Path) -> dict[str, tuple]:
    """Label -> (callable, baseline calls) for what is not an Engine or Store method."""
    path = tmp_path / "open.sqlite"
    scenario = vaxalloc.make_scenario(**SCENARIO_OPTIONS)
    return {
        "Store()": (vaxalloc.Store, [Case(dict(path=path))]),
        "Store.open": (vaxalloc.Store.open, [Case(dict(path=path))]),
        "lottery_number": (vaxalloc.lottery_number, [Case(dict(seed=5, external_ref="R-1"))]),
        "siphash24": (vaxalloc.siphash24, [Case(dict(key=(1, 2), message=b"abc"))]),
        "format_seed": (vaxalloc.format_seed, [Case(dict(seed=5))]),
        "parse_seed": (vaxalloc.parse_seed, [Case(dict(text="05"))]),
        "make_scenario": (vaxalloc.make_scenario, [Case(dict(SCENARIO_OPTIONS))]),
        "DrawSeed()": (vaxalloc.DrawSeed, [Case(dict(k0=1, k1=2))]),
        "DrawSeed.from_int": (vaxalloc.DrawSeed.from_int, [Case(dict(seed=5))]),
        "DrawSeed.parse": (vaxalloc.DrawSeed.parse, [Case(dict(text="05"))]),
        "Scenario.registrants": (scenario.registrants, [Case(dict(start=0, stop=3))]),
        "Scenario.populate": (scenario.populate, [Case(dict(target=vaxalloc.Engine(),
                                                             batch_size=10))]),
    }


# ---------------------------------------------------------------------------
# Introspection: what the package offers.

MODULE_FUNCTIONS = ("lottery_number", "siphash24", "format_seed", "parse_seed", "make_scenario")


def public_methods(cls: type) -> dict[str, inspect.Signature]:
    methods = {}
    for name in dir(cls):
        if name.startswith("_"):
            continue
        static = inspect.getattr_static(cls, name)
        if isinstance(static, property) or not callable(getattr(cls, name)):
            continue
        methods[name] = inspect.signature(getattr(cls, name))
    return methods


def arguments_of(signature: inspect.Signature) -> list[inspect.Parameter]:
    return [p for p in signature.parameters.values() if p.name not in ("self", "cls")]


def public_callables() -> dict[str, inspect.Signature]:
    """Label -> signature of every public function and method (with arguments)."""
    found = {}
    for cls in (vaxalloc.Engine, vaxalloc.Store):
        for name, signature in public_methods(cls).items():
            found[f"{cls.__name__}.{name}"] = signature
    found["Store()"] = inspect.signature(vaxalloc.Store)
    for name, signature in public_methods(Scenario).items():
        found[f"Scenario.{name}"] = signature
    for name, signature in public_methods(vaxalloc.DrawSeed).items():
        found[f"DrawSeed.{name}"] = signature
    found["DrawSeed()"] = inspect.signature(vaxalloc.DrawSeed)
    exported = [name for name in vaxalloc.__all__
                if inspect.isfunction(getattr(vaxalloc, name, None))]
    assert sorted(exported) == sorted(MODULE_FUNCTIONS), "a new module function needs cases"
    for name in exported:
        found[name] = inspect.signature(getattr(vaxalloc, name))
    return {label: s for label, s in found.items() if arguments_of(s)}


def cases_by_label(tmp_path) -> dict[str, list[Case]]:
    cases = {}
    for name, calls in campaign_cases().items():
        for cls in (vaxalloc.Engine, vaxalloc.Store):
            if hasattr(cls, name):
                cases[f"{cls.__name__}.{name}"] = calls
    for label, (_, calls) in module_cases(tmp_path).items():
        cases[label] = calls
    return cases


def test_every_public_function_and_argument_is_covered(tmp_path):
    callables = public_callables()
    cases = cases_by_label(tmp_path)
    assert sorted(callables) == sorted(cases)
    missing = []
    for label, signature in callables.items():
        varied = set()
        for case in cases[label]:
            names = [p.name for p in arguments_of(signature)]
            varied |= set(names if case.vary is None else case.vary)
        for parameter in arguments_of(signature):
            if parameter.name not in varied:
                missing.append(f"{label}({parameter.name}): never varied")
            elif battery_for(label, parameter) is None:
                missing.append(
                    f"{label}({parameter.name}): no battery for {parameter.annotation!r}")
    assert not missing, "\n".join(missing)


# ---------------------------------------------------------------------------
# Running the batteries.

def _normalized(text: str) -> str:
    return re.sub(r"[_\s]+", " ", text.lower())


def names_argument(message: str, argument: str) -> bool:
    """The message names the argument: its name, with or without underscores
    and a plural s (``external_refs`` -> ``external_ref[1]``)."""
    text = _normalized(message)
    name = _normalized(argument)
    candidates = {name, name.rstrip("s")} if len(name) > 3 else {name}
    return any(re.search(rf"\b{re.escape(c)}", text) for c in candidates)


@dataclasses.dataclass
class Tally:
    tried: int = 0  #: bad calls (the batteries)
    not_own_type: int = 0  #: raised something other than a vaxalloc.Error
    opaque: int = 0  #: ... whose message does not even name the argument
    unnamed: int = 0  #: a vaxalloc.Error not naming the function and the argument
    accepted: int = 0  #: a bad value the call took
    probes: int = 0  #: probe calls (may be accepted)
    probes_not_own_type: int = 0
    problems: list = dataclasses.field(default_factory=list)

    @property
    def unclear(self) -> int:
        return self.not_own_type + self.unnamed

    def add(self, other: "Tally") -> None:
        for field in dataclasses.fields(self):
            if field.name != "problems":
                setattr(self, field.name, getattr(self, field.name) + getattr(other, field.name))
        self.problems += other.problems


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def run_battery(label: str, function, signature: inspect.Signature, cases: list[Case],
                on_result=None, state=None) -> Tally:
    """Calls `function` with each bad value in each argument of each case;
    state() (if given) must not change across a refused call."""
    tally = Tally()
    for case in cases:
        parameters = {p.name: p for p in arguments_of(signature)}
        names = list(parameters) if case.vary is None else list(case.vary)
        for name in names:
            parameter = parameters[name]
            battery = battery_for(label, parameter)
            optional = parameter.default is None and name not in case.required
            bad = [v for v in battery if not (v is None and optional)]
            probes = PROBES_OF_BATTERY.get(id(battery), [])
            for value, must_refuse in [(v, True) for v in bad] + [(v, False) for v in probes]:
                args = dict(case.args)
                args[name] = value
                tally.tried += must_refuse
                tally.probes += not must_refuse
                call = f"{label}({name}={_short(value)})"
                before = state() if state is not None else None
                try:
                    result = function(**args)
                except vaxalloc.Error as error:
                    message = str(error)
                    if state is not None and state() != before:
                        tally.problems.append(f"{call}: refused but changed the campaign")
                    if must_refuse and not (label in message and names_argument(message, name)):
                        tally.unnamed += 1
                        tally.problems.append(f"{call}: {type(error).__name__}: {message}")
                except Exception as error:  # noqa: BLE001 - what the test looks for
                    if must_refuse:
                        tally.not_own_type += 1
                        # pybind11's "incompatible function arguments" lists every
                        # argument: that names none.
                        tally.opaque += ("incompatible function arguments" in str(error)
                                         or not names_argument(str(error), name))
                    else:
                        tally.probes_not_own_type += 1
                    tally.problems.append(f"{call}: {type(error).__name__}: {error}")
                else:
                    if on_result is not None:
                        on_result(result)
                    if must_refuse:
                        tally.accepted += 1
                        tally.problems.append(f"{call}: accepted")
    return tally


def report(what: str, tally: Tally) -> str:
    return (f"{what}: {tally.tried} bad calls tried, {tally.unclear} unclear: "
            f"{tally.not_own_type} not the package's exception ({tally.opaque} of them not even "
            f"naming the argument), {tally.unnamed} the package's but not naming function and "
            f"argument; {tally.accepted} accepted; {tally.probes} probes, "
            f"{tally.probes_not_own_type} of them refused with another exception")


def assert_clean(what: str, tally: Tally) -> None:
    print("\n" + report(what, tally))
    log = os.environ.get("VAXALLOC_BAD_ARGUMENTS_LOG")  # every problem, for a report
    if log:
        with open(log, "a", encoding="utf-8", errors="backslashreplace") as out:
            out.write(report(what, tally) + "\n" + "".join(f"  {p}\n" for p in tally.problems))
    problems = tally.problems
    shown = "\n".join(problems[:80]) + (f"\n... {len(problems) - 80} more" if len(problems) > 80
                                        else "")
    assert not problems, f"{report(what, tally)}\n{shown}"


@pytest.fixture(params=["engine", "store"])
def built(request, tmp_path):
    if request.param == "engine":
        target = vaxalloc.Engine()
        build(target)
        yield target
    else:
        with vaxalloc.Store.open(tmp_path / "bad-arguments.sqlite") as store:
            build(store)
            yield store


def test_campaign_methods_refuse_bad_arguments(built):
    cls = type(built)
    callables = public_callables()
    journal = built.journal_seq if isinstance(built, vaxalloc.Store) else None
    def state():
        return (built.revision, built.journal_seq if journal is not None else None)

    tally = Tally()
    for name, cases in campaign_cases().items():
        if not hasattr(built, name):
            continue
        label = f"{cls.__name__}.{name}"
        tally.add(run_battery(label, getattr(built, name), callables[label], cases, state=state))
    assert built.check_invariants().ok
    assert_clean(cls.__name__, tally)


def test_module_functions_refuse_bad_arguments(tmp_path, monkeypatch):
    # A path the bindings let through would create files: keep them here.
    monkeypatch.chdir(tmp_path)
    callables = public_callables()
    opened = []

    def close_stores(result):
        if isinstance(result, vaxalloc.Store):
            opened.append(result)
            result.close()

    tally = Tally()
    for label, (function, cases) in module_cases(tmp_path).items():
        tally.add(run_battery(label, function, callables[label], cases, on_result=close_stores))
    assert_clean("module, Store(), Scenario, DrawSeed", tally)
    assert sorted(os.listdir(tmp_path)) == ["open.sqlite"] or not opened


# ---------------------------------------------------------------------------
# The tester's cases, spelled out.

def test_nul_bytes_are_refused_naming_the_argument(built):
    before = (built.revision, built.district_count)
    with pytest.raises(vaxalloc.InvalidArgumentError,
                       match=rf"^{type(built).__name__}.add_district: district code "
                       r"'06499\\x00evil' contains a NUL byte$"):
        built.add_district(code="06499\x00evil", name="Evil")
    with pytest.raises(vaxalloc.InvalidArgumentError, match="name .* contains a NUL byte"):
        built.add_district(code="06499", name="Evil\x00")
    with pytest.raises(vaxalloc.InvalidArgumentError, match="external_ref .*NUL"):
        built.register(external_ref="R-9\x00x", district=1, birth_day=dt.date(1950, 1, 1),
                       registered_at=at(2021, 6, 1))
    with pytest.raises(vaxalloc.InvalidArgumentError, match=r"external_refs\[1\] .*NUL"):
        built.find_registrant_batch(["R-1", "R-1\x00"])
    with pytest.raises(vaxalloc.InvalidArgumentError, match="beacon .*NUL"):
        built.commit_draw(at=at(2021, 6, 28), first_dose_from=DAY, first_dose_until=DAY,
                          beacon="round\x001")
    with pytest.raises(vaxalloc.InvalidArgumentError, match="policy time_zone .*NUL"):
        built.set_policy(time_zone="UTC\x00")
    assert (built.revision, built.district_count) == before


def test_store_path_with_nul_opens_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for path in ["zz\x00evil.sqlite", b"zz\x00evil.sqlite", pathlib.Path("zz\x00evil.sqlite")]:
        with pytest.raises(vaxalloc.InvalidArgumentError,
                           match=r"Store.open: path .* contains a NUL byte"):
            vaxalloc.Store.open(path)
    with pytest.raises(vaxalloc.InvalidArgumentError, match=r"Store\(\): path .*NUL"):
        vaxalloc.Store("zz\x00evil.sqlite")
    with pytest.raises(vaxalloc.InvalidArgumentError, match="path .* not valid UTF-8|encod"):
        vaxalloc.Store.open("\ud800.sqlite")
    assert os.listdir(tmp_path) == []
    # Bytes paths and undecodable names (surrogateescape) still work.
    raw = os.fsencode(tmp_path) + b"/b\xffytes.sqlite"
    with vaxalloc.Store.open(raw) as store:
        assert store.path == os.fsdecode(raw) and "\udcff" in store.path
    with vaxalloc.Store.open(os.fsdecode(raw), create_if_missing=False) as store:
        assert store.district_count == 0
    assert sorted(os.listdir(tmp_path))[0] == "b\udcffytes.sqlite"


def test_wrong_types_raise_argument_type_error():
    assert issubclass(ArgumentTypeError, vaxalloc.InvalidArgumentError)
    assert issubclass(ArgumentTypeError, TypeError)
    assert issubclass(ArgumentTypeError, ValueError)
    engine = vaxalloc.Engine()
    with pytest.raises(ArgumentTypeError) as info:
        engine.add_center(code="c", name="C", districts=None)
    error = info.value
    assert error.message == (
        "Engine.add_center: center districts must be a sequence of ints, not None")
    assert (error.function, error.argument) == ("Engine.add_center", "center districts")
    assert error.code is vaxalloc.StatusCode.INVALID_ARGUMENT
    copy = pickle.loads(pickle.dumps(error))
    assert (type(copy), copy.message, copy.function, copy.argument) == (
        ArgumentTypeError, error.message, error.function, error.argument)
    # The core's own errors carry the core's message and no function.
    with pytest.raises(vaxalloc.InvalidArgumentError) as info:
        engine.add_district(code="", name="x")
    assert info.value.message == "district code is empty"
    assert info.value.function is None and info.value.argument is None


def test_out_of_range_and_non_finite_values():
    engine = vaxalloc.Engine()
    with pytest.raises(vaxalloc.OutOfRangeError,
                       match=r"^Engine.get_district: district id 18446744073709551616 is outside"):
        engine.get_district(2**64)
    with pytest.raises(vaxalloc.OutOfRangeError, match="^Engine.get_registrant_batch: "
                       r"registrant ids\[1\] -18446744073709551616 is outside"):
        engine.get_registrant_batch([1, -2**64])
    with pytest.raises(vaxalloc.InvalidArgumentError,
                       match="^Engine.set_policy: policy hold nan is not a finite number"):
        engine.set_policy(hold=NAN)
    with pytest.raises(vaxalloc.OutOfRangeError, match="^Engine.set_policy: policy hold"):
        engine.set_policy(hold=dt.timedelta.max)
    with pytest.raises(vaxalloc.InvalidArgumentError,
                       match=r"^Engine.add_district: district code '\\ud800' is not valid text: "
                       "a lone surrogate"):
        engine.add_district(code="\ud800", name="x")
    with pytest.raises(vaxalloc.InvalidArgumentError,
                       match=r"^Policy\(\): policy hold inf is not a finite"):
        vaxalloc.Policy(hold=INF)
    assert engine.revision == 0


def test_a_draw_refuses_a_center_given_twice():
    engine = vaxalloc.Engine()
    build(engine)
    engine.add_center(code="OF", name="Offenbach", districts=[2])
    revision = engine.revision
    with pytest.raises(vaxalloc.InvalidArgumentError,
                       match="^draw: center id 1 is listed twice") as info:
        engine.draw(seed=99, at=at(2021, 6, 28, 6), first_dose_from=dt.date(2021, 7, 5),
                    first_dose_until=dt.date(2021, 7, 11), centers=[1, 2] + [1] * 100_000)
    assert info.value.code is vaxalloc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(vaxalloc.InvalidArgumentError, match="center id 2 is listed twice"):
        engine.commit_draw(at=at(2021, 6, 28, 6), first_dose_from=dt.date(2021, 7, 5),
                           first_dose_until=dt.date(2021, 7, 11), beacon="b", centers=[2, 2])
    assert engine.revision == revision
    record = engine.draw(seed=99, at=at(2021, 6, 28, 6), first_dose_from=dt.date(2021, 7, 5),
                         first_dose_until=dt.date(2021, 7, 11), centers=[2, 1])
    assert record.request.centers == (2, 1)


def test_a_callback_s_own_bad_call_keeps_its_name():
    scenario = vaxalloc.make_scenario(**SCENARIO_OPTIONS)
    engine = vaxalloc.Engine()
    calls = []

    def progress(stage, done, total):
        calls.append(stage)
        if len(calls) == 1:
            engine.get_district("one")

    with pytest.raises(ArgumentTypeError) as info:
        scenario.populate(engine, progress=progress)
    assert info.value.message == "Engine.get_district: district id must be an int, not str"
    assert engine.registrant_count == SCENARIO_OPTIONS["registrants"]
