"""Socket Mode: the same bolt app, fed over a real websocket that it opens itself (the URL from
apps.connections.open on the fake Slack). Envelopes of each kind reach the listeners and are
acknowledged on the socket; a redelivered event changes nothing."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from sqlalchemy.ext.asyncio import AsyncEngine

from tests.e2e.slack_support import Sent, add_people, case_state, has_button, slack_stack


def _fields(sent: Sent) -> dict[str, Any]:
    return dict(parse_qsl(sent.body))


def _payload(sent: Sent) -> dict[str, Any]:
    return json.loads(_fields(sent)["payload"])


async def test_socket_mode_dispatches_commands_actions_forms_and_events(
        db_url: str, engine: AsyncEngine) -> None:
    async with slack_stack(db_url, socket_mode=True) as stack:
        fake = stack.fake
        add_people(fake, "T1", "example.com")
        await stack.import_directory("T1")
        t1 = stack.workspace("T1")
        assert fake.to("apps.connections.open")[0].token == "xapp-1-test"

        ack = await fake.send_envelope({
            "envelope_id": "env-1", "type": "slash_commands", "accepts_response_payload": True,
            "payload": _fields(t1.command_request("lee", "<@UT1ALICE> incompetent"))})
        answer = ack["payload"]
        assert answer["response_type"] == "ephemeral" and "C-0001" in answer["text"]
        assert has_button(answer["blocks"], "withdraw")

        # Evidence typed in the bot's DM, delivered twice (Slack's retry_attempt 1).
        event = json.loads(t1.event_request({
            "type": "message", "channel": "DT1LEE", "channel_type": "im", "user": t1.uid("lee"),
            "text": "evidence C-0001 绩效 2023H2: C", "ts": "1.1"}).body)
        for attempt in (0, 1):
            await fake.send_envelope({"envelope_id": f"env-ev-{attempt}", "type": "events_api",
                                      "accepts_response_payload": False, "retry_attempt": attempt,
                                      "retry_reason": "timeout" if attempt else "",
                                      "payload": event})
        async with stack.runtime.uow_factory() as uow:
            assert await uow.inbox.waiting() == 1  # kept once, retry and all
        await stack.settle()
        state, version = await case_state(stack)
        assert (state, version) == ("collecting_evidence", 2)

        # Withdraw, from the current card: the button opens a modal, its submission closes the case.
        ack = await fake.send_envelope({
            "envelope_id": "env-status", "type": "slash_commands", "accepts_response_payload": True,
            "payload": _fields(t1.command_request("lee", "status C-0001"))})
        current = ack["payload"]["blocks"]
        press = _payload(t1.press_request("lee", current, "withdraw", channel="CGENERAL",
                                          ephemeral=True))
        await fake.send_envelope({"envelope_id": "env-2", "type": "interactive",
                                  "accepts_response_payload": False, "payload": press})
        opened = t1.opened()
        submission = _payload(t1.submit_request("lee", opened, {"reason": "员工已主动离职"}))
        ack = await fake.send_envelope({"envelope_id": "env-3", "type": "interactive",
                                        "accepts_response_payload": True, "payload": submission})
        assert ack.get("payload") in (None, {})  # the modal simply closes
        await stack.settle()
        assert (await case_state(stack))[0] == "closed"
        assert fake.problems == []
