"""``python -m kl_drift``: the same as the ``kl-drift`` command."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
