"""The finance policy file (thresholds, approvers, billing gate, SLAs, mappings) as typed, validated models."""
from __future__ import annotations

from app.policy.corrections import AmountBand, CorrectionsPolicy
from app.policy.loader import PolicyFileInvalid, load_policy, parse_policy, policy_from_data, validate_policy_text
from app.policy.models import (
    ApprovalRules,
    ApproverRole,
    BillingGate,
    BusinessHours,
    Channels,
    CreditLimitRule,
    Digest,
    DiscountLevel,
    DiscountRule,
    Entities,
    Mappings,
    PaymentTermsRule,
    Policy,
    Reminders,
    RoleRule,
    RootCause,
    SlaHours,
    normalize_name,
)
from app.policy.problems import PolicyError
from app.policy.rollout import InvoiceNumbering, MilestonePolicy, PilotScope, RolloutMode, ShadowReportPolicy
from app.policy.tax import NON_TAXABLE, CurrencyPolicy, TaxCalculation, TaxModel, TaxPolicy
from app.policy.vocabulary import ExceptionKind, RequiredField, Weekday

__all__ = [
    "NON_TAXABLE", "InvoiceNumbering", "MilestonePolicy", "PilotScope", "RolloutMode", "ShadowReportPolicy",
    "AmountBand", "CorrectionsPolicy", "CurrencyPolicy", "TaxCalculation", "TaxModel", "TaxPolicy",
    "ApprovalRules", "ApproverRole", "BillingGate", "BusinessHours", "Channels", "CreditLimitRule", "Digest",
    "DiscountLevel", "DiscountRule", "Entities", "ExceptionKind", "Mappings", "PaymentTermsRule", "Policy",
    "PolicyError", "PolicyFileInvalid", "Reminders", "RequiredField", "RoleRule", "RootCause", "SlaHours",
    "Weekday", "load_policy", "normalize_name", "parse_policy", "policy_from_data", "validate_policy_text",
]
