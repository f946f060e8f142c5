"""The finance policy as typed, immutable models. Load it with `app.policy.load_policy`, not by hand."""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from app.policy.controls import ApprovalControls, LevelOrder
from app.policy.corrections import CorrectionsPolicy
from app.policy.fields import (
    ClockTime,
    Hours,
    HoursOrZero,
    Money,
    NonEmptyText,
    Percent,
    RealmId,
    RoleName,
    SalesforceFieldName,
    SlackChannelId,
    SlackUsergroupId,
    SlackUserId,
    Slug,
    TimeZoneName,
    Weekdays,
    policy_error,
)
from app.policy.metrics import MetricsPolicy
from app.policy.posting import ExceptionFeed, WeeklyReview
from app.policy.rollout import InvoiceNumbering, MilestonePolicy, PilotScope, RolloutMode, ShadowReportPolicy
from app.policy.tax import CurrencyPolicy, TaxPolicy
from app.policy.vocabulary import ExceptionKind, RequiredField, Weekday

WEEKDAYS = (Weekday.MON, Weekday.TUE, Weekday.WED, Weekday.THU, Weekday.FRI)


def normalize_name(name: str) -> str:
    """How mapping keys are compared: case and runs of spaces do not matter."""
    return " ".join(name.split()).casefold()


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BusinessHours(_Strict):
    start: ClockTime
    end: ClockTime
    weekdays: Weekdays = WEEKDAYS

    @model_validator(mode="after")
    def _start_before_end(self) -> BusinessHours:
        if self.start >= self.end:
            raise policy_error(f"must be later than start ({self.start:%H:%M})", at=".end")
        return self


class Channels(_Strict):
    approvals: SlackChannelId
    exceptions: SlackChannelId
    digest: SlackChannelId


class ApproverRole(_Strict):
    label: NonEmptyText | None = None
    users: tuple[SlackUserId, ...] = ()
    usergroup: SlackUsergroupId | None = None

    @model_validator(mode="after")
    def _has_someone(self) -> ApproverRole:
        if not self.users and self.usergroup is None:
            raise policy_error("give at least one of 'users' or 'usergroup', or nobody can approve")
        return self


class _Levels(_Strict):
    """`role` decides first; `also` lists further levels (roles), decided in `order` (sequence or parallel)."""

    also: tuple[RoleName, ...] = ()
    order: LevelOrder = LevelOrder.SEQUENCE

    @field_validator("order")
    @classmethod
    def _not_highest(cls, order: LevelOrder) -> LevelOrder:
        if order == LevelOrder.HIGHEST:
            raise policy_error("'highest' is for discount levels only: use sequence or parallel")
        return order


class RoleRule(_Levels):
    role: RoleName


class PaymentTermsRule(_Levels):
    standard: tuple[NonEmptyText, ...] = Field(min_length=1)
    role: RoleName
    max_days: HoursOrZero | None = None


class DiscountLevel(_Strict):
    above_percent: Percent
    role: RoleName


class DiscountRule(_Strict):
    levels: tuple[DiscountLevel, ...] = Field(min_length=1)
    order: LevelOrder = LevelOrder.HIGHEST
    """highest: the highest level crossed decides alone; sequence / parallel: every level crossed decides."""

    @field_validator("levels")
    @classmethod
    def _increasing(cls, levels: tuple[DiscountLevel, ...]) -> tuple[DiscountLevel, ...]:
        for index in range(1, len(levels)):
            if levels[index].above_percent <= levels[index - 1].above_percent:
                raise policy_error(
                    f"must be higher than the level before ({levels[index - 1].above_percent}%): "
                    "list levels from the smallest discount to the largest", at=f"[{index}].above_percent")
        return levels


class CreditLimitRule(_Levels):
    threshold: Money
    role: RoleName


class FieldLocks(_Strict):
    """How far the amount of an approved deal may move before the approval no longer holds (see
    app/approvals/locks.py): 0 means any change of the amount needs a new approval."""

    amount_tolerance_percent: Percent = Decimal(0)


class ApprovalRules(_Strict):
    customer_activation: RoleRule | None = None
    payment_terms: PaymentTermsRule | None = None
    discount: DiscountRule | None = None
    credit_limit: CreditLimitRule | None = None

    def configured(self) -> list[str]:
        return [name for name in type(self).model_fields if getattr(self, name) is not None]


class BillingGate(_Strict):
    won_stage: NonEmptyText = "Closed Won"
    eligibility_field: SalesforceFieldName = "Billing_Status__c"
    eligible_values: tuple[NonEmptyText, ...] = Field(min_length=1)
    required_fields: tuple[RequiredField, ...] = ()
    po_number_field: SalesforceFieldName = "PO_Number__c"
    po_number_required_segments: tuple[NonEmptyText, ...] = ()

    def requires(self, field: RequiredField) -> bool:
        return field in self.required_fields

    def is_eligible(self, billing_status: str | None) -> bool:
        wanted = {normalize_name(value) for value in self.eligible_values}
        return billing_status is not None and normalize_name(billing_status) in wanted

    def po_number_required_for(self, segment: str | None) -> bool:
        segments = {normalize_name(value) for value in self.po_number_required_segments}
        return segment is not None and normalize_name(segment) in segments


class SlaHours(_Strict):
    default: Hours
    missing_field: Hours | None = None
    invalid_field: Hours | None = None
    unmapped_product: Hours | None = None
    unmapped_terms: Hours | None = None
    duplicate_customer: Hours | None = None
    vendor_error: Hours | None = None
    approval_rejected: Hours | None = None
    unmapped_tax: Hours | None = None

    def hours_for(self, kind: ExceptionKind) -> int:
        specific = getattr(self, ExceptionKind(kind).value)
        return self.default if specific is None else specific


class RootCause(_Strict):
    key: Slug
    label: NonEmptyText
    suggested_for: tuple[ExceptionKind, ...] = ()


class Digest(_Strict):
    hour: int = Field(ge=0, le=23)
    minute: int = Field(default=0, ge=0, le=59)
    days: Weekdays = WEEKDAYS
    channel: SlackChannelId | None = None


class Reminders(_Strict):
    before_breach_hours: HoursOrZero
    escalate_after_hours: Hours
    escalate_role: RoleName


class Entities(_Strict):
    default_realm_id: RealmId
    by_segment: dict[NonEmptyText, RealmId] = {}


def _check_unique_names(mapping: dict[str, str]) -> dict[str, str]:
    seen: dict[str, str] = {}
    for key in mapping:
        other = seen.setdefault(normalize_name(key), key)
        if other != key:
            raise policy_error(f"{other!r} and {key!r} are the same name once case and spaces are ignored")
    return mapping


class Mappings(_Strict):
    products: dict[NonEmptyText, NonEmptyText] = {}
    payment_terms: dict[NonEmptyText, NonEmptyText] = {}
    entities: Entities

    _unique = field_validator("products", "payment_terms")(_check_unique_names)

    def quickbooks_item_for(self, *, product_name: str | None, product_code: str | None) -> str | None:
        """The QuickBooks item for a Salesforce product: its ProductCode wins over its name."""
        return _lookup(self.products, product_code) or _lookup(self.products, product_name)

    def quickbooks_term_for(self, payment_terms: str | None) -> str | None:
        return _lookup(self.payment_terms, payment_terms)

    def realm_for(self, segment: str | None) -> str:
        return _lookup(self.entities.by_segment, segment) or self.entities.default_realm_id


def _lookup(mapping: Mapping[str, str], name: str | None) -> str | None:
    if not name:
        return None
    wanted = normalize_name(name)
    return next((value for key, value in mapping.items() if normalize_name(key) == wanted), None)


class Policy(_Strict):
    timezone: TimeZoneName
    business_hours: BusinessHours
    channels: Channels
    approver_roles: dict[Slug, ApproverRole] = Field(min_length=1)
    approval_rules: ApprovalRules
    billing_gate: BillingGate
    sla_hours: SlaHours
    root_causes: tuple[RootCause, ...] = ()
    digest: Digest
    reminders: Reminders
    mappings: Mappings
    tax: TaxPolicy | None = None
    """Optional: without it invoices carry no tax codes (QuickBooks applies its defaults)."""
    currency: CurrencyPolicy = CurrencyPolicy()
    corrections: CorrectionsPolicy | None = None
    """Optional: credit memos and write-offs approved in Slack."""
    exception_feed: ExceptionFeed = ExceptionFeed()
    weekly_review: WeeklyReview = WeeklyReview()
    approval_controls: ApprovalControls = ApprovalControls()
    """Optional: request expiry and separation of duties beyond "nobody approves their own deal"."""
    field_locks: FieldLocks = FieldLocks()
    """Optional: the amount tolerance of the field lock (approval locks)."""
    metrics: MetricsPolicy = MetricsPolicy()
    invoice_number: InvoiceNumbering = InvoiceNumbering.QUICKBOOKS
    """quickbooks: QuickBooks' own sequence; opportunity: DocNumber = the opportunity id."""
    mode: RolloutMode = RolloutMode.LIVE
    pilot: PilotScope | None = None
    """Optional: only the deals in this scope are handled; the others are skipped."""
    shadow_report: ShadowReportPolicy = ShadowReportPolicy()
    milestones: MilestonePolicy | None = None
    """Optional: deals with a billing schedule get one invoice per approved or delivered milestone."""

    @field_validator("root_causes")
    @classmethod
    def _unique_keys(cls, causes: tuple[RootCause, ...]) -> tuple[RootCause, ...]:
        first_index: dict[str, int] = {}
        for index, cause in enumerate(causes):
            first = first_index.setdefault(cause.key, index)
            if first != index:
                raise policy_error(f"duplicate key {cause.key!r} (already used by root_causes[{first}])",
                                   at=f"[{index}].key")
        return causes

    @model_validator(mode="after")
    def _cross_references(self) -> Policy:
        for at, role in self.role_references():
            if role not in self.approver_roles:
                raise policy_error(f"unknown role {role!r} (known: {', '.join(sorted(self.approver_roles))})", at=at)
        terms = self.approval_rules.payment_terms
        for index, name in enumerate(terms.standard if terms else ()):
            if self.mappings.quickbooks_term_for(name) is None:
                raise policy_error(f"standard terms {name!r} are missing from mappings.payment_terms",
                                   at=f"approval_rules.payment_terms.standard[{index}]")
        return self

    def role_references(self) -> Iterator[tuple[str, str]]:
        """(path, role) for every place that names an approver role."""
        rules = self.approval_rules
        for name in ("customer_activation", "payment_terms", "credit_limit"):
            rule = getattr(rules, name)
            if rule is not None:
                yield f"approval_rules.{name}.role", rule.role
                for index, role in enumerate(rule.also):
                    yield f"approval_rules.{name}.also[{index}]", role
        for index, level in enumerate(rules.discount.levels if rules.discount else ()):
            yield f"approval_rules.discount.levels[{index}].role", level.role
        for name in ("credit_memo_levels", "write_off_levels"):
            for index, band in enumerate(getattr(self.corrections, name, ())):
                yield f"corrections.{name}[{index}].role", band.role
        yield "reminders.escalate_role", self.reminders.escalate_role

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def digest_channel(self) -> str:
        return self.digest.channel or self.channels.digest

    @property
    def weekly_review_channel(self) -> str:
        return self.weekly_review.channel or self.channels.digest

    def sla_for(self, kind: ExceptionKind) -> timedelta:
        return timedelta(hours=self.sla_hours.hours_for(kind))

    def root_causes_for(self, kind: ExceptionKind) -> tuple[RootCause, ...]:
        """Root causes to offer first for this kind of exception, then the rest."""
        suggested = tuple(cause for cause in self.root_causes if kind in cause.suggested_for)
        return suggested + tuple(cause for cause in self.root_causes if cause not in suggested)
