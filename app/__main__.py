"""`python -m app` runs LoopLab exactly as the `looplab` command does."""

import sys

from app.main import main

sys.exit(main())
