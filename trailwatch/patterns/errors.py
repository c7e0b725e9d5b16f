"""The one error the pattern engine raises for a pattern it cannot accept."""

from __future__ import annotations

from trailwatch.errors import TrailwatchError


class PatternSyntaxError(TrailwatchError):
    """A filter pattern that CloudWatch Logs would reject, with the column where it goes wrong.

    `position` is a 0-based column into `pattern`; the message shows the same number so that a
    reader and a test agree on it.
    """

    def __init__(self, pattern: str, position: int, reason: str) -> None:
        self.pattern = pattern
        self.position = position
        self.reason = reason
        super().__init__(f"column {position}: {reason} in {_one_line(pattern)}")

    def __reduce__(self) -> tuple[type[PatternSyntaxError], tuple[str, int, str]]:
        # Exceptions pickle their args by default; ours are the three fields.
        return (type(self), (self.pattern, self.position, self.reason))


def _one_line(pattern: str) -> str:
    # The CLI prints the error as one line: show line breaks and tabs as escapes.
    return pattern.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
