"""CDK Terrain (cdktn) synthesizes the same Terraform as CDKTF (cdktf, the default engine).

The default config is synthesized by each engine in its own environment: cdktf in this one
(`default_synth`), cdktn in .tools/cdktn (`make install CDK=cdktn`, which `make test` runs). Every
stack's JSON must be identical apart from exactly two things, normalised below and nothing else:

- `//.metadata.version`, the version of the engine that wrote the file (`manifest.json`'s
  `version` too);
- `terraform.required_providers.aws.source`: cdktf's prebuilt bindings write `aws`, cdktn's
  `hashicorp/aws`; Terraform reads both as the same provider, hashicorp/aws in its default
  registry.

The cdktn CLI (`cdktn synth`, tools/cdktn/package.json) must write the same files as the cdktn
app run directly, from the committed cdktf.json.
"""

from __future__ import annotations

import ast
import copy
import importlib.util
import json
import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers import REPO, Synth, default_config, missing_tool

CDKTN_ENV = REPO / ".tools" / "cdktn"
CDKTN_PYTHON = CDKTN_ENV / "bin" / "python"
CDKTN_PIPFILE = REPO / "tools" / "cdktn" / "Pipfile"
CDKTN_CLI = REPO / "tools" / "cdktn" / "node_modules" / ".bin" / "cdktn"
PIPENV = REPO / ".tools" / "bin" / "pipenv"

# The provider's source as each engine spells it: both hashicorp/aws of the default registry.
AWS_SOURCES = {"cdktf": "aws", "cdktn": "hashicorp/aws"}


def cdktn_environment(workdir: Path) -> dict[str, str]:
    """The cdktn environment first on PATH (its Node 24 too), the config beside the outdir."""
    env = {k: v for k, v in os.environ.items() if k != "TRAILWATCH_ENDPOINT_URL"}
    env.update(
        PATH=os.pathsep.join([str(CDKTN_ENV / "bin"), str(PIPENV.parent), env.get("PATH", "")]),
        TRAILWATCH_CDK="cdktn",
        TRAILWATCH_CONFIG=str(workdir / "trailwatch.yaml"),
        CDKTF_OUTDIR=str(workdir / "cdktf.out"),
        CHECKPOINT_DISABLE="1",
    )
    return env


def write_config(workdir: Path) -> None:
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "trailwatch.yaml").write_text(yaml.safe_dump(default_config(), sort_keys=False))


@pytest.fixture(scope="module")
def cdktn_version() -> str:
    if not CDKTN_PYTHON.is_file():
        missing_tool(f"{CDKTN_ENV} is missing: run `make install CDK=cdktn`")
    result = subprocess.run(
        [str(CDKTN_PYTHON), "-c", "import importlib.metadata as m; print(m.version('cdktn'))"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    if result.returncode != 0:
        missing_tool(f"cdktn is not installed in {CDKTN_ENV}: {result.stderr.strip()}")
    return result.stdout.strip()


@pytest.fixture(scope="module")
def cdktn_synth(cdktn_version: str, tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """The default config, synthesized by `python main.py` in the cdktn environment.

    Its folder sits as deep as `default_synth`'s, so that the relative local-backend paths match.
    """
    workdir = tmp_path_factory.mktemp("synth-cdktn")
    write_config(workdir)
    result = subprocess.run(
        [str(CDKTN_PYTHON), str(REPO / "main.py")],
        cwd=workdir,
        env=cdktn_environment(workdir),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return Synth(workdir)


def normalised(data: dict[str, Any], engine: str, engine_version: str) -> dict[str, Any]:
    """A stack's JSON with exactly the engine's own marks replaced: its version and the
    provider source spelling. Each is checked to be what that engine writes first."""
    data = copy.deepcopy(data)
    metadata = data["//"]["metadata"]
    assert metadata["version"] == engine_version, f"{engine} did not write this stack"
    metadata["version"] = "<engine version>"
    aws = data["terraform"]["required_providers"]["aws"]
    assert aws["source"] == AWS_SOURCES[engine]
    aws["source"] = "<hashicorp/aws>"
    return data


def read_json(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


@pytest.mark.synth
def test_both_engines_synthesize_the_same_stacks(
    default_synth: Synth, cdktn_synth: Synth, cdktn_version: str
) -> None:
    cdktf_version = version("cdktf")
    assert cdktf_version != cdktn_version
    assert default_synth.stack_names() == cdktn_synth.stack_names()
    assert default_synth.stack_names()
    for stack in default_synth.stack_names():
        cdktf = normalised(default_synth.stack(stack), "cdktf", cdktf_version)
        cdktn = normalised(cdktn_synth.stack(stack), "cdktn", cdktn_version)
        assert cdktf == cdktn, stack


@pytest.mark.synth
def test_both_engines_write_the_same_manifest(
    default_synth: Synth, cdktn_synth: Synth, cdktn_version: str
) -> None:
    cdktf = read_json(default_synth.outdir / "manifest.json")
    cdktn = read_json(cdktn_synth.outdir / "manifest.json")
    assert (cdktf.pop("version"), cdktn.pop("version")) == (version("cdktf"), cdktn_version)
    assert cdktf == cdktn


@pytest.mark.synth
def test_cdktn_cli_synthesizes_what_the_app_does(
    cdktn_synth: Synth, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """`cdktn synth` from the repository, with the committed cdktf.json: its app
    (`pipenv run python main.py`) runs in the cdktn environment that PIPENV_PIPFILE names."""
    if not CDKTN_CLI.is_file():
        missing_tool(f"{CDKTN_CLI} is missing: run `make install CDK=cdktn`")
    if not PIPENV.is_file():
        missing_tool(f"{PIPENV} is missing: run `make install`")
    workdir = tmp_path_factory.mktemp("synth-cdktn-cli")
    write_config(workdir)
    env = cdktn_environment(workdir)
    env.update(
        VIRTUAL_ENV=str(CDKTN_ENV),
        PIPENV_PIPFILE=str(CDKTN_PIPFILE),
        PIPENV_VERBOSITY="-1",
        PIPENV_NOSPIN="1",
    )
    result = subprocess.run(
        [str(CDKTN_CLI), "synth", "--output", str(workdir / "cdktf.out")],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    cli = Synth(workdir)
    assert cli.stack_names() == cdktn_synth.stack_names()
    for stack in cli.stack_names():
        assert cli.stack(stack) == cdktn_synth.stack(stack), stack


@pytest.mark.synth
@pytest.mark.parametrize(
    ("engine", "message"),
    [
        ("cdkx", "TRAILWATCH_CDK='cdkx': expected one of cdktf, cdktn"),
        ("cdktn", "run `make install CDK=cdktn`"),
    ],
)
def test_an_engine_that_is_not_there_fails_plainly(engine: str, message: str) -> None:
    """This environment has cdktf only: naming another engine fails at import, saying why."""
    if importlib.util.find_spec("cdktn") is not None:
        pytest.skip("cdktn is installed in this environment")
    result = subprocess.run(
        [sys.executable, "-c", "import stacks.aws"],
        cwd=REPO,
        env={**os.environ, "TRAILWATCH_CDK": engine},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert message in result.stderr


SEAM = REPO / "stacks" / "aws.py"
CDK_MODULES = {"cdktf", "cdktn", "constructs", "cdktf_cdktf_provider_aws", "cdktn_provider_aws"}


def imported_modules(tree: ast.AST) -> set[str]:
    """Top-level package of every import in a module, wherever it sits."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.unit
@pytest.mark.parametrize(
    "path",
    [REPO / "main.py", *sorted(p for p in (REPO / "stacks").glob("*.py") if p != SEAM)],
    ids=lambda p: p.relative_to(REPO).as_posix(),
)
def test_only_the_seam_imports_the_cdk(path: Path) -> None:
    assert not imported_modules(ast.parse(path.read_text())) & CDK_MODULES


@pytest.mark.unit
def test_the_seams_type_checking_imports_name_what_it_loads() -> None:
    """The `if TYPE_CHECKING:` imports (cdktf's, for type checkers) and the tables the seam
    loads at run time list the same classes from the same modules."""
    tree = ast.parse(SEAM.read_text())
    tables = {
        target.id: ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name) and target.id in {"CORE_CLASSES", "PROVIDER_CLASSES"}
    }
    [checking] = [
        node
        for node in tree.body
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name)
        if node.test.id == "TYPE_CHECKING"
    ]
    static: dict[str, list[str]] = {}
    for node in checking.body:
        assert isinstance(node, ast.ImportFrom) and node.module
        static.setdefault(node.module, []).extend(alias.name for alias in node.names)
    loaded = {"cdktf": list(tables["CORE_CLASSES"])} | {
        f"cdktf_cdktf_provider_aws.{module}": list(names)
        for module, names in tables["PROVIDER_CLASSES"].items()
    }
    assert static == loaded
