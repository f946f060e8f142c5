"""ROI metrics as JSON: the same numbers as the tiles; Decimal as strings, times as ISO 8601 UTC."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from app.metrics.invoicing import Rate
from app.metrics.roi import RoiMetrics
from app.web.views import share_percent


def _decimal(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _rate(rate: Rate) -> dict[str, Any]:
    return {"part": rate.part, "whole": rate.whole, "percent": _decimal(rate.percent)}


def _hours(span: timedelta | None) -> str | None:
    return None if span is None else str(Decimal(str(span.total_seconds() / 3600)).quantize(Decimal("0.1")))


def metrics_json(metrics: RoiMetrics) -> dict[str, Any]:
    dti, exceptions = metrics.days_to_invoice, metrics.exceptions
    return {
        "days": metrics.days, "since": metrics.since.isoformat(), "as_of": metrics.now.isoformat(),
        "days_to_invoice": {"count": dti.count, "median": _decimal(dti.median), "mean": _decimal(dti.mean),
                            "p90": _decimal(dti.p90)},
        "first_pass_acceptance": _rate(metrics.first_pass),
        "error_rate": _rate(metrics.error_rate),
        "invoices": {"count": metrics.invoices.count,
                     "total_by_currency": {currency: str(amount)
                                           for currency, amount in metrics.invoices.total_by_currency.items()},
                     "home_total": {"currency": metrics.invoices.home_currency,
                                    "amount": str(metrics.invoices.home_total),
                                    "converted_at": "the exchange rate QuickBooks stored on each invoice",
                                    "invoices_without_a_rate": metrics.invoices.unconverted}},
        "credit_memo_frequency": _rate(metrics.credit_memos),
        "corrections_by_cause": dict(metrics.corrections_by_cause or {}),
        "open_exceptions": metrics.open_exceptions,
        "sla_breach_rate": {"percent": _decimal(share_percent(exceptions.breach_rate))},
        "exceptions_by_cause": dict(exceptions.by_cause),
        "weekly_by_cause": {week.isoformat(): counts for week, counts in exceptions.weekly_by_cause.items()},
        "time_to_resolve_hours": {"count": exceptions.time_to_resolve.count,
                                  "median": _hours(exceptions.time_to_resolve.median),
                                  "p90": _hours(exceptions.time_to_resolve.p90),
                                  "mean": _hours(exceptions.time_to_resolve.mean)},
    }
