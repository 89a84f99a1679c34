"""Notification targets: an Apprise URL with its secrets, the same URL safe to show, and where it was written.

No Apprise here: reading the configuration must not load it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

SECRET = "***"


@dataclass(frozen=True)
class Target:
    """One Apprise URL from the configuration."""

    url: str  # ${VARS} expanded: a secret, never logged, printed or put in an error
    masked: str  # safe to log and show: every secret replaced by "***"
    service: str  # the URL scheme, e.g. "mailto", "json", "slack"
    where: str  # "path:line:col" of this URL's string in the config file
    missing: tuple[str, ...] = ()  # ${NAME}s that were not set when the configuration was read

    def __repr__(self) -> str:  # the url stays out of tracebacks, logs and debuggers' displays
        return f"Target({self.masked!r}, where={self.where!r})"


# Patterns as text: `re` compiles (and caches) each on first use, so reading a config without targets pays nothing.
_VARIABLE = r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}"
_SCHEME = r"^([A-Za-z][A-Za-z0-9+.-]*)://"
_HOST_NAME = r"^(?=.{1,253}$)([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z][A-Za-z0-9-]*[A-Za-z0-9]$"
_IPV4 = r"^\d{1,3}(?:\.\d{1,3}){3}$"
_IPV6 = r"^\[[0-9A-Fa-f:.]+\]$"
_EMAIL = r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$"
_PARAM_NAME = r"^[+:-]?[A-Za-z][A-Za-z0-9_.-]{0,63}$"
_CHANNEL = r"^[#@][A-Za-z0-9_.-]{1,80}$"  # `#crisis`, `@maria`: where it goes, not how to get in


def expand(url: str) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """`url` with each `${NAME}` replaced from the environment: (expanded, names not set, values used).

    A name that is not set becomes empty text here; `check_targets` reports it before anything is sent."""
    missing: list[str] = []
    used: list[str] = []

    def value(match: re.Match[str]) -> str:
        name = match[1]
        if name not in os.environ:
            if name not in missing:
                missing.append(name)
            return ""
        used.append(os.environ[name])
        return os.environ[name]

    return re.sub(_VARIABLE, value, url), tuple(missing), tuple(used)


def service_of(url: str) -> str:
    """The scheme of an Apprise URL (`slack`, `mailtos`), lower case; empty text when there is none."""
    match = re.match(_SCHEME, url.strip())
    return match[1].lower() if match else ""


def _kept_host(hostport: str) -> str:
    """A host and port when they name a machine; a token written in the host's place becomes ***."""
    host, port = hostport, ""
    if not hostport.startswith("[") and hostport.count(":") == 1:
        host, port = hostport.split(":")
    elif hostport.startswith("[") and "]:" in hostport:
        host, port = hostport.rsplit(":", 1)
    if port and not port.isdigit():
        return SECRET
    named = host.lower() == "localhost" or re.match(_HOST_NAME, host) or re.match(_IPV4, host) or re.match(_IPV6, host)
    if not named:
        return SECRET
    return f"{host}:{port}" if port else host


def _kept_segment(segment: str) -> str:
    if not segment or re.match(_CHANNEL, segment) or re.match(_EMAIL, segment):
        return segment
    return SECRET


def _kept_query(query: str) -> str:
    parts = []
    for pair in re.split(r"[&;]", query):
        if not pair:
            continue
        name, equals, _value = pair.partition("=")
        # A bare word (`?token`) is a value without a name: it goes too.
        parts.append(f"{name}={SECRET}" if equals and re.match(_PARAM_NAME, name) else SECRET)
    return "&".join(parts)


def mask(url: str) -> str:
    """The URL with every secret replaced by `***`: safe to log, show and export.

    Kept: the scheme, a host name or address and its port, `#channel` / `@user` path parts
    and e-mail addresses, the names of query parameters. Replaced: user and password,
    every other path segment (tokens, webhook ids), every query value (`?to=`, `-param=`,
    `+Header=` alike), and a host that does not look like one (Slack and Telegram write
    tokens where a host would be). Apprise's own "privacy" URLs keep parts of tokens, so
    they are never used."""
    text = url.strip()
    scheme = re.match(_SCHEME, text)
    if not scheme:
        return SECRET
    rest = text[scheme.end() :]
    query = ""
    if "?" in rest:
        rest, query = rest.split("?", 1)
    netloc, _slash, path = rest.partition("/")
    userinfo = ""
    if "@" in netloc:
        userinfo, netloc = netloc.rsplit("@", 1)
    shown = f"{scheme[1].lower()}://"
    if userinfo:
        shown += f"{SECRET}@"
    if netloc:
        shown += _kept_host(netloc)
    if _slash:
        shown += "/" + "/".join(_kept_segment(segment) for segment in path.split("/"))
    if query:
        shown += "?" + _kept_query(query)
    return shown


def scrub(text: str, target: Target, secrets: tuple[str, ...] = ()) -> str:
    """`text` (a reason Apprise gave) without any part of the target's URL that could be a secret."""
    from urllib.parse import unquote

    url = target.url.strip()
    separators = r"[/?&=@:;,#]+"
    kept = set(re.split(separators, target.masked))
    scheme = re.match(_SCHEME, url)
    rest = url[scheme.end() :] if scheme else url
    pieces = {url, rest, *secrets}
    for piece in re.split(separators, rest):
        if len(piece) >= 3 and piece not in kept:
            pieces.update({piece, unquote(piece)})
    for piece in sorted((p for p in pieces if p), key=len, reverse=True):
        text = text.replace(piece, SECRET)
    # Whatever still looks like a URL (a redirect, a rewritten form of ours) goes whole.
    return re.sub(r"\b[A-Za-z][A-Za-z0-9+.-]*://\S+", SECRET, text)


def make_target(raw: str, where: str) -> Target:
    """A Target from a URL as written in the configuration (with its `${NAME}`s)."""
    url, missing, used = expand(raw)
    masked = mask(url)
    for value in sorted(used, key=len, reverse=True):
        if len(value) >= 4 and value in masked and value not in raw:
            masked = masked.replace(value, SECRET)
    return Target(url=url, masked=masked, service=service_of(url), where=where, missing=missing)
