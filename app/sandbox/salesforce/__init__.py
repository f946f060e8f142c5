"""Salesforce REST emulator (simple-salesforce talks to it through a rewrite adapter)."""
from app.sandbox.salesforce.app import create_salesforce_emulator
from app.sandbox.salesforce.state import (
    DEFAULT_ACCESS_TOKEN,
    DEFAULT_PASSWORD,
    DEFAULT_SECURITY_TOKEN,
    DEFAULT_USERNAME,
    CallRecord,
    Fault,
    FaultKind,
    SalesforceState,
)

__all__ = ["DEFAULT_ACCESS_TOKEN", "DEFAULT_PASSWORD", "DEFAULT_SECURITY_TOKEN", "DEFAULT_USERNAME",
           "CallRecord", "Fault", "FaultKind", "SalesforceState", "create_salesforce_emulator"]
