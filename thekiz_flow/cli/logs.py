"""The log of `thekiz-flow run`: one line per record, as text or (``[logging] format =
"json"``) as one JSON object per line, with the fields a record carries in ``fields``."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

TEXT_FORMAT = "%(asctime)s %(levelname)s %(message)s"


class JsonFormatter(logging.Formatter):
    """``{"time": ..., "level": ..., "logger": ..., "message": ..., **fields}`` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": one_line(record.getMessage()),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update(fields)
        if record.exc_info and record.exc_info[1] is not None:
            entry["error"] = type(record.exc_info[1]).__name__
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """The text lines: a record's message on one line, whatever it contains."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        copy = logging.makeLogRecord(record.__dict__)  # other handlers see the record as it is
        copy.msg, copy.args = one_line(record.getMessage()), None
        copy.exc_info, copy.exc_text = None, None
        return super().format(copy)


def one_line(text: str) -> str:
    return " ".join(text.split())


def configure(log_format: str) -> None:
    """Log to standard error (the journal, under systemd), INFO and up, in ``log_format``."""
    root = logging.getLogger()
    if root.handlers:  # configured already (as logging.basicConfig, it leaves that alone)
        return
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    for chatty in ("apscheduler", "alembic"):  # our line per tick says what happened
        logging.getLogger(chatty).setLevel(logging.WARNING)
