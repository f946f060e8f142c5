"""Helpers shared by the Block Kit builder tests."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest


def _texts(node: Any) -> list[str]:
    """Every `text` string anywhere in a Block Kit JSON tree."""
    if isinstance(node, dict):
        found = [node["text"]] if isinstance(node.get("text"), str) else []
        return found + [t for value in node.values() for t in _texts(value)]
    if isinstance(node, list):
        return [t for item in node for t in _texts(item)]
    return []


@pytest.fixture
def texts() -> Callable[[Any], list[str]]:
    """`texts(tree)`: every `text` string in a Block Kit JSON tree, depth first."""
    return _texts
