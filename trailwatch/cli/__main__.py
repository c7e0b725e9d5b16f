"""`python -m trailwatch.cli`: the same as the `trailwatch` command."""

import sys

from trailwatch.cli import main

sys.exit(main())
