"""The import graph of the four rooms has no cycles (TYPE_CHECKING imports count too): a module
can be read, tested and moved without dragging in a circle of others. The layer contracts
themselves are import-linter's (pyproject.toml, `lint-imports` in `make test`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import grimp

ROOMS = ("bot", "handlers", "storage", "workflow")


def cycles(modules: Iterable[str], imports: Callable[[str], Iterable[str]]) -> list[list[str]]:
    """The import circles among `modules`: strongly connected groups of more than one module, or a
    module importing itself (Tarjan's algorithm, iterative so deep chains cannot overflow)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(modules):
        if root in index:
            continue
        work = [(root, iter(sorted(imports(root))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, targets = work[-1]
            for target in targets:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(imports(target)))))
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == node:
                            break
                    if len(group) > 1 or node in imports(node):
                        found.append(sorted(group))
    return found


def test_the_cycle_finder_finds_circles_and_only_circles() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}, "f": set()}
    assert sorted(cycles(graph, graph.__getitem__)) == [["a", "b", "c"], ["e"]]
    assert cycles({"a": {"b"}, "b": set()}, {"a": {"b"}, "b": set()}.__getitem__) == []


def test_no_import_cycles_in_the_project() -> None:
    graph = grimp.build_graph(*ROOMS, cache_dir=None)
    found = cycles(graph.modules, graph.find_modules_directly_imported_by)
    assert found == [], "import cycles:\n" + "\n".join(" <-> ".join(group) for group in found)
