"""Policy for corrections to issued invoices: credit memos and write-offs, who approves which amount, and the
QuickBooks items they credit."""
from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.policy.controls import LevelOrder
from app.policy.fields import Money, NonEmptyText, RoleName, policy_error


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AmountBand(_Strict):
    """A correction of more than `above` needs `role` (the highest band crossed decides)."""

    above: Money
    role: RoleName


def _increasing(bands: tuple[AmountBand, ...]) -> tuple[AmountBand, ...]:
    for index in range(1, len(bands)):
        if bands[index].above <= bands[index - 1].above:
            raise policy_error(f"must be more than the band before ({bands[index - 1].above}): list bands from "
                               "the smallest amount to the largest", at=f"[{index}].above")
    if bands and bands[0].above != 0:
        raise policy_error("the first band must start at 0, so every correction has an approver", at="[0].above")
    return bands


class CorrectionsPolicy(_Strict):
    credit_memo_levels: tuple[AmountBand, ...] = Field(min_length=1)
    write_off_levels: tuple[AmountBand, ...] = Field(min_length=1)
    bad_debt_item: NonEmptyText
    """The QuickBooks item a write-off credits (its income account is usually Bad Debts)."""
    credit_item: NonEmptyText
    """The QuickBooks item a credit memo of an amount (rather than of invoice lines) credits."""

    order: LevelOrder = LevelOrder.HIGHEST
    """highest: the highest band crossed decides alone; sequence / parallel: every band crossed is a level."""

    _bands = field_validator("credit_memo_levels", "write_off_levels")(_increasing)

    def roles_crossed(self, kind: str, amount: Decimal) -> list[str]:
        """The roles of every band a correction of `kind` and `amount` crosses, smallest band first."""
        bands = self.write_off_levels if kind == "write_off" else self.credit_memo_levels
        return [band.role for band in bands if amount > band.above]

    def role_for(self, kind: str, amount: Decimal) -> tuple[str, int]:
        """(role, 1-based level) for a correction of `kind` ("credit_memo" or "write_off") and `amount`."""
        bands = self.write_off_levels if kind == "write_off" else self.credit_memo_levels
        crossed = [(number, band) for number, band in enumerate(bands, start=1) if amount > band.above]
        number, band = crossed[-1] if crossed else (1, bands[0])
        return band.role, number
