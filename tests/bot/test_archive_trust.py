"""`archive verify` trusts only a key the operator pins, and reads an untrusted zip safely: duplicate
names, paths outside the bundle and zip bombs are refused, in bounded memory."""

from __future__ import annotations

import asyncio
import struct
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import bot.cli
from bot.archive.bundle import retain_until
from bot.archive.verify import verify_bundle
from handlers.archive import FORMAT, MANIFEST, MANIFEST_SEAL, SERVER_KEY
from handlers.seal import ClickToSign, key_id
from storage.audit import canonical_json

GIB = 1024 ** 3
DOCUMENT = "documents/C-0001-v1-notice.pdf"
BOMB = "evidence/1-scan.pdf"


def sealed_bundle(path: Path, signer: ClickToSign, *, ref: str = "C-0001",
                  extra: list[tuple[str, bytes]] = (), evidence: list[str] = ()) -> Path:
    """A bundle as `archive export` writes it for a case with no events, sealed by `signer` with
    its public key inside, as a forger would do with a key of their own. `extra` entries are added
    unlisted, `evidence` names files listed in the manifest (and added by the caller)."""
    kid = key_id(signer.public_key)
    listed = [{"id": n, "file": name, "sha256": "0" * 64} for n, name in enumerate(evidence, 1)]
    manifest = {"format": FORMAT, "case": {"ref": ref, "retain_until": "2030-01-01"},
                "documents": [], "evidence": listed, "signatures": [], "audit": [],
                "keys": {"server": SERVER_KEY, "files": {kid: SERVER_KEY}}}
    body = canonical_json(manifest).encode()
    seal = asyncio.run(signer.seal(body))
    sealed = {"provider": seal.provider, "seal": seal.value, "key_id": kid, "key_file": SERVER_KEY}
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(MANIFEST, body)
        archive.writestr(MANIFEST_SEAL, canonical_json(sealed).encode())
        archive.writestr(SERVER_KEY, signer.public_key)
        for name, content in extra:
            archive.writestr(name, content)
    return path


@pytest.fixture
def server() -> ClickToSign:
    return ClickToSign.ephemeral()


def test_a_bundle_resealed_with_a_foreign_key_fails_against_the_pinned_key(
        tmp_path: Path, server: ClickToSign) -> None:
    genuine = sealed_bundle(tmp_path / "genuine.zip", server)
    forged = sealed_bundle(tmp_path / "forged.zip", ClickToSign.ephemeral(), ref="C-0002")
    assert verify_bundle(genuine, server.public_key).trusted
    report = verify_bundle(forged, server.public_key)
    assert not report.ok and not report.trusted
    assert "not the pinned key" in str(report.problems[0])
    # Without a pinned key the forgery is self-consistent: intact, but never "trusted".
    unpinned = verify_bundle(forged)
    assert unpinned.ok and not unpinned.trusted and unpinned.pinned_key is None


@pytest.fixture
def verify_cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setattr(bot.cli, "configure_logging", lambda level: None)
    monkeypatch.chdir(tmp_path)  # no .env from the checkout
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    for name in ("SIGNING_KEY_PATH", "ARCHIVE_PUBLIC_KEY"):
        monkeypatch.delenv(name, raising=False)
    return lambda *args: bot.cli.main(["archive", "verify", *map(str, args)])


def _private_pem(path: Path) -> Path:
    key = Ed25519PrivateKey.generate()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    return path


def test_verify_pins_the_configured_key_and_says_when_none_is_pinned(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, verify_cli, capsys: pytest.CaptureFixture[str]) -> None:
    key_file = _private_pem(tmp_path / "data" / "signing-key.pem")  # the server's own key, by default
    server = ClickToSign(serialization.load_pem_private_key(key_file.read_bytes(), None))  # type: ignore[arg-type]
    genuine = sealed_bundle(tmp_path / "genuine.zip", server)
    forged = sealed_bundle(tmp_path / "forged.zip", ClickToSign.ephemeral())

    assert verify_cli(genuine) == 0
    assert "sealed by the pinned key" in capsys.readouterr().out
    assert verify_cli(forged) == 1  # without --key: the configured key, not the bundle's
    assert "not the pinned key" in capsys.readouterr().out

    (tmp_path / "server.pem").write_text(server.public_key)
    monkeypatch.setenv("SIGNING_KEY_PATH", str(tmp_path / "nowhere.pem"))
    assert verify_cli(forged, "--key", tmp_path / "server.pem") == 1
    assert "not the pinned key" in capsys.readouterr().out
    monkeypatch.setenv("ARCHIVE_PUBLIC_KEY", str(tmp_path / "server.pem"))
    assert verify_cli(forged) == 1 and "not the pinned key" in capsys.readouterr().out
    assert verify_cli(genuine) == 0 and "ARCHIVE_PUBLIC_KEY" in capsys.readouterr().out

    monkeypatch.delenv("ARCHIVE_PUBLIC_KEY")
    assert verify_cli(genuine) == 1  # nothing pinned: intact, and said to be not trusted
    out = capsys.readouterr().out
    assert out.startswith("NOT TRUSTED") and "no key was pinned" in out
    assert not (tmp_path / "nowhere.pem").exists()  # verify never creates a key


@pytest.mark.parametrize("name", ["../escape.txt", "/etc/passwd", "keys/../../x", "C:\\evil.txt",
                                  "documents\\x.pdf"])
def test_paths_outside_the_bundle_are_refused(tmp_path: Path, server: ClickToSign, name: str) -> None:
    bundle = sealed_bundle(tmp_path / "b.zip", server, extra=[(name, b"x")])
    report = verify_bundle(bundle, server.public_key)
    assert not report.ok
    assert report.problems[0].item == name and "path" in report.problems[0].reason


def test_duplicate_entry_names_are_refused(tmp_path: Path, server: ClickToSign) -> None:
    bundle = sealed_bundle(tmp_path / "b.zip", server, extra=[(DOCUMENT, b"%PDF genuine")])
    with pytest.warns(UserWarning, match="Duplicate name"), zipfile.ZipFile(bundle, "a") as archive:
        archive.writestr(DOCUMENT, b"%PDF swapped")  # a second entry of the same name
    report = verify_bundle(bundle, server.public_key)
    assert not report.ok
    assert report.problems[0].item == DOCUMENT and "twice" in report.problems[0].reason


@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A bundle of about 1 MB whose evidence file (named in the manifest, so a reader that follows
    the manifest reads it) expands to 1 GiB of zeros."""
    path = sealed_bundle(tmp_path_factory.mktemp("bomb") / "bomb.zip", ClickToSign.ephemeral(),
                         evidence=[BOMB])
    zeros = bytes(1024 * 1024)
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as archive, archive.open(BOMB, "w") as entry:
        for _ in range(GIB // len(zeros)):
            entry.write(zeros)
    assert path.stat().st_size < 2 * 1024 * 1024
    return path


def _lie_about_size(path: Path, name: str, size: int) -> Path:
    """Rewrite the entry's declared uncompressed size (local header and central directory)."""
    data = bytearray(path.read_bytes())
    encoded = name.encode()
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = data.find(signature)
        while at != -1:
            name_at = at + (30 if signature == b"PK\x03\x04" else 46)
            if data[name_at:name_at + len(encoded)] == encoded:
                struct.pack_into("<I", data, at + offset, size)
            at = data.find(signature, at + 1)
    lied = path.with_name(f"lied-{path.name}")
    lied.write_bytes(data)
    return lied


def _peak(run) -> tuple[object, int]:
    tracemalloc.start()
    try:
        result = run()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_zip_bomb_is_refused_in_bounded_memory(bomb: Path) -> None:
    report, peak = _peak(lambda: verify_bundle(bomb))
    assert peak < 16 * 1024 * 1024, f"verify allocated {peak} bytes for a 1 GiB bomb"
    assert not report.ok  # type: ignore[attr-defined]
    assert "more than the limit" in str(report.problems[0])  # type: ignore[attr-defined]
    assert retain_until(bomb) is None  # purge does not read it either


def test_a_bomb_lying_about_its_size_is_refused_in_bounded_memory(bomb: Path) -> None:
    lied = _lie_about_size(bomb, BOMB, 4096)
    report, peak = _peak(lambda: verify_bundle(lied))
    assert peak < 16 * 1024 * 1024, f"verify allocated {peak} bytes for a 1 GiB bomb"
    assert not report.ok  # type: ignore[attr-defined]
    assert any(p.item.startswith("evidence #1") for p in report.problems)  # type: ignore[attr-defined]
    # Under a small limit, honest entries past it are refused before reading too.
    small = verify_bundle(lied, max_bytes=1024)
    assert not small.ok
