"""The case workflow as a Mermaid state diagram, drawn by transitions from the machine's definition.

The README embeds `mermaid()`; a test fails when the embedded copy is stale.
"""

from __future__ import annotations

from transitions.extensions import GraphMachine

from workflow.machine import machine_definition

# transitions writes the title as the whole front-matter body; a YAML mapping makes it a title.
_TITLE = "title: Offboard case workflow"


class _Sketch:
    """A stand-in model: GraphMachine draws the graph of a model, not of the bare definition."""


def mermaid() -> str:
    """Mermaid `stateDiagram-v2` text: every state, trigger and guard of the case machine."""
    sketch = _Sketch()
    # A separate machine: diagrams track per-model styling the runtime machine must not carry.
    machine = GraphMachine(
        model=sketch,
        graph_engine="mermaid",  # pure text: no graphviz needed
        title=_TITLE,
        show_conditions=True,
        **machine_definition(),
    )
    sketch.get_graph()  # type: ignore[attr-defined]  # bound by GraphMachine
    # The sketch "is" in the initial state; a definition diagram highlights no current state.
    machine.model_graphs[id(sketch)].reset_styling()
    return sketch.get_graph().draw(None) + "\n"  # type: ignore[attr-defined]
