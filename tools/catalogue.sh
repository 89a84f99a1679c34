#!/usr/bin/env bash
# Refresh the message catalogues after changing or adding messages in the code:
# extract every _(), N_() and ngettext() text, merge them into each language's .po (new ones
# untranslated, vanished ones dropped), then compile the .mo files that ship in the wheel.
# Translate the new entries in crisisplay/locale/<lang>/LC_MESSAGES/crisisplay.po, then run
# this again; tests/test_catalogue.py fails while any message lacks a translation.
# Needs Babel (a dependency of crisisplay). See docs/translating.md.
set -euo pipefail
cd "$(dirname "$0")/.."
pybabel="${PYBABEL:-pybabel}"
pot="$(mktemp --suffix=.pot)"
trap 'rm -f "$pot"' EXIT
# No source locations and sorted by message: the .po files change only when a message does.
"$pybabel" extract -F babel.cfg -k _ -k N_ -k ngettext:1,2 --no-location --sort-output --no-wrap \
  --project crisisplay --copyright-holder "crisisplay developers" -o "$pot" . >/dev/null 2>&1
"$pybabel" update -i "$pot" -d crisisplay/locale -D crisisplay --no-wrap --ignore-obsolete \
  --no-fuzzy-matching --ignore-pot-creation-date >/dev/null 2>&1
"$pybabel" compile -d crisisplay/locale -D crisisplay --statistics
