"""thekiz-flow: the workflow engine of the ThEKiZ coordination office."""

__version__ = "0.1.0"
