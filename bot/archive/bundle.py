"""Writing a case bundle as `<case>.zip`, and reading a manifest back (for verify and purge)."""

from __future__ import annotations

import json
import os
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

from bot.archive.verify import MAX_EXPANDED_BYTES, MAX_MANIFEST_BYTES, Refused, read_entry, refusals
from handlers.archive import MANIFEST, CaseBundle
from storage.private_files import private_file

# A fixed timestamp in the zip entries: the content, not the export time, decides the bytes.
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def bundle_path(archive_dir: str | Path, bundle: CaseBundle) -> Path:
    """ARCHIVE_DIR/<tenant>/<case>.zip ("slack:T1" → "slack_T1"): refs repeat across tenants."""
    return Path(archive_dir) / bundle.tenant.replace(":", "_").replace("/", "_") / f"{bundle.ref}.zip"


def write(bundle: CaseBundle, path: Path) -> Path:
    """Write the zip next to its final name, then move it there (no half-written bundle); the
    bundle is owner-only (0600) in owner-only directories: it holds a whole personnel file."""
    partial = path.with_name(f".{path.name}.partial")
    private_file(partial).write_bytes(b"")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for file in bundle.files:
            info = zipfile.ZipInfo(file.path, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, file.content)
    os.replace(partial, path)
    return path


def read_manifest(path: Path) -> dict[str, Any]:
    """The manifest of a bundle that passes verify's safety checks (no zip bomb read into memory)."""
    with zipfile.ZipFile(path) as archive:
        if refusals(archive, MAX_EXPANDED_BYTES):
            raise Refused("not a safe bundle")
        data = json.loads(read_entry(archive, MANIFEST, MAX_MANIFEST_BYTES))
    if not isinstance(data, dict):
        raise ValueError("manifest.json is not a JSON object")
    return data


def retain_until(path: Path) -> date | None:
    """The bundle's retain-until date, or None when it has none (or is not a bundle)."""
    try:
        value = read_manifest(path).get("case", {}).get("retain_until")
        return date.fromisoformat(value) if value else None
    except (OSError, KeyError, ValueError, AttributeError, zipfile.BadZipFile):
        return None
