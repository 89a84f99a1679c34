"""What `crisisplay contacts` lists, and what `crisisplay contacts test` sends: data only, the CLI prints it."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from crisisplay.config import Config
from crisisplay.errors import UsageError
from crisisplay.findings import did_you_mean
from crisisplay.i18n import N_, _


def contact_rows(config: Config) -> list[dict[str, Any]]:
    """One row per configured role: the person, how to reach them (targets masked), the backup."""
    return [
        {
            "role": role,
            "name": contact.name,
            "phone": contact.phone,
            "email": contact.email,
            "backup": contact.backup,
            "targets": [{"service": t.service, "target": t.masked, "where": t.where} for t in contact.notify],
        }
        for role, contact in config.contacts.items()
    ]


def chosen_roles(config: Config, roles: Sequence[str]) -> list[str]:
    """The roles to test: those named (NFC, as the config keeps them), or every configured one."""
    import unicodedata

    if not roles:
        return list(config.contacts)
    chosen = []
    for role in roles:
        key = unicodedata.normalize("NFC", role)
        if key not in config.contacts:
            known = ", ".join(config.contacts) or _("none")
            raise UsageError(
                _("no contact for role '{role}'{suggestion}; configured roles: {roles}").format(
                    role=role, suggestion=did_you_mean(key, config.contacts), roles=known
                )
            )
        if key not in chosen:
            chosen.append(key)
    return chosen


def send_test_notices(config: Config, roles: Sequence[str], timeout: float = 10.0) -> list[dict[str, Any]]:
    """Send a test notice to every target of each role (all of them, not the first that works).

    One result per target, in the configuration's order: `delivered` true, or false with `error`;
    a role with no targets gives one result with `target` None. Call `check_targets` first."""
    from crisisplay.notify.courier import Attempt, Courier, Notice

    outcomes: dict[str, Attempt] = {}
    lock = threading.Lock()

    def report(attempt: Attempt) -> None:
        with lock:
            outcomes[attempt.notice.key] = attempt

    results: list[dict[str, Any]] = []
    courier = Courier(report, timeout=timeout, retries=0)
    try:
        for role in roles:
            contact = config.contacts[role]
            base = {"role": role, "name": contact.name}
            if not contact.notify:
                results.append({**base, "service": None, "target": None, "where": None, "delivered": None})
                continue
            for number, target in enumerate(contact.notify):
                key = f"{role}#{number}"
                results.append(
                    {**base, "service": target.service, "target": target.masked, "where": target.where, "key": key}
                )
                body = _("crisisplay test notice for {role}: if you read this, crisisplay can reach you.").format(
                    role=role
                )
                courier.send(Notice(key, _("crisisplay test notice"), body, (target,)))
    finally:
        courier.close()
    for result in results:
        key = result.pop("key", None)
        if key is None:
            continue
        attempt = outcomes.get(key)
        result["delivered"] = bool(attempt and attempt.ok)
        result["error"] = None if attempt and attempt.ok else (attempt.error if attempt else N_("not delivered"))
    return results
