"""Policy keys for the dashboard's metrics: the first-pass window and the minutes a manual step costs."""
from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field


class MetricsPolicy(BaseModel):
    """`first_pass_window_days`: an invoice that gets a credit memo or a change in QuickBooks within this many days
    of its issue did not pass first time. The minutes price the manual work Ledgerbridge takes away."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    first_pass_window_days: int = Field(default=30, ge=1, le=365)
    minutes_per_manual_invoice: Decimal = Field(default=Decimal(15), ge=0, le=600)
    """What typing one invoice from a won deal by hand takes."""
    minutes_per_exception_fix: Decimal = Field(default=Decimal(20), ge=0, le=600)
    """What finding and fixing one problem by hand takes (an exception Ledgerbridge resolved on its own)."""
