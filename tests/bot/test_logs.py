"""Secrets never in logs, at any level: the process's logging set-up at DEBUG, and real traffic
through slack_sdk, httpx, requests/urllib3 and uvicorn's access log, with every secret setting
configured. One filter on the root handler (bot/logs.py) masks them all."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
import requests
from pydantic import SecretStr
from slack_sdk import WebClient
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook import WebhookClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.logs import OWN_LEVEL_LOGGERS, PAYLOAD, QUIET_LOGGERS, configure_logging, mask_secrets
from bot.settings import Settings
from tests.reliability.secrets_world import secret_settings

INSTALLED_TOKEN = "xoxb-2222222222-3333333333-InstalledByOAuth"  # not a setting: a shape
SIGNING_TOKEN = "Zq8sVbq1nKdWm3cR7tYxE2hJ5pLuA9oF"


class _FakePlatform(BaseHTTPRequestHandler):
    """Answers every call as Slack's oauth.v2.access would: with a freshly installed bot token."""

    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        self.rfile.read(length)
        body = json.dumps({"ok": True, "access_token": INSTALLED_TOKEN, "token_type": "bot",
                           "refresh_token": "xoxe-1-RefreshMe0123456789"}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args: object) -> None:  # the server's own stderr lines are not ours
        pass


@pytest.fixture
def platform() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakePlatform)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """The test sets logging up as `python -m bot` does; this puts pytest's back afterwards."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level, {name: logging.getLogger(name).level
                                           for name in (*QUIET_LOGGERS, *OWN_LEVEL_LOGGERS)}
    try:
        yield
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
        for name, level in saved[2].items():
            logging.getLogger(name).setLevel(level)


def test_no_configured_secret_or_token_reaches_any_logger_at_debug(
        platform: str, restore_logging: None, capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("DEBUG")  # LOG_LEVEL=DEBUG; here, in the test, its stderr is capsys's
    secrets = secret_settings()
    settings = Settings(_env_file=None, **secrets,
                        DATABASE_URL="postgresql+asyncpg://offboard:Db-Pass-w0rd@127.0.0.1:1/offboard")
    mask_secrets(settings.secret_values())
    bot_token, client_secret = secrets["SLACK_BOT_TOKEN"], secrets["SLACK_CLIENT_SECRET"]
    corp_secret = secrets["WECOM_SECRET"]

    # slack_sdk at DEBUG prints request bodies (the client secret) and responses (a new token).
    slack = WebClient(token=bot_token, base_url=f"{platform}/api/")
    slack.oauth_v2_access(client_id=settings.SLACK_CLIENT_ID or "", client_secret=client_secret,
                          code="4321.code-from-slack")
    slack.auth_test()
    # httpx (INFO) and requests/urllib3 (DEBUG) print URLs: WeCom puts its secrets in them.
    httpx.get(f"{platform}/cgi-bin/gettoken?corpid=ww1&corpsecret={corp_secret}")
    requests.get(f"{platform}/cgi-bin/message/send?access_token=AccessTok3nFromWeCom", timeout=5)
    # uvicorn's access log, as uvicorn writes it: the signing link's token is in the path.
    logging.getLogger("uvicorn.access").info('%s - "%s %s HTTP/%s" %d', "1.2.3.4:5", "GET",
                                             f"/sign/{SIGNING_TOKEN}?lang=en", "1.1", 200)
    # A library's debug line with a secret among its arguments, and a traceback carrying one.
    logging.getLogger("slack_bolt.App").debug("executing %r with %s", "UPDATE", (secrets["WECOM_TOKEN"],))
    try:
        raise RuntimeError(f"could not post with {secrets['SLACK_APP_TOKEN']} to {secrets['WECOM_HR_WEBHOOK']}")
    except RuntimeError:
        logging.getLogger("sqlalchemy.pool").exception("checkout failed for %s", "Db-Pass-w0rd")
    logging.getLogger("bot.app").warning("odd args %s %s", secrets["WECOM_AES_KEY"])  # too few args

    logged = capsys.readouterr().err
    assert " DEBUG slack_sdk" in logged and "httpx" in logged and "urllib3" in logged, logged[:2000]
    assert "Traceback" in logged and "uvicorn.access" in logged
    forbidden = {*settings.secret_values(), INSTALLED_TOKEN, "xoxe-1-RefreshMe0123456789", SIGNING_TOKEN,
                 "AccessTok3nFromWeCom", "4321.code-from-slack", "Db-Pass-w0rd"}
    leaked = sorted(secret for secret in forbidden if secret in logged)
    assert leaked == [], "\n".join(line for line in logged.splitlines() if any(s in line for s in leaked))
    assert "/sign/***?lang=en" in logged  # masked, the rest of the line kept


def test_what_people_are_sent_reaches_no_logger_at_debug(
        platform: str, restore_logging: None, capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("DEBUG")
    # slack_sdk at DEBUG prints each request's JSON and each response's body: the message itself.
    card = "经济补偿：23,456.78 × 5.5 = 129,012.29；特殊保护：孕期"
    WebClient(token="xoxb-1-2-3", base_url=f"{platform}/api/").chat_postMessage(channel="D1", text=card)
    # aiosqlite at DEBUG prints every statement with its values (as SQLAlchemy's engine does).
    logging.getLogger("aiosqlite").debug("executing %r", ("INSERT INTO outbox …", card))
    # A response_url or incoming webhook: whoever has it can post as the app.
    logging.getLogger("bot.channels.slack").debug("responding at %s", "https://hooks.slack.com/actions/T1/42/aBcD3f")

    logged = capsys.readouterr().err
    assert f"/api/chat.postMessage {PAYLOAD}" in logged and f"status: 200 {PAYLOAD}" in logged, logged[:2000]
    assert "129,012" not in logged and "孕期" not in logged and "aBcD3f" not in logged
    assert "hooks.slack.com/actions/***" in logged


@pytest.mark.parametrize(("level", "builds"), [("INFO", False), ("WARNING", False), ("DEBUG", True)])
def test_slack_sdk_builds_its_debug_lines_only_at_debug(level: str, builds: bool, restore_logging: None) -> None:
    """slack_sdk's clients format each call's payload into a debug line when their logger's own
    level is DEBUG or unset (its test is `logger.level <= DEBUG`): below DEBUG that is wasted work."""
    configure_logging(level)
    # The loggers the clients we use actually hold (slack_sdk may rename its modules).
    held = {"AsyncWebClient": AsyncWebClient()._logger, "WebClient": WebClient()._logger,
            "AsyncWebhookClient": AsyncWebhookClient("https://hooks.slack.com/x").logger,
            "WebhookClient": WebhookClient("https://hooks.slack.com/x").logger}
    for client, logger in held.items():
        assert (logger.level <= logging.DEBUG) is builds, client


def test_every_secret_setting_is_masked() -> None:
    """A SecretStr added to the settings later is masked without anyone remembering to list it."""
    secrets = secret_settings()
    settings = Settings(_env_file=None, **secrets)
    values = settings.secret_values()
    configured = {k for k in secrets if isinstance(getattr(settings, k), SecretStr)}
    assert len(configured) >= 8 and {secrets[k] for k in configured} <= set(values)
    assert secrets["WECOM_HR_WEBHOOK"].rsplit("key=", 1)[1] in values
