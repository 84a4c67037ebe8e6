"""`python -m thekiz_flow.demo [--serve]`: build the demonstration database, print its tables
(and with ``--serve`` show the web pages on it)."""

import sys

from thekiz_flow.demo import main

sys.exit(main(sys.argv[1:]))
