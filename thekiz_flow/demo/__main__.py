"""`python -m thekiz_flow.demo`: build the demonstration database and print its tables."""

import sys

from thekiz_flow.demo import main

sys.exit(main())
