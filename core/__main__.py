import sys

from core.cli import run

sys.exit(run())
