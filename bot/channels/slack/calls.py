"""The outbox kinds the Slack adapter writes (bot.channels.slack.inbound.answers) and its sender
performs (bot.channels.slack.sender): one prepared Web API call, or a POST to a response_url."""

from __future__ import annotations

# Outbox kind of an item that is one prepared Web API call (payload: method, args).
CALL = "slack_call"
# POST to an interaction's response_url (payload args: url, body): answers on ephemeral messages.
RESPONSE_URL = "response_url"
CALLS = frozenset({"chat.postMessage", "chat.update", "chat.postEphemeral", "views.publish",
                   RESPONSE_URL})
