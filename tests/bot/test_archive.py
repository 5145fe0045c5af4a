"""The archive bundle: exported by `python -m bot archive export`, verified offline, and failing —
naming the item — after any one change; purge deletes only what is past its retain-until date."""

from __future__ import annotations

import base64
import json
import zipfile
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bot.archive.verify import verify_bundle
from handlers.seal import ClickToSign
from handlers.signing.page import Answer, Visitor, answer
from handlers.signing.record import record_bytes
from tests.bot.services_support import Cli, in_process_cli
from tests.bot.signing_support import Site, latest_link, site_fixture  # noqa: F401
from tests.handlers.conftest import SHANGHAI
from tests.handlers.test_flow import T1_FACTS, supply_evidence

SCAN = b"%PDF-1.4 performance review 2023H2, signed by the manager"
Files = dict[str, bytes]


async def closed_case(site: Site) -> None:
    """C-0001 from opening to closed: a scanned review among the evidence, signed on the page."""
    world = site.world
    assert (await world.act("lee", "open", None, employee="@alice", ground="incompetent",
                            note="两个考核期绩效未达标")).ok
    assert (await world.act("lee", "evidence", kind="performance", content="2023H2 review",
                            file={"data": SCAN, "filename": "review 2023H2.pdf",
                                  "media_type": "application/pdf"})).ok
    await supply_evidence(world)
    for who, action, args in (("lee", "submit", {}),
                              ("wangfang", "facts", {"facts": {**T1_FACTS, "confirm": "yes"}}),
                              ("wangfang", "approve", {}),
                              ("wangfang", "schedule", {"when": "2024-06-04 10:00"}),
                              ("lee", "confirm_attendance", {})):
        assert (await world.act(who, action, **args)).ok, action
    world.clock.set(datetime(2024, 6, 4, 11, 0, tzinfo=SHANGHAI))
    assert (await world.act("wangfang", "record_talk")).ok
    token = await latest_link(world, "alice")
    signed = await answer(world.uow_factory, world.deps, token,
                          Visitor("203.0.113.9", "Mozilla/5.0 (iPhone)"), Answer("sign", True))
    assert signed.done
    case = await world.case()
    async with world.uow_factory() as uow:
        items = await uow.handover.for_case(case.id)
        owners = {i.id: (await uow.people.get(i.owner_id)).employee_no for i in items}
    handles = {"M001": "lee", "H001": "wangfang", "I001": "chen", "A001": "liu", "F001": "sun"}
    # The items are ticked on the last day: a case never closes before it (the employee is employed).
    world.clock.set(datetime(2024, 6, 30, 10, 0, tzinfo=SHANGHAI))
    for item in items:
        assert (await world.act(handles[owners[item.id]], "complete_item", item=str(item.id))).ok
    assert (await world.case()).state == "closed"


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, site: Site) -> Cli:
    settings = site.runtime.settings
    monkeypatch.setenv("SIGNING_KEY_PATH", settings.SIGNING_KEY_PATH)
    monkeypatch.setenv("ARCHIVE_DIR", settings.ARCHIVE_DIR)
    return in_process_cli(monkeypatch, tmp_path, settings.DATABASE_URL)


def read_zip(path: Path) -> Files:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def write_zip(files: Files, path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return path


def flip(data: bytes, at: int = -20) -> bytes:
    changed = bytearray(data)
    changed[at] ^= 0x01
    return bytes(changed)


def edit_manifest(change: Callable[[dict], None]) -> Callable[[Files], None]:
    def apply(files: Files) -> None:
        manifest = json.loads(files["manifest.json"])
        change(manifest)
        files["manifest.json"] = json.dumps(manifest, ensure_ascii=False).encode()
    return apply


def _edit_event(manifest: dict) -> None:
    event = next(e for e in manifest["audit"] if e["action"] == "approve")
    event["at"] = "2024-06-01T01:00:00+00:00"  # backdate HR's approval by two days


def _edit_payload(manifest: dict) -> None:
    event = next(e for e in manifest["audit"] if e["action"] == "evidence")
    event["payload"]["kind"] = "incident"


def _remove(index: int) -> Callable[[dict], None]:
    return lambda manifest: manifest["audit"].pop(index)


def _forge(manifest: dict) -> None:
    """Re-seal the signature record with a key that is not the server's."""
    signature = manifest["signatures"][0]
    forged = Ed25519PrivateKey.generate().sign(record_bytes(signature["record"]))
    signature["seal"] = base64.b64encode(forged).decode()


def _change_signed_time(manifest: dict) -> None:
    manifest["signatures"][0]["record"]["signed_at"] = "2024-06-03T00:00:00+00:00"


async def test_export_verifies_offline_and_every_change_is_named(site: Site, cli: Cli,
                                                                 tmp_path: Path) -> None:
    await closed_case(site)
    assert await cli("archive", "export", "C-0001") == 0
    bundle = Path(site.runtime.settings.ARCHIVE_DIR) / "console_local" / "C-0001.zip"
    files = read_zip(bundle)
    manifest = json.loads(files["manifest.json"])
    names = set(files)
    assert {"manifest.json", "manifest.seal.json", "keys/server-public-key.pem"} <= names
    assert {d["file"] for d in manifest["documents"]} <= names and len(manifest["documents"]) == 6
    scan = next(e for e in manifest["evidence"] if e["file"])
    assert files[scan["file"]] == SCAN
    assert [s["to"] for s in manifest["states"] if s["from"] != s["to"]][-2:] == ["handover", "closed"]
    assert manifest["case"]["retain_until"] == "2026-06-30"
    (signature,) = manifest["signatures"]
    assert signature["record"]["ip"] == "203.0.113.9"
    report = verify_bundle(bundle)
    assert report.ok, report.problems
    assert report.checked["documents"] == 6 and report.checked["signatures"] == 1
    assert await cli("archive", "verify", str(bundle)) == 0
    server_key = files["keys/server-public-key.pem"]
    (tmp_path / "server.pem").write_bytes(server_key)
    assert verify_bundle(bundle, server_key.decode()).ok
    assert not verify_bundle(bundle, ClickToSign.ephemeral().public_key).ok  # pinned elsewhere

    document = next(d["file"] for d in manifest["documents"] if d["kind"] == "termination_notice")
    first_event = manifest["audit"][0]["action"]
    cases: list[tuple[str, Callable[[Files], None], str]] = [
        ("a changed document byte", lambda f: f.update({document: flip(f[document])}),
         f"document {document}"),
        ("a changed evidence file", lambda f: f.update({scan["file"]: flip(f[scan["file"]])}),
         f"evidence #{scan['id']}"),
        ("an edited audit event", edit_manifest(_edit_event), "audit event"),
        ("an edited event payload", edit_manifest(_edit_payload), "audit event"),
        ("a removed event", edit_manifest(_remove(3)), "audit event 5"),
        ("the last event removed", edit_manifest(_remove(-1)), "manifest.json"),
        ("the first event removed", edit_manifest(_remove(0)), "audit event 2"),
        ("a forged signature", edit_manifest(_forge), "signature #"),
        ("an altered signature record", edit_manifest(_change_signed_time), "signature #"),
    ]
    assert first_event == "open"
    for what, change, named in cases:
        copy = dict(files)
        change(copy)
        report = verify_bundle(write_zip(copy, tmp_path / "tampered.zip"))
        assert not report.ok, what
        assert str(report.problems[0]).startswith(named), (what, [str(p) for p in report.problems])
    # The command names the first mismatch and exits 1.
    copy = dict(files)
    copy[document] = flip(copy[document])
    tampered = write_zip(copy, tmp_path / "tampered.zip")
    assert await cli("archive", "verify", str(tampered)) == 1
    assert not verify_bundle(b"not a zip").ok


async def test_purge_deletes_only_what_is_past_retention(site: Site, cli: Cli,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    await closed_case(site)
    assert (await site.world.act("lee", "open", None, employee="@bob", ground="incompetent")).ok
    assert await cli("archive", "export", "C-0001") == 0
    assert await cli("archive", "export", "C-0002") == 0
    archive = Path(site.runtime.settings.ARCHIVE_DIR) / "console_local"
    case = await site.world.case()
    async with site.world.uow_factory() as uow:  # C-0001's retention ran out long ago
        old = await uow.cases.get(case.id, for_update=True)
        old.retain_until = date(2000, 1, 1)
        await uow.commit()
    assert await cli("archive", "export", "C-0001") == 0  # the bundle carries the date
    capsys.readouterr()
    assert await cli("archive", "purge", "--dry-run") == 0
    assert "would delete 2 item(s)" in capsys.readouterr().out
    assert (await site.world.case()).state == "closed"
    assert await cli("archive", "purge") == 0
    out = capsys.readouterr().out
    assert "deleted 2 item(s)" in out and "C-0001" in out and "audit_events" in out
    assert not (archive / "C-0001.zip").exists() and (archive / "C-0002.zip").exists()
    async with site.world.uow_factory() as uow:
        tenant = await uow.tenants.by_key("console:local")
        assert await uow.cases.by_ref(tenant.id, "C-0001") is None
        assert await uow.cases.by_ref(tenant.id, "C-0002") is not None  # open: never purged
    assert await cli("archive", "purge") == 0
    assert "nothing is past" in capsys.readouterr().out


def test_an_unreadable_bundle_is_reported_not_raised(tmp_path: Path) -> None:
    empty = write_zip({"hello.txt": b"hi"}, tmp_path / "x.zip")
    assert str(verify_bundle(empty).problems[0]).startswith("manifest.json")
    broken = write_zip({"manifest.json": b"{not json"}, tmp_path / "y.zip")
    assert str(verify_bundle(broken).problems[0]).startswith("manifest.json")
    odd = write_zip({"manifest.json": json.dumps({"format": "offboard-bot/archive/1",
                                                  "documents": [{"id": 1}]}).encode()},
                    tmp_path / "z.zip")
    assert "malformed" in str(verify_bundle(odd).problems[0])
