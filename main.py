"""The CDKTF app: one stack per target of the config (TRAILWATCH_CONFIG or trailwatch.yaml)."""

import sys

from trailwatch.errors import TrailwatchError
from trailwatch.spec.model import load_deployment


def main() -> int:
    try:
        deployment = load_deployment()
    except TrailwatchError as err:
        print(f"trailwatch: {err}", file=sys.stderr)
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
