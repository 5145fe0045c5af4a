"""Slack's inbound side: requests in (HTTP routes, Socket Mode, the bolt listeners), who asks, and
the answers queued in the outbox for the sender (bot.channels.slack.sender) to deliver."""
