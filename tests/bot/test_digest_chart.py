"""The digest chart is a real PNG (Pillow decodes it), is not blank, is the same for the same
figures and changes when they change; Chinese labels draw with the configured font."""

from __future__ import annotations

import io
import warnings
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from bot.cards.chart import render_chart
from bot.settings import Settings

FONT = Settings.model_fields["DOCUMENT_FONT"].default
LABELS = {"stages_title": "Hours per stage", "states_title": "Open cases by state", "hours": "hours",
          "cases": "cases", "median": "median", "p90": "p90", "empty": "none this week"}


def chart(**changes: Any) -> dict[str, Any]:
    return {**LABELS, "stages": [["Evidence", 26.0, 40.5], ["HR review", 5.0, 8.0], ["Talk", 0.0, 0.0]],
            "states": [["HR review", 1], ["Handover", 3]], **changes}


def decoded(png: bytes) -> Image.Image:
    """The image, after Pillow checked the file whole (verify) and read it again to look at it."""
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    Image.open(io.BytesIO(png)).verify()
    image = Image.open(io.BytesIO(png))
    image.load()
    return image.convert("RGB")


def colours(image: Image.Image) -> int:
    found = image.getcolors(maxcolors=1 << 16)
    return len(found) if found is not None else 1 << 16


def test_the_chart_is_a_png_with_something_drawn_on_it() -> None:
    image = decoded(render_chart(chart()))
    assert image.size == (1100, 460)
    assert colours(image) > 10  # bars, labels and axes, not a single colour
    bar_blue = (0x4C, 0x72, 0xB0)
    assert bar_blue in {colour for _, colour in image.getcolors(maxcolors=1 << 20) or []}


def test_same_figures_same_bytes_other_figures_other_picture() -> None:
    first, again = render_chart(chart()), render_chart(chart())
    assert first == again  # nothing but the figures goes into the file
    more_open = render_chart(chart(states=[["HR review", 4], ["Handover", 3]]))
    slower = render_chart(chart(stages=[["Evidence", 60.0, 90.0], ["HR review", 5.0, 8.0], ["Talk", 0.0, 0.0]]))
    assert len({first, more_open, slower}) == 3
    assert decoded(more_open).tobytes() != decoded(first).tobytes()


def test_a_stage_nobody_left_this_week_is_not_drawn_as_zero_hours() -> None:
    """Stays counted beside each stage: "Talk" with none ended shows "—", one that took 0 hours "0.0"."""
    unmeasured = render_chart(chart(stages=[["Evidence", 26.0, 40.5, 3], ["Talk", 0.0, 0.0, 0]]))
    instant = render_chart(chart(stages=[["Evidence", 26.0, 40.5, 3], ["Talk", 0.0, 0.0, 2]]))
    assert decoded(unmeasured).tobytes() != decoded(instant).tobytes()


def test_an_empty_week_still_draws_both_panels() -> None:
    image = decoded(render_chart(chart(stages=[["Evidence", 0.0, 0.0]], states=[])))
    assert colours(image) > 2
    # Malformed rows are left out, not fatal.
    decoded(render_chart(chart(stages=[["x"], "junk", ["y", "1", 2]], states=None)))


@pytest.mark.skipif(not Path(FONT).is_file(), reason=f"the Chinese font {FONT} is not installed")
def test_chinese_labels_have_their_glyphs() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns for every glyph a font lacks
        png = render_chart(chart(stages_title="各阶段用时", stages=[["证据", 26.0, 40.5]], states=[["交接", 2]]), FONT)
    assert colours(decoded(png)) > 10
