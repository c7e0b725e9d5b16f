"""The one error the pattern engine raises for a pattern it cannot accept.

Defined with every other user-facing error in `trailwatch.errors`; re-exported here so the
engine's API stays `trailwatch.patterns.PatternSyntaxError`.
"""

from trailwatch.errors import PatternSyntaxError

__all__ = ["PatternSyntaxError"]
