"""Typed, versioned `private_metadata` for our modals: each model encodes itself to JSON and decodes itself back.

Slack hands a modal's private_metadata back untouched on submission, so what we read is what we wrote:
possibly by an older release, while the modal was open. Each model therefore also reads the format
before versioning (a bare request id for the reject modal, one-letter keys for the close modal).
Anything else is refused with MetadataError, which listeners answer with a polite note, never a 500.
"""
from __future__ import annotations

import json
from typing import Any, ClassVar, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from app.slack.ids import MAX_ID_DIGITS

PRIVATE_METADATA_LIMIT = 3000
"""Slack's limit on private_metadata, in characters."""
SKELETON_LIMIT = 2900
"""The clicked message's other blocks ride along only while the whole stays this short (a margin under 3000)."""
MAX_ID = 10**MAX_ID_DIGITS - 1


class MetadataError(ValueError):
    """A modal's private_metadata we cannot read; the message is fit to show the person who submitted it."""


class ModalMetadata(BaseModel):
    """The envelope every modal's metadata shares: a version, then the model's own fields."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)
    VERSION: ClassVar[int] = 1
    v: Literal[1] = 1

    def encode(self) -> str:
        text = self.model_dump_json(exclude_none=True)
        if len(text) > PRIVATE_METADATA_LIMIT:
            raise ValueError(f"{type(self).__name__} is {len(text)} characters; Slack keeps {PRIVATE_METADATA_LIMIT}")
        return text

    @classmethod
    def decode(cls, raw: object) -> Self:
        if not isinstance(raw, str) or not raw.strip():
            raise MetadataError("This form carries none of the details it needs; please open it again")
        try:
            return cls.model_validate(cls._upgrade(_json_or_text(raw)))
        except ValidationError:
            raise MetadataError("This form's details are unreadable (it may come from an older version of the app); "
                                "please open it again") from None

    @classmethod
    def _upgrade(cls, data: Any) -> Any:
        """Map what an earlier release wrote onto the current fields; the current format passes unchanged."""
        return data


class RejectReasonMetadata(ModalMetadata):
    """The reject-reason modal: which approval request is being rejected."""

    request_id: int = Field(gt=0, le=MAX_ID)

    @classmethod
    def _upgrade(cls, data: Any) -> Any:
        if isinstance(data, int) and not isinstance(data, bool):        # before v1: the bare id, "42"
            return {"request_id": data}
        return data


class ActivationMetadata(ModalMetadata):
    """The customer-activation modal: which request, and the message the Approve click came from."""

    request_id: int = Field(gt=0, le=MAX_ID)
    channel: str | None = None
    message_ts: str | None = None


class CloseExceptionMetadata(ModalMetadata):
    """The close-exception modal: the item, and where the clicked message is so the submission can update it."""

    item_id: int = Field(gt=0, le=MAX_ID)
    channel: str | None = None
    message_ts: str | None = None
    ephemeral: bool = False
    response_url: str | None = None
    skeleton: list[dict[str, Any]] | None = None
    """The clicked message's other blocks (the item's own as a placeholder), when they fit in the metadata."""

    LEGACY_KEYS: ClassVar[dict[str, str]] = {"i": "item_id", "c": "channel", "t": "message_ts", "e": "ephemeral",
                                             "r": "response_url", "s": "skeleton"}

    @classmethod
    def _upgrade(cls, data: Any) -> Any:
        if isinstance(data, dict) and "v" not in data and "i" in data:    # before v1: one-letter keys
            return {cls.LEGACY_KEYS.get(key, key): value for key, value in data.items() if value is not None}
        return data


def _json_or_text(raw: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw


class CorrectionFormMetadata(ModalMetadata):
    """The correction form: which deal's invoice, and where to answer (the channel the form was opened from)."""

    opportunity_id: str = Field(min_length=15, max_length=18, pattern=r"^[A-Za-z0-9]+$")
    channel: str | None = None
