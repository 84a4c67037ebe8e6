"""`python -m thekiz_flow` runs the CLI."""

import sys

from thekiz_flow.cli import main

sys.exit(main())
