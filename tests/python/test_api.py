"""The package surface: version, enums and defaults agree with the C++ core,
the type stubs list what _core has, and help() explains the API."""

from __future__ import annotations

import ast
import dataclasses
import datetime as dt
import inspect
import pathlib
import pydoc
import re

import pytest

import vaxalloc
from vaxalloc import _core
from conftest import REPO

PACKAGE = pathlib.Path(vaxalloc.__file__).parent


def test_version_is_the_library_version():
    header = (REPO / "include" / "vaxalloc" / "version.h").read_text()
    expected = re.search(r'#define VAXALLOC_VERSION_STRING "([^"]+)"', header).group(1)
    assert vaxalloc.__version__ == expected
    assert vaxalloc.__version__ == _core.VERSION_STRING  # run time == compile time


ENUMS = ["PriorityGroup", "Channel", "RegistrantStatus", "SeriesStatus", "ResidenceRule",
         "Durability", "Invariant", "Weekday", "EventKind", "DoseState", "SeriesOrigin",
         "BookingMode", "DoseOutcome", "CodePurpose", "CodeState", "CodeOutcome", "CommitmentStatus"]


@pytest.mark.parametrize("name", ENUMS)
def test_python_enums_match_the_core(name):
    cls = getattr(vaxalloc, name)
    assert {n: int(m) for n, m in cls.__members__.items()} == _core.enum_values()[name]


def test_every_enum_of_the_core_is_bound():
    assert sorted(_core.enum_values()) == sorted(ENUMS)


def test_invariant_labels_come_from_the_core():
    labels = [invariant.label for invariant in vaxalloc.Invariant]
    assert len(set(labels)) == len(labels)
    assert all(labels)


def signature_defaults(function):
    return {name: p.default for name, p in inspect.signature(function).parameters.items()
            if p.default is not inspect.Parameter.empty}


def field_defaults(cls):
    return {f.name: f.default for f in dataclasses.fields(cls)
            if f.default is not dataclasses.MISSING}


def test_defaults_match_the_core():
    core = _core.defaults()
    vaccine = {k: v for k, v in core["VaccineSpec"].items() if k not in ("code", "name")}
    assert field_defaults(vaxalloc.VaccineSpec) == vaccine
    assert signature_defaults(vaxalloc.Engine.add_vaccine) == vaccine
    block = {k: v for k, v in core["CapacityBlock"].items() if k not in ("center", "vaccine")}
    assert field_defaults(vaxalloc.CapacityBlock) == block
    assert signature_defaults(vaxalloc.Engine.add_capacity) == block
    rule = core["TierRule"]
    assert field_defaults(vaxalloc.TierRule) == rule
    assert field_defaults(vaxalloc.ReserveCategory) == core["ReserveCategory"]
    policy = core["Policy"]
    assert vaxalloc.Policy() == vaxalloc._convert.policy_from(policy)
    policy_fields = field_defaults(vaxalloc.Policy)
    assert policy_fields["time_zone"] == policy["time_zone"] == "UTC"
    assert policy_fields["hold"] == dt.timedelta(microseconds=policy["hold_micros"])
    assert policy_fields["short_notice_days"] == policy["short_notice_days"]
    assert policy_fields["standby_hold"] == dt.timedelta(microseconds=policy["standby_hold_micros"])
    assert policy_fields["standby_hold"] == dt.timedelta(minutes=30)
    assert policy_fields["code_digits"] == policy["code_digits"] == 6
    assert policy_fields["code_lifetime"] == dt.timedelta(
        microseconds=policy["code_lifetime_micros"]) == dt.timedelta(minutes=15)
    assert policy_fields["code_attempts"] == policy["code_attempts"] == 3
    for name in ("draw_lead_days_online", "draw_lead_days_phone", "overbook_permille"):
        assert policy_fields[name] == policy[name] == 0, name
    assert signature_defaults(vaxalloc.Engine.set_policy) == {
        "policy": None, **{name: policy_fields[name] for name in (
            "tier_rules", "reserves", "residence", "neighbours", "time_zone", "hold",
            "short_notice_days", "standby_hold", "code_digits", "code_lifetime",
            "code_attempts", "draw_lead_days_online", "draw_lead_days_phone",
            "overbook_permille")}}
    # Every field of Policy can be set by keyword.
    assert set(signature_defaults(vaxalloc.Engine.set_policy)) - {"policy"} == {
        f.name for f in dataclasses.fields(vaxalloc.Policy)}
    release = core["ReleaseSpec"]
    assert field_defaults(vaxalloc.ReleaseSpec) == release
    assert {k: v for k, v in signature_defaults(vaxalloc.Engine.add_release).items()
            if v is not None} == release
    booking = dict(core["BookingRequest"])
    # None stands for the core's unbounded window (its first and last day).
    assert (booking.pop("first_dose_from"), booking.pop("first_dose_until")) == (
        dt.date(1900, 1, 1).toordinal(), dt.date(2200, 12, 31).toordinal())
    booking_fields = field_defaults(vaxalloc.BookingRequest)
    assert booking_fields.pop("first_dose_from") is None
    assert booking_fields.pop("first_dose_until") is None
    assert booking_fields == booking
    assert {k: v for k, v in signature_defaults(vaxalloc.Engine.book).items()
            if v is not None} == booking
    registrant = core["RegistrantSpec"]
    assert field_defaults(vaxalloc.RegistrantSpec) == registrant
    assert registrant["standby"] is False
    register = signature_defaults(vaxalloc.Engine.register)
    assert register == registrant
    assert signature_defaults(vaxalloc.Engine.issue_code) == {"series": None}
    draw = core["DrawRequest"]
    assert field_defaults(vaxalloc.DrawRequest) == draw
    store = core["StoreOptions"]
    opened = signature_defaults(vaxalloc.Store.open)
    assert opened["durability"] == store["durability"]
    assert opened["busy_timeout"].total_seconds() * 1e6 == store["busy_timeout_micros"]
    assert opened["create_if_missing"] == store["create_if_missing"]
    assert signature_defaults(vaxalloc.Store.__init__) == opened
    scenario = vaxalloc._convert.scenario_options_from(core["ScenarioOptions"])
    assert vaxalloc.ScenarioOptions() == scenario
    assert signature_defaults(vaxalloc.make_scenario) == dataclasses.asdict(scenario)
    populate = signature_defaults(vaxalloc.Scenario.populate)
    assert populate["batch_size"] == core["PopulateOptions"]["batch_size"]


def stub_names(tree):
    """Top-level names and, per class, method names of a .pyi module."""
    names, classes = set(), {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.AnnAssign):
            names.add(node.target.id)
        if isinstance(node, ast.ClassDef):
            members = {n.name for n in node.body if isinstance(n, ast.FunctionDef)}
            for base in node.bases:
                members |= classes.get(base.id, set())
            classes[node.name] = members
    return names, classes


def test_core_stub_lists_what_the_module_has():
    names, classes = stub_names(ast.parse((PACKAGE / "_core.pyi").read_text()))
    public = {n for n in dir(_core) if not n.startswith("__")}
    assert public == names - {"_Campaign"}
    for cls_name in ("Engine", "Store", "Scenario"):
        cls = getattr(_core, cls_name)
        methods = {n for n in dir(cls) if not n.startswith("_")} | {"__init__"}
        assert methods - {"__init__"} == classes[cls_name] - {"__init__"}, cls_name


def test_package_is_typed():
    assert (PACKAGE / "py.typed").exists()


def test_all_names_exist():
    for name in vaxalloc.__all__:
        assert hasattr(vaxalloc, name), name


def test_help_explains_the_api():
    text = pydoc.render_doc(vaxalloc.Store, renderer=pydoc.plaintext)
    for needle in ["SQLite", "transaction", "register_batch", "parallel columns", "draw(",
                   "lottery order", "close()", "with"]:
        assert needle in text, needle
    engine = pydoc.render_doc(vaxalloc.Engine, renderer=pydoc.plaintext)
    assert "GIL" in engine and "aware" in engine
    module = pydoc.render_doc(vaxalloc, renderer=pydoc.plaintext)
    assert "naive" in module
    for name in vaxalloc.__all__:
        obj = getattr(vaxalloc, name)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            assert obj.__doc__, name
    for name, member in inspect.getmembers(vaxalloc.Engine):
        if not name.startswith("_") and inspect.isfunction(member):
            assert member.__doc__ or name.startswith(("get_", "find_")), name
