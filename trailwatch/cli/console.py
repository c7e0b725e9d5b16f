"""The one rich Console of every command that prints tables.

rich wraps to 80 columns when its output is not a terminal (a pipe, a file, CI's log), so a
table of event ids split `console-signin-without-mfa` over two lines and grep found neither
half. Off a terminal the console is wide instead: tables and lines keep their natural width
(rich never pads a table to the console's width), and rules stay a readable length. A terminal
keeps its own width; COLUMNS, when set, wins everywhere (rich reads it).
"""

from __future__ import annotations

import os

from rich.align import AlignMethod
from rich.console import Console
from rich.rule import Rule
from rich.style import Style
from rich.text import Text

# Wide enough for any row of any command; lines are as long as their content, never padded.
WIDTH_OFF_TERMINAL = 1000
# Rules fill the console's width: off a terminal they get this many columns.
RULE_WIDTH_OFF_TERMINAL = 100


class _WideConsole(Console):
    """A Console whose rules stay short while its width is WIDTH_OFF_TERMINAL."""

    def rule(
        self,
        title: str | Text = "",
        *,
        characters: str = "─",
        style: str | Style = "rule.line",
        align: AlignMethod = "center",
    ) -> None:
        rule = Rule(title=title, characters=characters, style=style, align=align)
        self.print(rule, width=min(self.width, RULE_WIDTH_OFF_TERMINAL))


def console(stderr: bool = False) -> Console:
    """stdout's (or stderr's) console: the terminal's width there, wide off a terminal."""
    plain = Console(stderr=stderr)
    if plain.is_terminal or os.environ.get("COLUMNS", "").isdigit():
        return plain
    return _WideConsole(stderr=stderr, width=WIDTH_OFF_TERMINAL)
