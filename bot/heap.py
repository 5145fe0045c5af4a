"""The long-running processes' garbage collector settings (`serve`, `worker`), applied once
start-up is done."""

from __future__ import annotations

import gc

# Young objects collected every this many allocations (Python's default: 700). A request makes
# thousands of short-lived objects (rows, statements, cards); at 700 it paid some 1.5 ms of
# collections, at this about half of that (`python -m bench profile approve`).
YOUNG_THRESHOLD = 20_000


def settle_heap() -> None:
    """Everything built so far (modules, the app, SQLAlchemy's mappings) lives as long as the
    process: moved out of the collector's sight, it no longer makes each full collection walk some
    hundred thousand objects. Measured in `serve`: full collections of 140–170 ms, each one
    stalling every request in flight, become a few ms."""
    gc.collect()
    gc.freeze()
    _young, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
