"""The README's commands marked runnable (`<!-- runnable -->` on the line before a code fence) run
as written, from a copy of the checkout, with the project's .venv, and exit as documented.

An `sh` block runs as one script and must exit 0. A `text` block is a transcript: each `$ `
command (with its `\\` continuation lines) runs; an `echo $?` line followed by a number is the
exit status the previous command must have, otherwise 0.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MARK = "<!-- runnable -->"
_FENCE = re.compile(r"```(\w*)\s*$")


@dataclass(frozen=True)
class Step:
    command: str
    status: int  # the documented exit status


@dataclass(frozen=True)
class Block:
    line: int  # where the fence opens in README.md
    steps: tuple[Step, ...]


def runnable_blocks(text: str) -> list[Block]:
    lines = text.splitlines()
    blocks = []
    for number, line in enumerate(lines):
        if line.strip() != MARK:
            continue
        fence = _FENCE.match(lines[number + 1])
        assert fence, f"README.md:{number + 1}: {MARK} must be followed by a code fence"
        body = []
        for inner in lines[number + 2:]:
            if inner.startswith("```"):
                break
            body.append(inner)
        steps = _transcript(body) if fence.group(1) == "text" else (Step("\n".join(body), 0),)
        blocks.append(Block(number + 2, steps))
    return blocks


def _transcript(body: list[str]) -> tuple[Step, ...]:
    commands: list[str] = []
    statuses: dict[int, int] = {}
    lines = iter(body)
    for line in lines:
        if not line.startswith("$ "):
            continue
        command = line[2:]
        while command.endswith("\\"):
            command = command[:-1] + next(lines).strip()
        if command.strip() == "echo $?":
            statuses[len(commands) - 1] = int(next(lines).strip())
        else:
            commands.append(command)
    return tuple(Step(c, statuses.get(n, 0)) for n, c in enumerate(commands))


def test_the_marked_blocks_are_found_and_read() -> None:
    text = ("intro\n<!-- runnable -->\n```text\n$ run one \\\n    --flag\nout\n$ echo $?\n3\n"
            "$ run two\n```\n<!-- runnable -->\n```sh\na   # why\nb\n```\n```sh\nnot marked\n```\n")
    assert runnable_blocks(text) == [
        Block(3, (Step("run one --flag", 3), Step("run two", 0))),
        Block(12, (Step("a   # why\nb", 0),)),
    ]


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tracked files of this checkout, with .venv pointing at the project's environment."""
    copy = tmp_path_factory.mktemp("checkout")
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True)
    for name in tracked.stdout.decode().split("\0"):
        source = ROOT / name
        if name and source.is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy / name)
    (copy / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)
    return copy


BLOCKS = runnable_blocks((ROOT / "README.md").read_text(encoding="utf-8"))


def test_the_readme_marks_its_runnable_commands() -> None:
    assert len(BLOCKS) >= 4, "README.md lost its runnable markers"


@pytest.mark.parametrize("block", BLOCKS, ids=[f"README.md:{b.line}" for b in BLOCKS])
def test_a_runnable_readme_block_runs_as_written(block: Block, checkout: Path) -> None:
    env = {key: value for key, value in os.environ.items()
           if key not in {"DATABASE_URL", "REDIS_URL", "PYTHONPATH", "VIRTUAL_ENV"}}
    env["DATA_DIR"] = str(checkout / "data")
    for step in block.steps:
        done = subprocess.run(["bash", "-eo", "pipefail", "-c", step.command], cwd=checkout,
                              env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == step.status, (
            f"README.md:{block.line}: `{step.command}` exited {done.returncode}, documented "
            f"{step.status}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
