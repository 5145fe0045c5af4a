"""The WeCom server API through wechatpy's enterprise client, pointed at WECOM_API_URL.

The access token lives in wechatpy's session storage: `RedisStorage` on our Redis (so every
replica shares one token), in-process memory without Redis or while Redis is down. A call
answered 40001/40014/42001 refetches the token and is retried once (wechatpy's auto-retry,
bounded here). wechatpy is synchronous (requests), so each call runs in a worker thread.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message as MimeHeaders
from typing import Any, TypeVar

import requests
from redis import Redis
from redis.exceptions import RedisError
from wechatpy.enterprise import WeChatClient
from wechatpy.exceptions import WeChatClientException
from wechatpy.session import SessionStorage
from wechatpy.session.memorystorage import MemoryStorage
from wechatpy.session.redisstorage import RedisStorage

from bot.channels.wecom.config import WeComConfig

log = logging.getLogger(__name__)

T = TypeVar("T")
TIMEOUT_SECONDS = 10.0
TOKEN_ERRORS = frozenset({40001, 40014, 42001})
# Worth another try later: no answer, system busy, frequency/concurrency limits, token trouble.
TRANSIENT_ERRORS = frozenset({None, -1, 45009, 45011, 45033, *TOKEN_ERRORS})
RATE_LIMITED = frozenset({45009, 45011, 45033})
# "taskid has existed or empty or exceed max len": ours are never empty nor too long, and unique
# per outbox row and attempt, so WeCom has it already from a send whose answer we never recorded.
TASK_ID_TAKEN = 42014


class ApiError(Exception):
    """A WeCom API call that failed; `errcode` is None when no API answer came back."""

    def __init__(self, errcode: int | None, errmsg: str) -> None:
        super().__init__(f"WeCom API error {errcode}: {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg

    @property
    def transient(self) -> bool:
        return self.errcode in TRANSIENT_ERRORS

    @property
    def rate_limited(self) -> bool:
        return self.errcode in RATE_LIMITED


class TokenStorage(SessionStorage):
    """wechatpy's RedisStorage, falling back to process memory while Redis is unreachable."""

    RETRY_AFTER = 1.0  # seconds before trying Redis again after a failure

    def __init__(self, redis: Redis, prefix: str = "offboard:wechatpy") -> None:
        self._redis = RedisStorage(redis, prefix=prefix)
        self._memory = MemoryStorage()
        self._down_until = 0.0

    def _try(self, call: Callable[[SessionStorage], T]) -> T:
        if time.monotonic() >= self._down_until:
            try:
                return call(self._redis)
            except (RedisError, OSError) as error:
                log.warning("Redis unavailable for the WeCom token (%s); using memory",
                            type(error).__name__)
                self._down_until = time.monotonic() + self.RETRY_AFTER
        return call(self._memory)

    def trying_redis(self) -> bool:
        """Whether the next call goes to Redis (no failure within the last RETRY_AFTER seconds)."""
        return time.monotonic() >= self._down_until

    def get(self, key: str, default: Any = None) -> Any:
        return self._try(lambda store: store.get(key, default))

    def set(self, key: str, value: Any, ttl: int | None = None) -> None:
        self._memory.set(key, value, ttl)  # also here, for when Redis goes away
        self._try(lambda store: store.set(key, value, ttl))

    def delete(self, key: str) -> None:
        self._memory.delete(key)
        self._try(lambda store: store.delete(key))


def token_storage(redis_url: str | None) -> SessionStorage:
    """Shared through Redis when there is one, else this process's memory."""
    if not redis_url:
        return MemoryStorage()
    client = Redis.from_url(redis_url, socket_connect_timeout=1.0, socket_timeout=2.0)
    return TokenStorage(client)


class _Session(requests.Session):
    """requests without a default timeout would let one stuck call hold a worker forever."""

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = TIMEOUT_SECONDS
        return super().request(method, url, *args, **kwargs)


class WeComClient(WeChatClient):
    """wechatpy's enterprise client with its base URL (and token URL) set to `api_url`."""

    def __init__(self, corp_id: str, secret: str, *, api_url: str,
                 session: SessionStorage) -> None:
        super().__init__(corp_id, secret, session=session, timeout=TIMEOUT_SECONDS)
        self.API_BASE_URL = api_url
        self._http = _Session()
        self._local = threading.local()

    @property
    def access_token_key(self) -> str:
        # wechatpy puts the secret's first characters in the key; a hash names it as well.
        fingerprint = hashlib.sha256(self.secret.encode()).hexdigest()[:12]
        return f"{self.corp_id}_{fingerprint}_access_token"

    def fetch_access_token(self) -> dict[str, Any]:
        return self._fetch_access_token(
            url=f"{self.API_BASE_URL}gettoken",
            params={"corpid": self.corp_id, "corpsecret": self.secret},
        )

    # wechatpy answers a token error by refetching the token and calling _request again, with
    # no limit; `auto_retry` (which it reads) allows that once per call, per thread.
    @property
    def auto_retry(self) -> bool:
        return getattr(getattr(self, "_local", None), "depth", 0) <= 1

    @auto_retry.setter
    def auto_retry(self, _value: bool) -> None:
        """wechatpy's constructor sets it; the property above decides."""

    def _request(self, method: str, url_or_endpoint: str, **kwargs: Any) -> Any:
        depth = getattr(self._local, "depth", 0)
        self._local.depth = depth + 1
        try:
            return super()._request(method, url_or_endpoint, **kwargs)
        finally:
            self._local.depth = depth

    def download(self, media_id: str) -> requests.Response:
        """media/get: the file's response, or WeChatClientException (one token refetch).

        Not through wechatpy's `_request`: it would try to read a file that happens to be JSON
        as an API answer. A file comes with a Content-Disposition; an error is JSON without one.
        """
        try:
            return self._media_response(media_id)
        except WeChatClientException as error:
            if error.errcode not in TOKEN_ERRORS:
                raise
        self.fetch_access_token()
        return self._media_response(media_id)

    def _media_response(self, media_id: str) -> requests.Response:
        response = self._http.get(
            f"{self.API_BASE_URL}media/get",
            params={"access_token": self.access_token, "media_id": media_id},
        )
        try:
            response.raise_for_status()
        except requests.RequestException:
            raise WeChatClientException(None, f"HTTP {response.status_code}") from None
        if "Content-Disposition" in response.headers:
            return response
        try:
            result = response.json()
        except ValueError:
            raise WeChatClientException(None, "media/get: neither a file nor JSON") from None
        raise WeChatClientException(int(result.get("errcode", -1)), str(result.get("errmsg", "")))


@dataclass(frozen=True)
class Media:
    filename: str
    media_type: str
    data: bytes


def _filename(response: requests.Response, fallback: str) -> str:
    headers = MimeHeaders()
    headers["Content-Disposition"] = response.headers.get("Content-Disposition", "")
    return headers.get_filename() or fallback


class WeComApi:
    """The calls the channel makes, as coroutines raising ApiError."""

    def __init__(self, client: WeComClient, agent_id: int) -> None:
        self.client = client
        self.agent_id = agent_id

    @classmethod
    def from_config(cls, config: WeComConfig) -> WeComApi:
        client = WeComClient(
            config.corp_id, config.secret.get_secret_value(), api_url=config.api_url,
            session=token_storage(config.redis_url),
        )
        return cls(client, config.agent_id)

    async def _call(self, call: Callable[[], T]) -> T:
        try:
            return await asyncio.to_thread(call)
        except WeChatClientException as error:
            raise ApiError(error.errcode, str(error.errmsg)) from None
        except requests.RequestException as error:
            raise ApiError(None, type(error).__name__) from None

    async def send(self, user_id: str, message: dict[str, Any]) -> dict[str, Any]:
        """message/send to one member; `message` holds msgtype and its object."""
        body = {"touser": user_id, "agentid": self.agent_id, **message}
        result = await self._call(lambda: self.client.post("message/send", data=body))
        if result.get("invaliduser"):
            raise ApiError(81013, f"not a member the app can reach: {result['invaliduser']}")
        return result

    async def update_button(self, user_id: str, response_code: str, replace_name: str) -> None:
        """message/update_template_card: the pressed card's buttons become `replace_name`."""
        body = {"userids": [user_id], "agentid": self.agent_id, "response_code": response_code,
                "button": {"replace_name": replace_name}}
        await self._call(lambda: self.client.post("message/update_template_card", data=body))

    async def send_to_chat(self, chat_id: str, content: str) -> dict[str, Any]:
        """appchat/send: markdown to an app group chat."""
        body = {"chatid": chat_id, "msgtype": "markdown", "markdown": {"content": content}}
        return await self._call(lambda: self.client.post("appchat/send", data=body))

    async def send_image_to_chat(self, chat_id: str, media_id: str) -> dict[str, Any]:
        """appchat/send: an uploaded image to an app group chat."""
        body = {"chatid": chat_id, "msgtype": "image", "image": {"media_id": media_id}}
        return await self._call(lambda: self.client.post("appchat/send", data=body))

    async def upload_image(self, filename: str, data: bytes) -> str:
        """media/upload (type image): a temporary image (3 days) to send; its media_id."""
        result = await self._call(lambda: self.client.media.upload("image", (filename, data, "image/png")))
        media_id = str(result.get("media_id") or "")
        if not media_id:
            raise ApiError(None, "media/upload gave no media_id")
        return media_id

    async def media(self, media_id: str) -> Media:
        response = await self._call(lambda: self.client.download(media_id))
        media_type = response.headers.get("Content-Type", "application/octet-stream")
        return Media(_filename(response, media_id), media_type.split(";")[0].strip(),
                     response.content)

    async def departments(self) -> list[dict[str, Any]]:
        return await self._call(lambda: self.client.department.get())

    async def users(self, department_id: int) -> list[dict[str, Any]]:
        """Members of `department_id` and every department below it, with their details."""
        return await self._call(
            lambda: self.client.user.list(department_id, fetch_child=True)
        )
