"""Everything that uses the CDK: the constructs and the per-target stack.

Only `stacks/aws.py` imports the CDK itself (cdktf or cdktn, and the AWS provider bindings); the
other modules here and `main.py` take its classes from there.

The rest of trailwatch (catalog, engine, replay, reports, CLI) never imports this package.
"""
