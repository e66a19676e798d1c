"""JSON log lines with the request id. Request bodies are never logged."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from core import context

_SKIP = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "request"}


class RequestContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        ctx = context.current()
        record.request_id = ctx.request_id
        record.route = ctx.route
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line; extra fields pass through, the request object never does."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _SKIP and not key.startswith("_"):
                out[key] = (
                    value if isinstance(value, str | int | float | bool | None) else str(value)
                )
        if record.exc_info and record.exc_info[0] is not None:
            out["exc_type"] = record.exc_info[0].__name__
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str)
