"""`crisisplay lint`: the shared checker's findings plus the rule families, suppressions and config.

Layout: `runner` (files in, findings out), one `rules_*` module per rule family, `flow`
(the step graph the rules share), `where` (positions inside templates), `suppress` (noqa
comments), `command` (options to exit code), `policy` (the `[lint]`
config), `formats` (text, json, github, sarif — they know no rules) and `scaffold` (`new`).
"""
