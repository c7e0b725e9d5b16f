"""Options several commands share, defined once so they read and behave the same everywhere."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_config(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config", type=Path, help="config file (default: TRAILWATCH_CONFIG, else trailwatch.yaml)"
    )


def add_json(parser: argparse.ArgumentParser | argparse._MutuallyExclusiveGroup) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")


def add_target(parser: argparse.ArgumentParser, *, verb: str = "only") -> None:
    parser.add_argument(
        "--target",
        action="append",
        metavar="NAME",
        help=f"{verb} this target (repeatable; default: every target)",
    )
