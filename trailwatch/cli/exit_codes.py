"""The one exit-status convention of every trailwatch command."""

OK = 0
# Something was found: drift, a weakening (with --fail-on-weakening), a failed sample, an unmet
# control, a drilled filter that did not match, nothing readable in replay's input.
FINDINGS = 1
# Bad usage or input: argparse's own code, and every TrailwatchError.
USAGE = 2
# Ctrl-C, as shells report a process ended by SIGINT.
INTERRUPTED = 130
