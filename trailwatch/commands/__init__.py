"""One module per CLI subcommand, each with `add_arguments(parser)` and `run(args) -> int`.

Command modules keep heavy imports inside `run`, so `trailwatch --help` stays instant.
"""
