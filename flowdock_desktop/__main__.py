"""``python -m flowdock_desktop``."""

import sys

from flowdock_desktop.cli import main

sys.exit(main())
