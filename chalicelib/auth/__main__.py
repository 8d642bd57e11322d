"""`python -m chalicelib.auth ...`: the staff-account operator CLI (see cli.py)."""

import sys

from chalicelib.auth.cli import main

sys.exit(main())
