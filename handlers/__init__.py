"""Use cases: each handler takes a normalised request and a unit of work and drives the workflow.

Knows no Slack, no WeCom and no HTTP.
"""
