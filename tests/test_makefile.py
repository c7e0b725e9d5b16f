"""The Makefile is every command a person runs: `make help` names each target."""

from __future__ import annotations

import re
import subprocess

from tests.helpers import REPO


def phony_targets() -> list[str]:
    text = (REPO / "Makefile").read_text(encoding="utf-8")
    match = re.search(r"^\.PHONY:(.*)$", text, re.MULTILINE)
    assert match, "the Makefile declares its targets .PHONY"
    return match.group(1).split()


def test_every_phony_target_has_a_rule() -> None:
    text = (REPO / "Makefile").read_text(encoding="utf-8")
    rules = set(re.findall(r"^([a-z][a-z-]*):", text, re.MULTILINE))
    assert set(phony_targets()) <= rules, set(phony_targets()) - rules


def test_make_help_lists_every_target_with_a_line_of_its_own() -> None:
    result = subprocess.run(
        ["make", "--no-print-directory", "-C", str(REPO), "help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    listed = re.findall(r"^make ([a-z-]+)\s+\S", result.stdout, re.MULTILINE)
    assert sorted(listed) == sorted(t for t in phony_targets() if t != "help")
