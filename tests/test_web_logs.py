"""The access log hides a calendar feed's token and leaves every other path alone."""

from __future__ import annotations

import logging

import pytest

from thekiz_flow.web.logs import ACCESS_LOGGER, hide_feed_tokens


def _access(path: str) -> None:
    # The shape of uvicorn's own access-log call.
    logging.getLogger(ACCESS_LOGGER).info(
        '%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", path, "1.1", 200
    )


def test_the_feed_token_never_reaches_the_log(caplog: pytest.LogCaptureFixture) -> None:
    hide_feed_tokens()
    hide_feed_tokens()  # installing twice adds no second filter
    with caplog.at_level(logging.INFO, logger=ACCESS_LOGGER):
        _access("/feeds/Zq3-secret_token.ics")
        _access("/centres/12?stage=basisbegleitung")
    feed, other = (record.getMessage() for record in caplog.records)
    assert "secret" not in feed
    assert '"GET /feeds/….ics HTTP/1.1" 200' in feed
    assert '"GET /centres/12?stage=basisbegleitung HTTP/1.1" 200' in other
    logger = logging.getLogger(ACCESS_LOGGER)
    assert sum(type(f).__name__ == "HideFeedTokens" for f in logger.filters) == 1
