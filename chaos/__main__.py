"""`python -m chaos`: the chaos suite without Django loaded first (see chaos.cli)."""

import sys

from chaos.cli import main

sys.exit(main())
