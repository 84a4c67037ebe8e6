"""Fixed costs the tests would pay again and again, paid once per session.

Each test makes its own app (and the digest its own report environment), so Jinja would
compile the same templates anew in every test. ``SharedBytecode`` keeps what was compiled
in memory for the session; Jinja checks each template's source against the checksum kept
with its code, so a changed file (an office's override, say) is compiled afresh.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ParamSpec

from jinja2 import Environment
from jinja2.bccache import Bucket, BytecodeCache

P = ParamSpec("P")


class SharedBytecode(BytecodeCache):
    """Compiled templates in memory, by Jinja's key (the template's name and file)."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


def sharing_bytecode(
    make: Callable[P, Environment], shared: SharedBytecode
) -> Callable[P, Environment]:
    """``make``, its environments loading and keeping compiled templates in ``shared``
    (one per kind of environment: their settings shape the code)."""

    def made(*args: P.args, **kwargs: P.kwargs) -> Environment:
        environment = make(*args, **kwargs)
        environment.bytecode_cache = shared
        return environment

    return made
