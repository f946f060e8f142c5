"""A small text progress bar for long CLI runs (stderr; redraws in place on a terminal)."""
from __future__ import annotations

import sys
from typing import TextIO

WIDTH = 30


class ProgressBar:
    def __init__(self, label: str, total: int | None, *, stream: TextIO | None = None) -> None:
        self.label, self.total = label, total
        self.stream = stream or sys.stderr      # looked up now: sys.stderr may have been replaced since import
        self._live = self.stream.isatty()

    def update(self, done: int) -> None:
        if self._live or done == self.total or done % 100 == 0:
            self.stream.write(("\r" if self._live else "") + self.render(done) + ("" if self._live else "\n"))
            self.stream.flush()

    def render(self, done: int) -> str:
        if not self.total:
            return f"{self.label}: {done}"
        share = min(done / self.total, 1.0)
        filled = int(share * WIDTH)
        return f"{self.label} [{'#' * filled}{'.' * (WIDTH - filled)}] {done}/{self.total} {share:4.0%}"

    def close(self) -> None:
        if self._live:
            self.stream.write("\n")
            self.stream.flush()
