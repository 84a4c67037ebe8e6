"""thekiz-flow: the workflow engine of the ThEKiZ coordination office."""

__version__ = "0.1.0"  # the one place of the version: the wheel's metadata is read from here
