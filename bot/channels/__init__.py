"""Channel adapters: each turns an outbox item into a platform message (console, Slack, WeCom)."""
