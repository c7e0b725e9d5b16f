"""`trailwatch state` on state files that are not what Terraform writes: one message each."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import REPO
from trailwatch.cli import main


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[]", "not a Terraform state file (not a JSON object)"),
        (
            '{"version": 4, "resources": [{"mode": "managed", "instances": [{}]}]}',
            "not a Terraform state file ('type')",
        ),
        ('{"version": 3}', "Terraform state format version 3 is not supported"),
        ('{"version": 4, "resou', "cannot read Terraform state"),
    ],
)
def test_malformed_state_is_one_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    shutil.copy(REPO / "trailwatch.yaml", tmp_path / "trailwatch.yaml")
    (tmp_path / "state").mkdir()
    (tmp_path / "state" / "trailwatch-primary.tfstate").write_text(content)
    code = main(["state", "--target", "primary", "--config", str(tmp_path / "trailwatch.yaml")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith(f"trailwatch: {tmp_path / 'state' / 'trailwatch-primary.tfstate'}")
    assert message in err
    assert "Traceback" not in err
