"""`python -m georeset.hub serve --port PORT --root DIR [--token TOKEN]`."""

import sys

from georeset.hub.cli import main

if __name__ == "__main__":
    sys.exit(main())

__all__: list[str] = []
