"""The Mermaid diagram: drawn by transitions from the machine, complete, stable, and in the README."""

from __future__ import annotations

import re
from pathlib import Path

from workflow.diagram import mermaid
from workflow.machine import MACHINE, machine_definition
from workflow.model import State, Trigger

README = Path(__file__).resolve().parents[2] / "README.md"


def test_is_a_mermaid_state_diagram_with_a_title() -> None:
    text = mermaid()
    assert text.startswith("---\ntitle: Offboard case workflow\n---\nstateDiagram-v2\n")
    assert text.endswith("\n")


def test_contains_every_state_and_trigger() -> None:
    text = mermaid()
    for state in State:
        assert re.search(rf'^\s*state "{state.value}" as {state.value}$', text, re.M), state
    for trigger in Trigger:
        assert re.search(rf"\b{trigger.value}\b", text), trigger


def test_every_transition_is_an_edge_with_its_guards() -> None:
    edges = [line.strip() for line in mermaid().splitlines() if " --> " in line]
    for tr in machine_definition()["transitions"]:
        dest = tr["dest"] or tr["source"]
        guards = " & ".join(c.__name__ for c in tr["conditions"])
        label = f"{tr['trigger']}{' [internal]' if tr['dest'] is None else ''} [{guards}]"
        assert any(edge.startswith(f"{tr['source']} --> {dest}: ") and label in edge for edge in edges), label
    assert "[*] --> collecting_evidence" in edges


def test_guards_are_named_in_the_diagram() -> None:
    text = mermaid()
    assert "submit [by_manager & evidence_complete]" in text
    assert "finish [by_system_or_hr & items_done & certificate_issued & last_day_reached]" in text
    assert "confirm_attendance [internal] [by_manager]" in text


def test_no_state_is_highlighted() -> None:
    classes = [line.split()[-1] for line in mermaid().splitlines() if line.strip().startswith("Class ")]
    assert classes == ["s_default"] * len(State)


def test_output_is_deterministic() -> None:
    assert mermaid() == mermaid()


def test_drawing_leaves_the_runtime_machine_alone() -> None:
    models = list(MACHINE.models)
    mermaid()
    assert MACHINE.models == models


def test_readme_embeds_the_current_diagram() -> None:
    blocks = re.findall(r"```mermaid\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    drawn = [block for block in blocks if "stateDiagram-v2" in block]
    assert drawn, "README.md has no workflow diagram; embed workflow.diagram.mermaid()"
    assert mermaid().strip() in [block.strip() for block in drawn], (
        "README diagram is stale: paste workflow.diagram.mermaid() again")
