"""Click's own messages — a missing argument, an unknown option, a bad value — in the reader's language.

Click writes these itself, and they cannot be pointed at crisisplay's catalogue: typer 0.26
and later carry their own copy of Click whose messages are plain English f-strings, and the
Click that older typer uses reads them from the process-wide gettext domain, not from ours.
So the message Click formatted is matched against the shapes Click writes, here, and said
again from the catalogue. A message of any other shape (a Click release that words it
differently) is shown as Click wrote it: English, never a wrong translation or a traceback.
"""

from __future__ import annotations

import re

from crisisplay.findings import plain_message
from crisisplay.i18n import N_, _

_KINDS = {
    "integer": N_("{value} is not a valid integer"),
    "int": N_("{value} is not a valid integer"),
    "float": N_("{value} is not a valid number"),
    "boolean": N_("{value} is not a valid yes or no"),
    "bool": N_("{value} is not a valid yes or no"),
}

# (the shape Click writes, in full; the catalogue's message, with the shape's groups as placeholders)
_SHAPES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(shape, re.S), message)
    for shape, message in (
        (r"Missing argument (?P<name>\S+?)\.?", N_("missing argument {name}")),
        (r"Missing option (?P<name>.+?)\.?", N_("missing option {name}")),
        (r"Missing parameter:? (?P<name>.+?)\.?", N_("missing parameter {name}")),
        (r"Missing command\.?", N_("missing command")),
        (r"No such option: (?P<option>\S+?)\.?", N_("no such option: {option}")),
        (
            r"No such option: (?P<option>\S+?)\.? Did you mean (?P<suggestion>\S+?)\?",
            N_("no such option: {option}; did you mean {suggestion}?"),
        ),
        (
            r"No such option: (?P<option>\S+?)\.? \(Possible options: (?P<options>.+)\)",
            N_("no such option: {option} (possible options: {options})"),
        ),
        (
            r"Got unexpected extra argument(?:s|\(s\))? \((?P<args>.*)\)",
            N_("got unexpected extra argument(s) ({args})"),
        ),
        (r"Option (?P<option>'[^']*') requires an argument\.?", N_("option {option} requires an argument")),
        (
            r"Option (?P<option>'[^']*') requires (?P<count>\d+) arguments\.?",
            N_("option {option} requires {count} arguments"),
        ),
        (r"Option (?P<option>'[^']*') does not take a value\.?", N_("option {option} does not take a value")),
        (r"Argument (?P<name>'[^']*') takes (?P<count>\d+) values\.?", N_("argument {name} takes {count} values")),
        (r"Invalid value for (?P<hint>.+?): (?P<reason>.*)", N_("invalid value for {hint}: {reason}")),
        (r"Invalid value: (?P<reason>.*)", N_("invalid value: {reason}")),
        (r"(?P<value>'.*') is not one of (?P<choices>'.*')\.?", N_("{value} is not one of {choices}")),
        (r"(?P<value>'.*') is not (?P<choice>'[^']*')\.?", N_("{value} is not {choice}")),
    )
)
_NOT_VALID = re.compile(r"(?:Value )?(?P<value>.+?) is not a valid (?P<kind>\w+)\.?", re.S)


def click_message(text: str) -> str:
    """Click's English `text` in the chosen language: the catalogue's words for a shape Click
    writes, each part that is itself a Click message (the reason of an invalid value) said again
    too; any other text as it is."""
    text = plain_message(text)  # typer's coercion says `Value error, …` before the reason
    for shape, message in _SHAPES:
        match = shape.fullmatch(text.strip())
        if match:
            parts = match.groupdict()
            if "reason" in parts:
                parts["reason"] = click_message(parts["reason"])
            return _(message).format(**parts)
    match = _NOT_VALID.fullmatch(text.strip())
    if match and match["kind"] in _KINDS:
        # Looked up first: Babel 2.12's extractor (the floor) would take a key inside `_(…)` for a message.
        message = _KINDS[match["kind"]]
        return _(message).format(value=match["value"])
    return text
