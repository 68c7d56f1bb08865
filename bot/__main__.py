"""`python -m bot` is the same as the `multiarch-bot` command."""

import sys

from bot.cli import main

sys.exit(main())
