"""Marks for the browser bench: with LEADSCORE_TRACE naming a file, each mark appends its
name and the wall-clock time, so a wait can be split into browser and server parts."""

from __future__ import annotations

import os
import time


def mark(what: str) -> None:
    """Note that the run reached `what` (nothing at all unless LEADSCORE_TRACE is set)."""
    path = os.environ.get("LEADSCORE_TRACE")
    if path:
        with open(path, "a", encoding="utf-8") as trace:
            trace.write(f"{what} {time.time()}\n")
