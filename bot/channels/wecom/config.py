"""The WeCom settings the channel needs, read once from `Settings` (secrets stay SecretStr)."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import SecretStr

from bot.settings import Settings


@dataclass(frozen=True)
class WeComConfig:
    corp_id: str
    agent_id: int
    secret: SecretStr
    token: SecretStr
    aes_key: SecretStr
    api_url: str  # ends with "/"; endpoint names are appended
    card_url: str
    hr_webhook: SecretStr | None = None
    hr_chat_id: str = ""
    timezone: str = "Asia/Shanghai"
    city: str = ""
    locale: str = "zh-CN"
    redis_url: str | None = None

    @property
    def tenant_key(self) -> str:
        """How the handlers key this corp's workspace."""
        return f"wecom:{self.corp_id}"

    @classmethod
    def from_settings(cls, settings: Settings) -> WeComConfig | None:
        """The configuration, or None when WeCom is not set up (Settings checked completeness)."""
        if not settings.WECOM_CORP_ID:
            return None
        assert settings.WECOM_AGENT_ID is not None and settings.WECOM_SECRET is not None
        assert settings.WECOM_TOKEN is not None and settings.WECOM_AES_KEY is not None
        return cls(
            corp_id=settings.WECOM_CORP_ID,
            agent_id=settings.WECOM_AGENT_ID,
            secret=settings.WECOM_SECRET,
            token=settings.WECOM_TOKEN,
            aes_key=settings.WECOM_AES_KEY,
            api_url=settings.WECOM_API_URL,
            card_url=settings.WECOM_CARD_URL,
            hr_webhook=settings.WECOM_HR_WEBHOOK,
            hr_chat_id=settings.WECOM_HR_CHAT_ID,
            timezone=settings.TIMEZONE,
            city=settings.CITY,
            locale=settings.LOCALE,
            redis_url=settings.REDIS_URL,
        )
