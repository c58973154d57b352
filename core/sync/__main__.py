"""`python -m core.sync`: the sidecar's entry point (DESIGN section 8). The process is composed in core.sidecar."""

import sys

from core.sidecar import main

if __name__ == "__main__":
    sys.exit(main())
