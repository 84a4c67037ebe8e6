"""The measurement harness of thekiz-flow (`make bench`): every figure a ratio within one run."""
