"""`python -m bot webhook add|list|test|remove`: the company systems told of case events.

`add` prints the subscription's signing secret once (whsec_…): the receiver verifies deliveries with
it, and the IT system signs its callbacks with it. `test` sends a signed webhook.test event now and
prints the receiver's answer.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
from urllib.parse import urlsplit

from bot.bootstrap import Services
from bot.channels.base import DeliveryError
from bot.channels.webhook import WebhookChannel
from bot.cli import CommandError
from bot.cli.workspace import migrated, tenant_named
from bot.directory import workspace
from bot.settings import Settings
from storage import sealed
from storage.models import WebhookSubscription
from storage.outbox import OutboxItem
from workflow.handover import default_template
from workflow.webhooks import DEFAULT_FIELDS, FIELDS, SENSITIVE, Event, payload, secret_of, unknown_fields

SECRET_BYTES = 24
CASE_EVENTS = [e.value for e in Event if e != Event.TEST]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("webhook", help="tell other systems of case events (signed webhooks)")
    parser.add_argument("--tenant", default="console", help="workspace key (default: console)")
    actions = parser.add_subparsers(dest="webhook_command", metavar="action", required=True)
    add = actions.add_parser("add", help="subscribe a system; prints its signing secret once")
    add.add_argument("name", help="a short name, e.g. payroll or it")
    add.add_argument("url", help="where to POST (http:// or https://)")
    add.add_argument("--events", default=",".join(CASE_EVENTS),
                     help=f"comma-separated, of: {', '.join(CASE_EVENTS)} (default: all)")
    add.add_argument("--fields", default=",".join(DEFAULT_FIELDS),
                     help=f"payload fields it may see, of: {', '.join(FIELDS)} (default: all but "
                          f"{', '.join(sorted(SENSITIVE))}, which must be named)")
    add.add_argument("--completes", default="", help="handover items it may complete by calling back, "
                     "e.g. account_revocation")
    actions.add_parser("list", help="the subscriptions (secrets are not shown)")
    test = actions.add_parser("test", help="send a signed webhook.test event now")
    test.add_argument("name")
    remove = actions.add_parser("remove", help="unsubscribe a system")
    remove.add_argument("name")
    parser.set_defaults(func=run)


def _names(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def run(args: argparse.Namespace) -> int:
    try:
        tenant_key = workspace(args.tenant).key
    except ValueError as error:
        raise CommandError(str(error)) from None
    if args.webhook_command == "add":
        _check_add(args)
    return asyncio.run(_run(args, args.settings, tenant_key))


def _check_add(args: argparse.Namespace) -> None:
    url = urlsplit(args.url)
    if url.scheme not in ("http", "https") or not url.netloc:
        raise CommandError(f"{args.url!r} is not an http(s) URL")
    if bad := [e for e in _names(args.events) if e not in CASE_EVENTS]:
        raise CommandError(f"unknown event(s) {', '.join(bad)}; known: {', '.join(CASE_EVENTS)}")
    if bad := unknown_fields(_names(args.fields)):
        raise CommandError(f"unknown field(s) {', '.join(bad)}; known: {', '.join(FIELDS)}")
    kinds = [item.key for item in default_template()]
    if bad := [k for k in _names(args.completes) if k not in kinds]:
        raise CommandError(f"unknown handover item(s) {', '.join(bad)}; known: {', '.join(kinds)}")


async def _run(args: argparse.Namespace, settings: Settings, tenant_key: str) -> int:
    async with migrated(settings) as services:
        async with services.uow_factory() as uow:
            tenant = await tenant_named(uow, tenant_key)
            command = args.webhook_command
            if command == "list":
                for s in await uow.webhooks.for_tenant(tenant.id):
                    print(f"{s.name}\t{s.url}\tevents={','.join(s.events)}\tfields={','.join(s.fields)}"
                          f"\tcompletes={','.join(s.completes) or '-'}")
                return 0
            if command == "add":
                if sealed.cipher() is None:
                    raise CommandError("set SECRET_KEYS (Fernet keys, as SLACK_TOKEN_KEYS) first: the "
                                       "signing secret is kept encrypted in the database")
                if await uow.webhooks.by_name(tenant.id, args.name):
                    raise CommandError(f"a subscription named {args.name} exists; remove it first")
                secret = secret_of(secrets.token_bytes(SECRET_BYTES))
                await uow.webhooks.add(WebhookSubscription(
                    tenant_id=tenant.id, name=args.name, url=args.url, secret=secret,
                    events=_names(args.events), fields=_names(args.fields), completes=_names(args.completes),
                    created_at=services.clock.now()))
                await uow.commit()
                print(f"subscribed {args.name}; its signing secret (shown once): {secret}")
                return 0
            subscription = await uow.webhooks.by_name(tenant.id, args.name)
            if subscription is None:
                raise CommandError(f"no subscription named {args.name} in workspace {tenant_key}")
            if command == "remove":
                await uow.webhooks.remove(subscription.id)
                await uow.commit()
                print(f"removed {args.name}")
                return 0
        return await _test(services, subscription, tenant.id)


async def _test(services: Services, subscription: WebhookSubscription, tenant_id: int) -> int:
    now = services.clock.now()
    body = payload(Event.TEST, None, now, {}, subscription.fields)
    item = OutboxItem(id=0, tenant_id=tenant_id, case_id=None, channel="webhook", recipient=subscription.name,
                      kind=Event.TEST.value, attempts=0, payload={
                          "subscription_id": subscription.id, "body": body,
                          "webhook_id": f"msg_test_{secrets.token_hex(8)}"})
    channel = WebhookChannel(uow_factory=services.uow_factory, now=services.clock.now)
    try:
        answer = await channel.deliver(item)
    except DeliveryError as error:
        print(f"FAILED: {error}")
        return 1
    finally:
        await channel.close()
    print(f"OK: {subscription.url} answered {answer['status']}")
    return 0
