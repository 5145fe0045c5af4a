"""The conversation router: chat text in English or Chinese → a request for the handlers.

`parse` reads typed commands, `parse_action` reads button presses, `to_inbound` wraps either
(or a ParseError) for `handlers.dispatch`; `help_text` / `usage` render the command list.
"""

from bot.router.parse import Parsed, ParseError, parse, parse_action, to_inbound
from bot.router.readers import case_ref as normalise_case_ref
from workflow.command_texts import help_text, usage

__all__ = [
    "ParseError",
    "Parsed",
    "help_text",
    "normalise_case_ref",
    "parse",
    "parse_action",
    "to_inbound",
    "usage",
]
