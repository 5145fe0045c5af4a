"""Settings: defaults that run the embedded trial, environment overrides, one-line errors."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest

from bot.settings import SettingsError, load_settings

NAMES = (
    "DATABASE_URL", "REDIS_URL", "TIMEZONE", "LOCALE", "QUIET_HOURS", "HOST", "PORT", "LOG_LEVEL",
    "MAX_BODY_BYTES", "POLL_INTERVAL_SECONDS", "OUTBOX_BATCH", "QUEUE_MAX_ATTEMPTS", "TIMER_BATCH",
    "CLAIM_LEASE_SECONDS", "REFERENCE_DATA", "JURISDICTION", "CITY", "RETENTION_YEARS",
)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No inherited variables, and no .env from the checkout."""
    for name in NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def test_defaults_run_the_embedded_trial() -> None:
    settings = load_settings()
    assert settings.DATABASE_URL == "sqlite+aiosqlite:///./offboard.db"
    assert settings.REDIS_URL is None
    assert (settings.TIMEZONE, settings.LOCALE, settings.JURISDICTION) == (
        "Asia/Shanghai", "zh-CN", "cn"
    )
    assert (settings.quiet_start, settings.quiet_end) == (time(21), time(8))
    assert (settings.HOST, settings.PORT, settings.LOG_LEVEL) == ("127.0.0.1", 8000, "INFO")
    assert settings.MAX_BODY_BYTES == 1024 * 1024
    assert settings.POLL_INTERVAL_SECONDS == 2.0
    assert (settings.OUTBOX_BATCH, settings.QUEUE_MAX_ATTEMPTS, settings.TIMER_BATCH) == (50, 8, 100)
    assert settings.CLAIM_LEASE_SECONDS == 60
    assert settings.REFERENCE_DATA == "config/reference-cn.json"
    assert (settings.CITY, settings.RETENTION_YEARS) == ("", 2)
    assert settings.chat_platforms() == ()


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://bot:pw@db:5432/offboard")
    monkeypatch.setenv("REDIS_URL", "redis://cache:6379/0")
    monkeypatch.setenv("PORT", "9000")
    monkeypatch.setenv("QUIET_HOURS", "22:30-07:15")
    monkeypatch.setenv("LOCALE", "en")
    monkeypatch.setenv("LOG_LEVEL", "debug")
    settings = load_settings()
    assert settings.DATABASE_URL.endswith("@db:5432/offboard")
    assert settings.REDIS_URL == "redis://cache:6379/0"
    assert settings.PORT == 9000
    assert (settings.quiet_start, settings.quiet_end) == (time(22, 30), time(7, 15))
    assert settings.LOCALE == "en"
    assert settings.LOG_LEVEL == "DEBUG"


def test_dotenv_is_read_and_environment_wins(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / ".env").write_text("PORT=8100\nCITY=shanghai\nREDIS_URL=\n", encoding="utf-8")
    monkeypatch.setenv("PORT", "8200")
    settings = load_settings()
    assert (settings.PORT, settings.CITY, settings.REDIS_URL) == (8200, "shanghai", None)


def test_urls_stay_out_of_the_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://bot:s3cret@db/offboard")
    monkeypatch.setenv("REDIS_URL", "redis://:s3cret@cache:6379/0")
    assert "s3cret" not in repr(load_settings())


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("PORT", "eighty", "valid integer"),
        ("PORT", "70000", "less than or equal to 65535"),
        ("TIMEZONE", "Mars/Olympus", "unknown time zone"),
        ("QUIET_HOURS", "9pm", "HH:MM-HH:MM"),
        ("LOCALE", "fr", "zh-CN, en"),
        ("LOG_LEVEL", "LOUD", "DEBUG, INFO"),
        ("DATABASE_URL", "postgresql://db/offboard", "postgresql+asyncpg://"),
        ("RETENTION_YEARS", "1", "greater than or equal to 2"),
        ("OUTBOX_BATCH", "0", "greater than 0"),
    ],
)
def test_a_bad_value_gets_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, words: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert message.startswith(f"invalid setting {name}: ")
    assert words in message
    assert "\n" not in message
