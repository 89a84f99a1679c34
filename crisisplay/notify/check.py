"""Every configured notification URL checked against Apprise, before a command that may deliver runs."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator

from crisisplay.config import Config
from crisisplay.errors import ConfigError
from crisisplay.findings import did_you_mean
from crisisplay.i18n import _
from crisisplay.notify.targets import Target, scrub


def configured_targets(config: Config) -> Iterator[Target]:
    """Every Target of the configuration: contacts, then channels, then the drill's."""
    for contact in config.contacts.values():
        yield from contact.notify
    for targets in config.channels.values():
        yield from targets
    yield from config.drill_notify


def check_targets(config: Config) -> None:
    """ConfigError (exit 2) at the `path:line:col` of the first URL that cannot be used.

    An unset `${NAME}`, a scheme Apprise does not know ("did you mean …?"), or a URL Apprise
    cannot read. The message names the service and Apprise's reason, never the URL."""
    targets = list(configured_targets(config))
    if not targets:
        return
    from crisisplay.notify import apprise_bridge

    known = apprise_bridge.schemas()
    for target in targets:
        if target.missing:
            raise ConfigError(
                _("{where}: {variable} is not set").format(where=target.where, variable="${" + target.missing[0] + "}")
            )
        if not target.service:
            raise ConfigError(
                _("{where}: not a notification URL; it should start with a service, like {examples}").format(
                    where=target.where, examples="slack://, mailto://, json://"
                )
            )
        if target.service not in known:
            raise ConfigError(
                _("{where}: unknown notification service '{service}'{suggestion}").format(
                    where=target.where,
                    service=f"{target.service}://",
                    suggestion=_suggestion(target.service, known),
                )
            )
        if not getattr(known[target.service], "enabled", True):
            raise ConfigError(
                _("{where}: {service}:// cannot be used here: it needs a package that is not installed").format(
                    where=target.where, service=target.service
                )
            )
        with apprise_bridge.captured() as records:
            plugin = apprise_bridge.instantiate(target.url)
        if plugin is None:
            raise ConfigError(
                _("{where}: not a valid {service}:// address{reason}").format(
                    where=target.where, service=target.service, reason=_why(records, target)
                )
            )


# Schemes Apprise 1.x had and 2.x dropped, with what replaced them.
RETIRED = {"msteams": "workflows"}


def _suggestion(service: str, known: Iterable[str]) -> str:
    """ "; did you mean 'slack://'?" — the schemes compared bare, or `://` alone would make them look alike."""
    import difflib

    if service in RETIRED:
        return _("; did you mean '{choice}'?").format(choice=f"{RETIRED[service]}://")
    close = difflib.get_close_matches(service, list(known), n=1, cutoff=0.6)
    return did_you_mean(f"{service}://", [f"{c}://" for c in close])


def _why(records: list[logging.LogRecord], target: Target) -> str:
    """`: <Apprise's reason>` from its warnings, scrubbed of the URL; empty when it gave none."""
    from crisisplay.notify import apprise_bridge

    for message in apprise_bridge.messages(records, logging.WARNING):
        # "Could not load … URL: <url>" and "Unparseable … URL <url>" only repeat the URL.
        if message.startswith(("Could not load", "Unparseable")) or "://" in message:
            continue
        line = scrub(" ".join(message.split()), target).rstrip(".")
        if line:
            return ": " + line[:200]
    return ""
