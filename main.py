"""The CDKTF app: one stack per target of the config (TRAILWATCH_CONFIG or trailwatch.yaml)."""

import sys

from trailwatch.errors import TrailwatchError
from trailwatch.replay.evidence import prove_samples
from trailwatch.spec.config import EMULATOR_OUTDIR, REAL_OUTDIR, REPO_ROOT
from trailwatch.spec.model import Deployment, load_deployment


def outdir_problem(deployment: Deployment) -> str | None:
    """Why the output folder is the wrong one for this deployment, or None.

    The emulator's stacks and a real deployment's never share the repository's output folder:
    each folder's `.terraform` remembers its backend, and switching gave Terraform's "Backend
    configuration changed". `cdktf deploy` always sets CDKTF_OUTDIR (to `cdktf.out` unless given
    `--output`), so that is where a mix-up shows.
    """
    outdir = deployment.outdir.resolve()
    if deployment.endpoint_url and outdir == (REPO_ROOT / REAL_OUTDIR).resolve():
        return (
            f"TRAILWATCH_ENDPOINT_URL is set (the emulator) but the output folder is "
            f"{REAL_OUTDIR}, the real deployment's: give cdktf `--output {EMULATOR_OUTDIR}` "
            "(python main.py writes there by itself), or unset TRAILWATCH_ENDPOINT_URL"
        )
    if not deployment.endpoint_url and outdir == (REPO_ROOT / EMULATOR_OUTDIR).resolve():
        return (
            f"the output folder {EMULATOR_OUTDIR} is the emulator's but TRAILWATCH_ENDPOINT_URL "
            f"is unset: a real deployment synthesizes into {REAL_OUTDIR}"
        )
    return None


def main() -> int:
    try:
        # Events whose samples do not prove their deployed pattern are refused before synth.
        deployment = prove_samples(load_deployment())
        # `validate` only warns of an expired exclusion rule; synth deploys none.
        deployment.refuse_expired()
    except TrailwatchError as err:
        print(f"trailwatch: {err}", file=sys.stderr)
        return 2
    problem = outdir_problem(deployment)
    if problem:
        print(f"trailwatch: {problem}", file=sys.stderr)
        return 2
    for warning in deployment.warnings:
        print(f"trailwatch: warning: {warning}", file=sys.stderr)
    # Imported after the config is known good: a bad config fails in well under a second.
    from stacks.aws import App
    from stacks.target_stack import TargetStack

    # jsii creates only the last folder of the outdir.
    deployment.outdir.mkdir(parents=True, exist_ok=True)
    app = App(outdir=str(deployment.outdir))
    for target in deployment.targets:
        TargetStack(app, deployment, target)
    app.synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
