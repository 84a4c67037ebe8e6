"""The pure core: values, rules and arithmetic; no I/O, no clock reading."""
