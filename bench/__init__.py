"""Benchmarks (issue 6): how fast the bot is, measured, not asserted. Not part of the test suite.

`python -m bench` runs them all and prints one table; `python -m bench --list` names them.
Each benchmark module has `NAME`, `TITLE` and `async def run(ctx) -> list[Result]`, and is listed
in bench.__main__.BENCHES (the ack-path and outbox benchmarks join there with the chat channels).
"""
