"""The policy file: the example validates, every kind of mistake is reported with its YAML path."""
from __future__ import annotations

import re
from datetime import time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import get_args

import pytest
import yaml
from pydantic import BaseModel

from app.errors import ConfigError
from app.policy import (
    ExceptionKind,
    Policy,
    PolicyError,
    PolicyFileInvalid,
    RequiredField,
    Weekday,
    load_policy,
    parse_policy,
    policy_from_data,
    validate_policy_text,
)

EXAMPLE = Path(__file__).resolve().parents[1] / "policy.example.yaml"


def example_text() -> str:
    return EXAMPLE.read_text(encoding="utf-8")


def errors_of(text: str) -> dict[str, str]:
    return {error.path: error.message for error in validate_policy_text(text)}


def edited(*replacements: tuple[str, str]) -> str:
    text = example_text()
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


def example_data() -> dict:
    return yaml.safe_load(example_text())


# --- the example --------------------------------------------------------------------------------------

def test_example_policy_is_valid_and_typed() -> None:
    policy = load_policy(EXAMPLE)
    assert set(policy.approver_roles) == {"finance_approver", "controller", "cfo"}
    assert policy.approval_rules.payment_terms.standard == ("Net 30",)
    assert [level.above_percent for level in policy.approval_rules.discount.levels] == [Decimal(15), Decimal(30)]
    assert [level.role for level in policy.approval_rules.discount.levels] == ["finance_approver", "cfo"]
    assert policy.approval_rules.credit_limit.threshold == Decimal("50000.00")
    assert policy.billing_gate.eligible_values == ("Delivered", "Accepted", "Milestone Approved")
    assert RequiredField.BILL_TO_ADDRESS in policy.billing_gate.required_fields
    assert policy.business_hours.end == time(17, 30)
    assert policy.business_hours.weekdays == (Weekday.MON, Weekday.TUE, Weekday.WED, Weekday.THU, Weekday.FRI)
    assert policy.zone.key == "America/New_York"


def test_every_key_of_the_policy_is_shown_and_explained_in_the_example() -> None:
    """Each key the models accept appears in the example with a comment on its line or the line above."""
    lines = example_text().splitlines()
    for key in sorted(_schema_keys(Policy)):
        explained = [
            number for number, line in enumerate(lines)
            if re.match(rf"\s*(- |# )?{key}:", line) and ("#" in line or lines[number - 1].strip().startswith("#"))
        ]
        assert explained, f"key {key!r} is missing from policy.example.yaml or has no comment"


def _schema_keys(model: type[BaseModel]) -> set[str]:
    keys: set[str] = set()
    for name, field in model.model_fields.items():
        keys.add(name)
        for nested in _models_in(field.annotation):
            keys |= _schema_keys(nested)
    return keys


def _models_in(annotation: object) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [model for arg in get_args(annotation) for model in _models_in(arg)]


def test_money_is_exact_decimal_and_numbers_are_never_floats() -> None:
    policy = policy_from_data_text(edited(("threshold: 50000.00", "threshold: 12345678901.23")))
    assert policy.approval_rules.credit_limit.threshold == Decimal("12345678901.23")
    assert isinstance(policy.approval_rules.discount.levels[0].above_percent, Decimal)


def policy_from_data_text(text: str) -> Policy:
    policy, problems = parse_policy(text)
    assert problems == []
    assert policy is not None
    return policy


def test_unquoted_times_and_realm_ids_keep_their_text() -> None:
    """YAML 1.1 reads 17:30 as the integer 1050 and numbers lose leading zeros; the policy loader does not."""
    policy = policy_from_data_text(edited(('end: "17:30"', "end: 17:30"),
                                          ('default_realm_id: "9341452876543210"', "default_realm_id: 0123456789")))
    assert policy.business_hours.end == time(17, 30)
    assert policy.mappings.entities.default_realm_id == "0123456789"


# --- lookups used by the rules ------------------------------------------------------------------------

def test_mapping_lookups_ignore_case_and_spaces_and_prefer_product_code() -> None:
    mappings = load_policy(EXAMPLE).mappings
    assert mappings.quickbooks_item_for(product_name="consulting   services", product_code=None) == "Consulting"
    assert mappings.quickbooks_item_for(product_name="Renamed thing", product_code="sup-prem") == "Support - Premium"
    assert mappings.quickbooks_item_for(product_name="Widget X", product_code="W-1") is None
    assert mappings.quickbooks_term_for("net 60") == "Net 60"
    assert mappings.quickbooks_term_for(None) is None
    assert mappings.realm_for("public sector") == "9341452876549999"
    assert mappings.realm_for("Enterprise") == "9341452876543210"


def test_sla_per_kind_falls_back_to_default() -> None:
    policy = policy_from_data_text(edited(("  vendor_error: 4 ", "  # vendor_error: 4 ")))
    assert policy.sla_for(ExceptionKind.MISSING_FIELD) == timedelta(hours=8)
    assert policy.sla_for(ExceptionKind.VENDOR_ERROR) == timedelta(hours=24)


def test_root_causes_suggested_first_and_digest_channel_override() -> None:
    policy = policy_from_data_text(edited(("  # channel: C05OTHERCHAN", "  channel: C05OTHERCHAN")))
    first = policy.root_causes_for(ExceptionKind.UNMAPPED_PRODUCT)
    assert first[0].key == "new_product"
    assert len(first) == len(policy.root_causes)
    assert policy.digest_channel == "C05OTHERCHAN"
    assert load_policy(EXAMPLE).digest_channel == "C05D1GESTFIN"


def test_day_ranges_and_lists() -> None:
    policy = policy_from_data_text(edited(("  days: mon-fri", "  days: [Monday, wed-thu, sun]")))
    assert policy.digest.days == (Weekday.MON, Weekday.WED, Weekday.THU, Weekday.SUN)


# --- errors, each with its path -----------------------------------------------------------------------

def test_unknown_role_names_the_path_and_the_known_roles() -> None:
    errors = errors_of(edited(("        role: cfo\n", "        role: cfoo\n")))
    assert errors == {
        "approval_rules.discount.levels[1].role": "unknown role 'cfoo' (known: cfo, controller, finance_approver)"
    }


def test_many_errors_are_reported_at_once_each_with_its_path() -> None:
    errors = errors_of(edited(
        ("timezone: America/New_York", "timezone: Mars/Olympus"),
        ("  approvals: C05APPR0VAL", "  approvals: billing"),
        ("    users: [U05CARLCTL1]", "    users: []"),
        ("threshold: 50000.00", "threshold: 50,000"),
        ("    - owner_email", "    - owner_mail"),
        ("  minute: 30", "  minute: 30\n  colour: blue"),
        ("  - key: other", "  - key: missing_po"),
        ("escalate_role: controller", "escalate_role: boss"),
        ('default_realm_id: "9341452876543210"', "default_realm_id: acme"),
    ))
    assert set(errors) == {
        "timezone", "channels.approvals", "approver_roles.controller", "approval_rules.credit_limit.threshold",
        "billing_gate.required_fields[7]", "digest.colour", "root_causes[6].key", "reminders.escalate_role",
        "mappings.entities.default_realm_id",
    }
    assert "unknown time zone 'Mars/Olympus'" in errors["timezone"]
    assert "'billing' is not a Slack channel id" in errors["channels.approvals"]
    assert "at least one of 'users' or 'usergroup'" in errors["approver_roles.controller"]
    assert "'50,000' is not a number" in errors["approval_rules.credit_limit.threshold"]
    assert "'owner_mail' is not allowed" in errors["billing_gate.required_fields[7]"]
    assert "'bill_to_address'" in errors["billing_gate.required_fields[7]"]
    assert errors["digest.colour"] == "unknown key (allowed here: hour, minute, days, channel)"
    assert errors["root_causes[6].key"] == "duplicate key 'missing_po' (already used by root_causes[1])"
    assert errors["reminders.escalate_role"].startswith("unknown role 'boss'")


def test_discount_levels_must_increase() -> None:
    errors = errors_of(edited(("above_percent: 30", "above_percent: 15")))
    assert list(errors) == ["approval_rules.discount.levels[1].above_percent"]
    assert "higher than the level before (15%)" in errors["approval_rules.discount.levels[1].above_percent"]


@pytest.mark.parametrize(("old", "new", "path", "words"), [
    ('end: "17:30"', 'end: "08:00"', "business_hours.end", "later than start"),
    ('start: "09:00"', 'start: "9am"', "business_hours.start", "HH:MM"),
    ("  days: mon-fri", "  days: fri-mon", "digest.days", "runs backwards"),
    ("  hour: 8 ", "  hour: 25 ", "digest.hour", "less than or equal to 23"),
    ("  default: 24", "  default: 0", "sla_hours.default", "greater than 0"),
    ("  vendor_error: 4 ", "  vendor_errors: 4 ", "sla_hours.vendor_errors", "unknown key"),
    ("    suggested_for: [vendor_error]", "    suggested_for: [outage]", "root_causes[5].suggested_for[0]", "'outage'"),
    ("      - above_percent: 15 ", "      - above_percent: 150 ", "approval_rules.discount.levels[0].above_percent",
     "less than 100"),
    ("    usergroup: S05FINTEAM1", "    usergroup: finance", "approver_roles.finance_approver.usergroup", "user-group"),
    ("users: [U05ANNFIN01, U05BOBFIN02]", "users: [U05ANNFIN01, ann]", "approver_roles.finance_approver.users[1]",
     "Slack user id"),
    ("eligible_values: [Delivered, Accepted, Milestone Approved]", "eligible_values: []",
     "billing_gate.eligible_values", "at least 1"),
    ("    Net 15: Net 15", "    net  30: Net 30", "mappings.payment_terms", "same name"),
    ('standard: ["Net 30"]', 'standard: ["Net 45"]', "approval_rules.payment_terms.standard[0]",
     "missing from mappings.payment_terms"),
    ("  approvals: C05APPR0VAL ", "  approvals: #approvals ", "channels.approvals", "is empty"),
])
def test_each_mistake_is_named_at_its_path(old: str, new: str, path: str, words: str) -> None:
    errors = errors_of(edited((old, new)))
    assert path in errors, errors
    assert words in errors[path]


def test_wrong_shapes_are_named_in_plain_words() -> None:
    errors = errors_of(edited(("    users: [U05CARLCTL1]", "    users: U05CARLCTL1"),
                              ("  digest: C05D1GESTFIN ", "  digest: [C05D1GESTFIN] ")))
    assert errors["approver_roles.controller.users"].startswith("should be a list")
    assert errors["channels.digest"] == "should be a single value, not list ['C05D1GESTFIN']"


def test_a_list_with_bad_items_is_not_also_called_too_short() -> None:
    errors = errors_of(edited(("      - above_percent: 15 ", "      - 15\n      - above_percent: 16 ")))
    assert "approval_rules.discount.levels[0]" in errors
    assert errors["approval_rules.discount.levels[0]"].startswith("should be a mapping")
    assert "approval_rules.discount.levels" not in errors
    empty = errors_of(edited(("eligible_values: [Delivered, Accepted, Milestone Approved]", "eligible_values: []")))
    assert empty == {"billing_gate.eligible_values": "needs at least 1 item"}


def test_yaml_words_for_booleans_stay_names() -> None:
    """YAML 1.1 reads On/No/yes as booleans; as mapping keys and values they must stay the names written."""
    policy = policy_from_data_text(edited(("    Net 15: Net 15", "    On: Net 15\n    No: Yes")))
    assert policy.mappings.quickbooks_term_for("on") == "Net 15"
    assert policy.mappings.quickbooks_term_for("No") == "Yes"


def test_single_digit_hour_and_empty_time() -> None:
    assert policy_from_data_text(edited(('start: "09:00"', "start: 9:00"))).business_hours.start == time(9, 0)
    errors = errors_of(edited(('start: "09:00"', "start:")))
    assert errors == {"business_hours.start": "is empty: give a time of day written HH:MM (e.g. '09:00')"}


def test_unhashable_yaml_key_is_a_syntax_error_not_a_crash() -> None:
    [error] = validate_policy_text("? [a, b]\n: 1\n")
    assert error.path == "line 1, column 3"
    assert "unhashable key" in error.message


def test_missing_sections_are_required() -> None:
    errors = errors_of("timezone: UTC\n")
    assert errors["channels"] == "is required"
    assert errors["approver_roles"] == "is required"
    assert errors["mappings"] == "is required"


def test_yaml_syntax_and_duplicate_keys_report_line_and_column() -> None:
    assert validate_policy_text("timezone: UTC\nchannels: [C1\nx: 1\n")[0].path.startswith("line 3, column")
    duplicate = validate_policy_text("timezone: UTC\ntimezone: Europe/Paris\n")
    assert duplicate == [PolicyError("line 2, column 1", "YAML syntax error: duplicate key 'timezone' "
                                                         "(the same key twice in one section)")]


@pytest.mark.parametrize(("text", "found"), [("", "empty"), ("- a\n- b\n", "a list"), ("just text", "a str")])
def test_top_level_must_be_a_mapping(text: str, found: str) -> None:
    [error] = validate_policy_text(text)
    assert error.path == "(top level)"
    assert error.message.endswith(found)


def test_load_policy_raises_config_error_naming_the_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_policy(tmp_path / "absent.yaml")
    broken = tmp_path / "policy.yaml"
    broken.write_text(edited(("        role: cfo\n", "        role: cfoo\n")), encoding="utf-8")
    with pytest.raises(PolicyFileInvalid) as raised:
        load_policy(broken)
    assert str(broken) in str(raised.value)
    assert raised.value.problems[0].path == "approval_rules.discount.levels[1].role"


def test_policy_from_plain_data_checks_roles_too() -> None:
    data = example_data()
    data["approval_rules"]["credit_limit"]["role"] = "ceo"
    policy, problems = policy_from_data(data)
    assert policy is None
    assert [problem.path for problem in problems] == ["approval_rules.credit_limit.role"]


def test_direct_model_validation_still_rejects_unknown_roles() -> None:
    """Without the loader's context the model's own cross-check catches the reference."""
    data = example_data()
    data["reminders"]["escalate_role"] = "nobody"
    with pytest.raises(ValueError, match="unknown role 'nobody'"):
        Policy.model_validate(data)


def test_policy_is_immutable() -> None:
    policy = load_policy(EXAMPLE)
    with pytest.raises(ValueError):
        policy.timezone = "UTC"  # type: ignore[misc]
