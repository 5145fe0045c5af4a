"""Owner-only files and directories (0600 / 0700) for what the server keeps at rest: the SQLite
database and its WAL/SHM files, the signing key, the data and archive directories."""

from __future__ import annotations

import os
from pathlib import Path

FILE_MODE, DIR_MODE = 0o600, 0o700


def private_dir(path: Path) -> Path:
    """Create `path` and any missing parents as 0700 (existing directories are left alone: they
    may be shared on purpose, e.g. /tmp)."""
    missing = [p for p in (path, *path.parents) if not p.exists()]
    for directory in reversed(missing):
        try:
            directory.mkdir(mode=DIR_MODE)
        except FileExistsError:
            pass  # made by another process meanwhile
        else:
            os.chmod(directory, DIR_MODE)  # mkdir's mode is masked by the umask
    return path


def private_file(path: Path) -> Path:
    """Create `path` empty as 0600 unless it exists; either way leave it 0600."""
    private_dir(path.parent)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE))
    os.chmod(path, FILE_MODE)
    return path
