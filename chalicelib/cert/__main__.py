"""`python -m chalicelib.cert ...`: certificate operator commands (see seal_upload.py)."""

import sys

from chalicelib.cert.seal_upload import main

sys.exit(main())
