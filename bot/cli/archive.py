"""`python -m bot archive export|verify|purge`: the verifiable case bundle and its retention.

export writes ARCHIVE_DIR/<tenant>/<case>.zip; verify checks a bundle offline against a key the
operator pins and names the first thing that does not match; purge deletes cases and bundles past
their retain-until date only.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from bot.archive.bundle import bundle_path, retain_until, write
from bot.archive.verify import verify_bundle
from bot.bootstrap import bootstrap
from bot.cli import CommandError
from bot.directory import workspace
from bot.settings import Settings
from handlers.archive import collect, purge
from handlers.seal import public_pem
from storage.documents import past_retention


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("archive", help="export, verify and purge case bundles")
    actions = parser.add_subparsers(dest="archive_command", metavar="action", required=True)
    export = actions.add_parser("export", help="write <case>.zip: manifest, documents, evidence")
    export.add_argument("case_ref", help="a case number such as C-0007")
    export.add_argument("--tenant", default="console", help="workspace key (default: console)")
    export.add_argument("--out", type=Path, help="bundle path (default: ARCHIVE_DIR/<tenant>/<case>.zip)")
    export.set_defaults(archive_run=_export)
    check = actions.add_parser("verify", help="check a bundle offline: hashes, chain, signatures")
    check.add_argument("bundle", type=Path, help="a <case>.zip written by archive export")
    check.add_argument("--key", type=Path, help="the server's public key (PEM) to trust; default: "
                       "ARCHIVE_PUBLIC_KEY, else the public half of SIGNING_KEY_PATH if it exists "
                       "(never the key inside the bundle)")
    check.set_defaults(archive_run=_verify)
    clean = actions.add_parser("purge", help="delete cases and bundles past their retain-until date")
    clean.add_argument("--dry-run", action="store_true", help="say what would go; delete nothing")
    clean.set_defaults(archive_run=_purge)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    return args.archive_run(args)


def _export(args: argparse.Namespace) -> int:
    try:
        tenant_key = workspace(args.tenant).key
    except ValueError as error:
        raise CommandError(str(error)) from None
    return asyncio.run(_write(args.settings, args.case_ref.upper(), tenant_key, args.out))


async def _write(settings: Settings, ref: str, tenant_key: str, out: Path | None) -> int:
    services = bootstrap(settings)
    try:
        await services.ensure_migrated()
        async with services.uow_factory() as uow:
            tenant = await uow.tenants.by_key(tenant_key)
            case = tenant and await uow.cases.by_ref(tenant.id, ref)
            if not case:
                raise CommandError(f"no case {ref} in workspace {tenant_key}")
            bundle = await collect(uow, case, services.deps.signer, services.clock.now())
            state = case.state
    finally:
        await services.close()
    path = write(bundle, out or bundle_path(settings.ARCHIVE_DIR, bundle))
    until = bundle.retain_until.isoformat() if bundle.retain_until else "not set (case open)"
    print(f"wrote {path}: {len(bundle.files)} files; case {ref} is {state}; retain until {until}")
    return 0


def _public_pem(path: Path, source: str) -> str:
    """The public key in a PEM file (a private key's public half: the server's key file works)."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise CommandError(f"cannot read the key {path} ({source}): {error}") from None
    key: object
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError:
        try:
            key = serialization.load_pem_private_key(data, password=None).public_key()
        except (ValueError, TypeError):
            raise CommandError(f"{path} ({source}) is not a PEM public or private key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise CommandError(f"{path} ({source}) is not an Ed25519 key")
    return public_pem(key)


def pinned_key(key: Path | None, settings: Settings) -> tuple[str, str] | None:
    """The key the operator trusts and where it came from; None when nothing is pinned."""
    if key is not None:
        return _public_pem(key, "--key"), f"--key {key}"
    if settings.ARCHIVE_PUBLIC_KEY:
        path = Path(settings.ARCHIVE_PUBLIC_KEY)
        return _public_pem(path, "ARCHIVE_PUBLIC_KEY"), f"ARCHIVE_PUBLIC_KEY {path}"
    own = Path(settings.SIGNING_KEY_PATH)
    if own.is_file():
        return _public_pem(own, "SIGNING_KEY_PATH"), f"this server's key {own}"
    return None


def _verify(args: argparse.Namespace) -> int:
    pinned = pinned_key(args.key, args.settings)
    if not args.bundle.is_file():
        raise CommandError(f"no bundle at {args.bundle}")
    report = verify_bundle(args.bundle, pinned[0] if pinned else None)
    counts = ", ".join(f"{n} {what}" for what, n in report.checked.items())
    if report.trusted and pinned:
        print(f"OK: {args.bundle} verified offline ({counts}), sealed by the pinned key "
              f"{report.pinned_key} ({pinned[1]})")
        return 0
    if report.ok:
        print(f"NOT TRUSTED: {args.bundle} is intact ({counts}), but no key was pinned: its seals "
              "were checked only against the key inside the bundle, which whoever made the bundle "
              "chose. Pin the server's public key with --key FILE or ARCHIVE_PUBLIC_KEY.")
        return 1
    first, *rest = report.problems
    print(f"FAILED: {args.bundle}: first mismatch: {first}")
    for problem in rest:
        print(f"  also: {problem}")
    return 1


def _purge(args: argparse.Namespace) -> int:
    return asyncio.run(purge_past_retention(args.settings, args.dry_run))


async def purge_past_retention(settings: Settings, dry_run: bool) -> int:
    """Delete (or, dry, list) the cases and bundles past their retain-until date; prints them."""
    services = bootstrap(settings)
    try:
        await services.ensure_migrated()
        today = services.deps.calendar.local_date(services.clock.now())
        if dry_run:
            async with services.uow_factory() as uow:
                cases = [(c.ref, c.retain_until) for c in await past_retention(uow.session, today)]
            gone = [f"case {ref} (retain until {until})" for ref, until in cases]
        else:
            gone = [f"case {p.tenant} {p.ref} (retain until {p.retain_until}): "
                    + ", ".join(f"{n} {table}" for table, n in p.rows.items() if n)
                    for p in await purge(services.uow_factory, today)]
    finally:
        await services.close()
    for path in sorted(Path(settings.ARCHIVE_DIR).glob("*/*.zip")):
        until = retain_until(path)
        if until is not None and until < today:
            if not dry_run:
                path.unlink()
            gone.append(f"bundle {path} (retain until {until})")
    verb = "would delete" if dry_run else "deleted"
    if not gone:
        print(f"nothing is past its retain-until date ({today}); nothing {verb}")
        return 0
    print(f"{verb} {len(gone)} item(s) past their retain-until date ({today}):")
    for line in gone:
        print(f"  {line}")
    return 0
