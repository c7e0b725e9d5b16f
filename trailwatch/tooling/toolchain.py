"""Find Terraform and an offline AWS provider mirror, and write Terraform's CLI config.

Build machines reach no Terraform registry; they carry the AWS provider as a filesystem mirror.
`python -m trailwatch.tooling.toolchain PATH` writes a CLI config (TF_CLI_CONFIG_FILE) that
installs the AWS provider from that mirror, or an empty one when there is no mirror (the
registry is used).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

# Where provider mirrors are usually laid out; TRAILWATCH_PROVIDER_MIRROR names another.
MIRROR_CANDIDATES = (
    "/opt/tf-plugins",
    "/usr/local/share/terraform/plugins",
    "/usr/share/terraform/plugins",
    "~/.terraform.d/plugins",
    "~/.local/share/terraform/plugins",
)
# <mirror>/<registry host>/hashicorp/aws/<version>/<os_arch>/terraform-provider-aws_*
PROVIDER_BINARIES = "*/hashicorp/aws/*/*/terraform-provider-aws_*"


def provider_mirror() -> Path | None:
    """The mirror root holding the AWS provider, if this machine has one."""
    configured = os.environ.get("TRAILWATCH_PROVIDER_MIRROR")
    candidates = [configured] if configured else list(MIRROR_CANDIDATES)
    for candidate in candidates:
        root = Path(candidate).expanduser()
        if any(root.glob(PROVIDER_BINARIES)):
            return root
    return None


def terraform_binary() -> str | None:
    return shutil.which("terraform")


def cli_config(mirror: Path | None, plugin_cache: Path) -> str:
    # Each stack folder would otherwise get its own copy of the ~700 MB provider binary;
    # with a cache Terraform links it.
    cache = (
        f'plugin_cache_dir = "{plugin_cache}"\nplugin_cache_may_break_dependency_lock_file = true\n'
    )
    if mirror is None:
        return "# No offline provider mirror found: Terraform uses its registry.\n" + cache
    return (
        "# Written by `python -m trailwatch.tooling.toolchain`: the AWS provider from the local "
        "mirror.\n"
        + cache
        # The mirror alone: the stacks use only the AWS provider, and no registry is reachable.
        + "provider_installation {\n"
        "  filesystem_mirror {\n"
        f'    path = "{mirror}"\n'
        "  }\n"
        "}\n"
    )


def warm_plugin_cache(cli_config_path: Path) -> str:
    """Install the AWS provider into the plugin cache once, before any stack needs it.

    Terraform fills an empty cache without locking: two stacks initialising in parallel (cdktf
    deploy '*', the tests) race on it and one fails with "file exists". Once it is filled, inits
    only link from it.
    """
    binary = terraform_binary()
    if binary is None:
        return "terraform not on PATH; cache not warmed"
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "main.tf.json").write_text(
            '{"terraform": {"required_providers": {"aws": '
            '{"source": "hashicorp/aws", "version": ">= 5.100, < 7.0"}}}}'
        )
        env = {**os.environ, "TF_CLI_CONFIG_FILE": str(cli_config_path), "CHECKPOINT_DISABLE": "1"}
        result = subprocess.run(
            [binary, "init", "-input=false", "-backend=false", "-no-color"],
            cwd=folder,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
    if result.returncode != 0:
        return "cache not warmed: " + (result.stderr.strip().splitlines() or ["?"])[-1]
    return "AWS provider cached"


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m trailwatch.tooling.toolchain CLI_CONFIG_PATH", file=sys.stderr)
        return 2
    target = Path(argv[0])
    target.parent.mkdir(parents=True, exist_ok=True)
    mirror = provider_mirror()
    plugin_cache = (target.parent / "plugin-cache").resolve()
    plugin_cache.mkdir(exist_ok=True)
    target.write_text(cli_config(mirror, plugin_cache), encoding="utf-8")
    print(f"terraform CLI config: {target} (provider mirror: {mirror or 'none, registry'})")
    if mirror is not None:
        print(f"terraform plugin cache: {warm_plugin_cache(target.resolve())}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
