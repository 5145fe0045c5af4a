"""The company's logo and seal images at rest: DATA_DIR/company/<tenant id>/<sha256>.<ext>, owner-only
(0700 directories, 0600 files). Named by content, so a document always finds the image it was drawn
with, and a new image never overwrites an old one."""

from __future__ import annotations

import os
from pathlib import Path

from storage.private_files import FILE_MODE, private_dir


def _folder(root: Path, tenant_id: int) -> Path:
    return root / "company" / str(int(tenant_id))


def save_image(root: Path, tenant_id: int, filename: str, data: bytes) -> Path:
    """Write `data` as `filename` (written whole, then renamed: a reader never sees half a file)."""
    if Path(filename).name != filename:
        raise ValueError(f"not a plain file name: {filename!r}")
    folder = private_dir(_folder(root, tenant_id))
    target = folder / filename
    partial = folder / f".{filename}.part"
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    os.chmod(partial, FILE_MODE)
    os.replace(partial, target)
    return target


def load_image(root: Path, tenant_id: int, filename: str) -> bytes | None:
    """The stored image, or None when it is missing (a DATA_DIR moved without its files)."""
    if Path(filename).name != filename:
        return None
    try:
        return (_folder(root, tenant_id) / filename).read_bytes()
    except OSError:
        return None
