"""`python -m rnnzoo.cli`: the same as the `rnnzoo` command."""

import sys

from rnnzoo.cli.main import main

sys.exit(main())
