"""CSV cells a spreadsheet would run as a formula are neutralised; others are kept as they are."""
from __future__ import annotations

from app.web.exports import safe_cell


def test_formula_cells_get_an_apostrophe() -> None:
    for hostile in ("=HYPERLINK(\"http://evil\")", "+1+1", "-2", "@SUM(A1)", "\tx", "\rx"):
        assert safe_cell(hostile) == "'" + hostile
    assert safe_cell("Acme - Clinic rollout") == "Acme - Clinic rollout"
    assert safe_cell(None) == "" and safe_cell(3) == "3" and safe_cell(True) == "True"
