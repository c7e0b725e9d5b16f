"""The evidence kept in each events/*.yaml: its `samples` really match (or miss) its pattern.

Profile samples (`profiles.<name>.samples`) replace the default samples for that profile, and
exist only where the default samples would give another answer under the profile's pattern.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from trailwatch.patterns import compile_pattern

EVENTS = Path(__file__).resolve().parents[1] / "events"


def load_events() -> dict[str, dict[str, Any]]:
    events = {}
    for path in sorted(EVENTS.glob("*.yaml")):
        data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
        events[data["id"]] = data
    return events


EVENT_DATA = load_events()


def sample_cases() -> list[Any]:
    cases = []
    for event_id, data in EVENT_DATA.items():
        sets = [("default", data["pattern"], data.get("samples") or {})]
        for name, variant in (data.get("profiles") or {}).items():
            if "samples" in variant:
                sets.append((name, variant["pattern"], variant["samples"]))
        for profile, pattern, samples in sets:
            for expected, key in ((True, "match"), (False, "no_match")):
                for index, sample in enumerate(samples.get(key) or []):
                    cases.append(
                        pytest.param(
                            pattern, sample, expected, id=f"{event_id}-{profile}-{key}-{index}"
                        )
                    )
    return cases


def test_all_seventeen_events_are_loaded() -> None:
    assert len(EVENT_DATA) == 17


@pytest.mark.parametrize("event_id", sorted(EVENT_DATA))
def test_every_event_has_two_matches_and_two_near_misses(event_id: str) -> None:
    samples = EVENT_DATA[event_id].get("samples") or {}
    assert len(samples.get("match") or []) >= 2
    assert len(samples.get("no_match") or []) >= 2
    for sample in [*samples["match"], *samples["no_match"]]:
        assert sample["note"].strip()
        assert isinstance(sample["record"], dict)
        assert {"eventSource", "eventName", "eventTime", "userIdentity"} <= set(sample["record"])


@pytest.mark.parametrize(("pattern", "sample", "expected"), sample_cases())
def test_sample_agrees_with_its_pattern(
    pattern: str, sample: dict[str, Any], expected: bool
) -> None:
    assert compile_pattern(pattern).matches(sample["record"]) is expected, sample["note"]


@pytest.mark.parametrize("event_id", sorted(e for e, d in EVENT_DATA.items() if d.get("profiles")))
def test_profile_samples_exist_exactly_where_default_samples_would_disagree(event_id: str) -> None:
    data = EVENT_DATA[event_id]
    for variant in data["profiles"].values():
        under_profile = compile_pattern(variant["pattern"])
        differs = any(
            under_profile.matches(sample["record"]) is (key == "no_match")
            for key in ("match", "no_match")
            for sample in data["samples"][key]
        )
        assert differs == ("samples" in variant)
        if "samples" in variant:
            assert len(variant["samples"]["match"]) >= 2
            assert len(variant["samples"]["no_match"]) >= 2
