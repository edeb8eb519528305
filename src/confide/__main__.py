"""`python -m confide` runs the CLI."""

import sys

from confide.cli import main

sys.exit(main())
