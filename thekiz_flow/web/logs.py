"""The server's access log never shows a calendar feed's secret token."""

from __future__ import annotations

import logging
import re

FEED_PATH = re.compile(r"(/feeds/)[^/?\s]+(\.ics)")
ACCESS_LOGGER = "uvicorn.access"


class HideFeedTokens(logging.Filter):
    """Replaces the token in a feed's path with ``…`` in every access-log record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                FEED_PATH.sub(r"\1…\2", arg) if isinstance(arg, str) else arg for arg in record.args
            )
        record.msg = FEED_PATH.sub(r"\1…\2", str(record.msg))
        return True


def hide_feed_tokens() -> None:
    """Install the filter on uvicorn's access log (once)."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(f, HideFeedTokens) for f in logger.filters):
        logger.addFilter(HideFeedTokens())
