"""Notifications: turns a delivery request into Apprise calls and outcomes; never appends to the log.

- `targets.py` — `Target` (an Apprise URL, its masked form, where it was written) and `mask()`;
  no Apprise there, so reading the configuration never loads it.
- `check.py` — `check_targets(config)`: every configured URL known to Apprise, before a run.
- `courier.py` — `Courier`: delivers a `Notice` on a worker thread, target after target, and
  reports every `Attempt` to its caller (the run logs it; this package never touches the journal).
- `contacts.py` — what `crisisplay contacts` lists and `contacts test` sends.

Apprise is imported only inside functions, by the commands that may deliver: `import
crisisplay.notify` (and every command that never delivers) leaves it unloaded.
"""
