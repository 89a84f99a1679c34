"""Times as the incident log writes them: RFC 3339 UTC with milliseconds and `Z`."""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    """The current time, timezone-aware UTC: the default clock."""
    return datetime.now(UTC)


def format_ts(moment: datetime) -> str:
    """RFC 3339 UTC with milliseconds and `Z`, e.g. `2026-11-25T22:51:56.123Z`."""
    if moment.tzinfo is not UTC:  # the default clock's moments are UTC already
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError(f"cannot log a naive datetime ({moment.isoformat()}): give it a timezone")
        moment = moment.astimezone(UTC)
    # `isoformat` cuts (never rounds) to milliseconds and pads the year to four digits; in UTC it
    # ends in `+00:00`, which the log writes as `Z`. Twice as fast as formatting each field.
    return moment.isoformat(timespec="milliseconds")[:-6] + "Z"


def parse_ts(text: str) -> datetime:
    """Parse an RFC 3339 time that carries `Z` or an offset into an aware UTC datetime."""
    try:
        moment = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        raise ValueError(f"not an RFC 3339 time: {text!r}") from None
    if moment.tzinfo is None:
        raise ValueError(f"time has no timezone (expected `Z` or an offset): {text!r}")
    return moment.astimezone(UTC)


def elapsed_ms(start: datetime, moment: datetime) -> int:
    """Whole milliseconds from `start` to `moment` (the log holds no floats), cut toward zero.

    In integers: `total_seconds() * 1000` is a float, and 128.039 s read 128038.99999… ms."""
    span = moment - start
    micro = (span.days * 86_400 + span.seconds) * 1_000_000 + span.microseconds
    return micro // 1000 if micro >= 0 else -(-micro // 1000)
