"""Every error class of ours survives a pickle round trip with its attributes (worker and benchmark pools)."""
from __future__ import annotations

import importlib
import inspect
import pickle
import pkgutil
from typing import Any

import pytest

import app
from app.errors import LedgerbridgeError, RateLimited, VendorUnavailable

SAMPLES: dict[str, Any] = {"vendor": "quickbooks", "retry_after": 12.5, "code": "6140", "status": 400,
                           "existing_id": "17", "key": "quickbooks_realm:9130", "retryable": True}


def _import_every_app_module() -> None:
    for module in pkgutil.walk_packages(app.__path__, "app."):
        importlib.import_module(module.name)


def _subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


_import_every_app_module()
ERROR_CLASSES = sorted({LedgerbridgeError, *_subclasses(LedgerbridgeError)}, key=lambda c: c.__qualname__)


def _instance(cls: type[LedgerbridgeError]) -> LedgerbridgeError:
    """Built through the class's own constructor, every parameter given a distinctive value."""
    if cls.__init__ is Exception.__init__:
        return cls(f"{cls.__name__} happened")
    params = list(inspect.signature(cls.__init__).parameters.values())[1:]
    positional = [f"{cls.__name__} happened" for p in params if p.kind is p.POSITIONAL_OR_KEYWORD]
    keywords = {p.name: SAMPLES.get(p.name, f"{p.name}-value") for p in params if p.kind is p.KEYWORD_ONLY}
    return cls(*positional, **keywords)


def test_the_walk_finds_the_classes_that_broke_before() -> None:
    names = {cls.__name__ for cls in ERROR_CLASSES}
    assert {"VendorUnavailable", "RateLimited", "ThrottleFull", "DuplicateNameError", "MappingFailed"} <= names


@pytest.mark.parametrize("cls", ERROR_CLASSES, ids=lambda cls: f"{cls.__module__}.{cls.__qualname__}")
def test_round_trip_keeps_type_message_and_attributes(cls: type[LedgerbridgeError]) -> None:
    error = _instance(cls)
    error.extra_context = {"deal": 42}  # an attribute set after construction travels too
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is cls
    assert str(copy) == str(error) and copy.args == error.args
    assert copy.__dict__ == error.__dict__


def test_a_vendor_unavailable_from_a_pool_worker_keeps_its_retry_fields() -> None:
    copy = pickle.loads(pickle.dumps(VendorUnavailable("QuickBooks did not answer", vendor="quickbooks", status=503)))
    assert copy.retryable and copy.vendor == "quickbooks" and copy.status == 503
    limited = pickle.loads(pickle.dumps(RateLimited("slow down", vendor="slack", retry_after=30.0, code="ratelimited")))
    assert limited.retry_after == 30.0 and limited.code == "ratelimited" and limited.retryable
