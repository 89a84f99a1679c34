"""Why a delivery failed: written in English into the log (data stays English), said in the reader's language."""

from __future__ import annotations

import functools
import re

from crisisplay.i18n import N_, _

# Every reason crisisplay itself words; Apprise's own last line (already English) and `HTTP 500` /
# `SMTP 550` are shown as they are.
REASONS = (
    N_("connection refused"),
    N_("timed out after {seconds} s"),
    N_("host not found"),
    N_("TLS error"),
    N_("authentication failed"),
    N_("the server closed the connection"),
    N_("connection failed"),
    N_("not delivered"),
    N_("no target to send to"),
    N_("could not send: internal error"),
    N_("could not send: {kind}"),
    N_("{variable} is not set"),
    N_("not a valid {service}:// address"),
    N_("outcome unknown: the run stopped while it was being sent, and it was not sent again"),
    N_("simulated by the answers file"),
)


@functools.cache
def _patterns() -> tuple[tuple[re.Pattern[str], str], ...]:
    def pattern(template: str) -> re.Pattern[str]:
        parts = re.split(r"\{(\w+)\}", template)  # text, name, text, name, ..., text
        return re.compile(
            "".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)" for i, part in enumerate(parts))
        )

    return tuple((pattern(template), template) for template in REASONS)


def failure_words(reason: str | None) -> str:
    """A logged reason in the interface's language; one crisisplay did not word is shown as it is."""
    if not reason:
        return "?"
    for pattern, template in _patterns():
        found = pattern.fullmatch(reason)
        if found:
            return _(template).format(**found.groupdict())
    return reason
