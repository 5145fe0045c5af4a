"""The chat platforms' fake APIs (tests/e2e) as benchmark fixtures, served from the bench process."""

from __future__ import annotations

import contextlib
import os
import random
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from bot.clock import SystemClock
from tests.bot.services_support import serving
from tests.e2e.fake_slack import FakeSlack
from tests.e2e.wecom_fake import FakeWeCom

# The shared Redis (never flushed: the benches only publish wake-ups and keep dialogs under a
# corp id of their own).
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
# The one Slack workspace the benches' serve and worker are configured for.
TEAM, HR_CHANNEL = "T1", "CHR1"
SLACK_SECRET, SLACK_TOKEN = "bench-signing-secret-0123456789ab", "xoxb-T1"


@dataclass
class QuietSlack(FakeSlack):
    """The fake Slack without checking each payload's Block Kit as it arrives: that check costs
    the fake more CPU than answering, on the machine the measured processes share. A sample of the
    recorded calls is checked afterwards instead (`check_sample`). It notes when each message was
    updated (`updated`: ts → Unix time of its chat.update), for the time from press to card."""

    updated: dict[str, float] = field(default_factory=dict)

    def _check(self, method: str, args: dict[str, Any]) -> None:
        if method == "chat.update":
            self.updated.setdefault(str(args.get("ts")), time.time())

    def check_sample(self, size: int) -> list[str]:
        """Block Kit problems in up to `size` recorded calls (chosen at random)."""
        calls = random.sample(self.calls, min(size, len(self.calls)))
        before = len(self.problems)
        for call in calls:
            FakeSlack._check(self, call.method, call.args)
        return self.problems[before:]


@contextlib.asynccontextmanager
async def fake_wecom(corp_id: str, secret: str) -> AsyncIterator[tuple[FakeWeCom, str]]:
    """The fake WeCom API and its URL; on the system clock, so that each call is timed (and the
    group robot keeps to its 20 posts a minute)."""
    fake = FakeWeCom(corp_id=corp_id, secret=secret, clock=SystemClock())
    async with serving(fake.app()) as url:
        yield fake, url
