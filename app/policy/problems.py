"""Turn pydantic's validation errors into `PolicyError(path, message)` lines a finance admin can act on."""
from __future__ import annotations

import re
import types
from dataclasses import dataclass
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SHAPES = {
    "tuple_type": "a list (e.g. [a, b] or one '- item' per line)",
    "list_type": "a list (e.g. [a, b] or one '- item' per line)",
    "dict_type": "a mapping ('key: value' lines)",
    "model_type": "a mapping ('key: value' lines)",
    "string_type": "a single value",
}


@dataclass(frozen=True, slots=True)
class PolicyError:
    """One problem in the policy file. `path` is a YAML path like `approval_rules.discount.levels[1].role`."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


def join_path(loc: tuple[int | str, ...], suffix: str = "") -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif _IDENTIFIER.fullmatch(part):
            path += f".{part}" if path else part
        else:
            path += f"[{part!r}]"
    path += suffix
    return path.lstrip(".") or "(top level)"


def errors_from_validation(error: ValidationError, model: type[BaseModel]) -> list[PolicyError]:
    details = error.errors(include_url=False)
    return [PolicyError(_path(detail), _message(detail, model)) for detail in details if not _echo(detail, details)]


def _echo(detail: ErrorDetails, details: list[ErrorDetails]) -> bool:
    """pydantic also calls a list 'too short' when its items were rejected: only the items' errors help."""
    loc = detail["loc"]
    return detail["type"] == "too_short" and any(other["loc"][: len(loc)] == loc != other["loc"] for other in details)


def _path(detail: ErrorDetails) -> str:
    loc = tuple(part for part in detail["loc"] if part != "[key]")
    return join_path(loc, str((detail.get("ctx") or {}).get("at", "")))


def _message(detail: ErrorDetails, model: type[BaseModel]) -> str:
    kind, given = detail["type"], detail.get("input")
    if kind == "extra_forbidden":
        allowed = allowed_keys(model, tuple(detail["loc"][:-1]))
        return f"unknown key (allowed here: {', '.join(allowed)})" if allowed else "unknown key"
    if kind == "missing":
        return "is required"
    if kind in ("enum", "literal_error"):
        return f"{given!r} is not allowed; use one of {detail['ctx']['expected']}"
    if given is None and kind.endswith("_type"):
        return "is empty: give a value (in YAML, '#' starts a comment, so quote values that contain it)"
    if kind == "too_short":
        least = detail["ctx"]["min_length"]
        return f"needs at least {least} item{'s' if least != 1 else ''}"
    if kind in _SHAPES:
        return f"should be {_SHAPES[kind]}, not {type(given).__name__} {_short(given)}"
    if kind in ("decimal_parsing", "decimal_type"):
        return f"{given!r} is not a number: write it like 50000 or 50000.00, without separators or currency"
    if kind.endswith("_parsing"):
        return f"{detail['msg']} (got {_short(given)})"
    return detail["msg"].removeprefix("Value error, ")


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:57]}..."


def allowed_keys(model: type[BaseModel], loc: tuple[int | str, ...]) -> list[str]:
    """The keys a model accepts at `loc` (walking fields, list items and dict values), or [] if unknown."""
    annotation: Any = model
    for part in loc:
        annotation = _step(_unwrap(annotation), part)
    target = _unwrap(annotation)
    if isinstance(target, type) and issubclass(target, BaseModel):
        return list(target.model_fields)
    return []


def _step(annotation: Any, part: int | str) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        field = annotation.model_fields.get(str(part))
        return field.annotation if field else None
    args = get_args(annotation)
    if get_origin(annotation) in (tuple, list) and args:
        return args[0]
    if get_origin(annotation) is dict and len(args) == 2:
        return args[1]
    return None


def _unwrap(annotation: Any) -> Any:
    """Strip `Annotated[...]` and `X | None` down to the type that validates."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            remaining = [arg for arg in get_args(annotation) if arg is not type(None)]
            annotation = remaining[0] if len(remaining) == 1 else None
        else:
            return annotation
