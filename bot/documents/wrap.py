"""Line breaking for Chinese documents: between any two Chinese characters, at spaces, never inside a
Latin word or number (a company's English name, "SHA-256", an amount) unless it is wider than the
line; closing punctuation never starts a line. reportlab's own CJK wrapping breaks anywhere."""

from __future__ import annotations

import re
from collections.abc import Callable

# Closing punctuation stays on the line it closes (a line may overhang by one such character).
CANNOT_START = frozenset("，。、；：？！）」』】〕》〉…—％‰,.;:!?)]}%'\"”’")
# A unit the lines are made of: a run of spaces, one wide (CJK) character, or a run of anything else.
_WIDE = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f"
_UNITS = re.compile(rf"\s+|[{_WIDE}]|[^\s{_WIDE}]+")


def wrap(text: str, width: float, measure: Callable[[str], float]) -> list[str]:
    """`text` (one paragraph line, no newlines) broken into lines that fit `width`."""
    lines: list[str] = []
    line, used = "", 0.0
    for unit in _UNITS.findall(text):
        if unit.isspace():
            if line:
                line, used = line + " ", used + measure(" ")
            continue
        size = measure(unit)
        if used + size <= width or unit in CANNOT_START:
            line, used = line + unit, used + size
            continue
        if line.strip():
            lines.append(line.rstrip())
        line, used = "", 0.0
        if size <= width:
            line, used = unit, size
            continue
        for ch in unit:  # a word wider than the whole line: cut it, only then
            if used + measure(ch) > width and line:
                lines.append(line)
                line, used = "", 0.0
            line, used = line + ch, used + measure(ch)
    if line.strip() or not lines:
        lines.append(line.rstrip())
    return lines


def wrap_text(text: str, width: float, measure: Callable[[str], float]) -> str:
    """Every line of `text` wrapped; the lines joined with newlines."""
    return "\n".join(part for line in text.split("\n") for part in wrap(line, width, measure))
