"""Everything that imports cdktf: the constructs and the per-target stack.

The rest of trailwatch (catalog, engine, replay, reports, CLI) never imports this package.
"""
