"""Test-only entry point: `python tests/slow_crisisplay.py ARGS...` runs crisisplay with every
journal append (file or PostgreSQL) delayed by CRISISPLAY_TEST_APPEND_DELAY seconds (default 0.01).

Nothing about what is written changes: it only stretches a run so that a test can kill it,
or write notes into it, while it is in the middle of its work.
"""

import os
import sys
import time

from crisisplay import journal

DELAY = float(os.environ.get("CRISISPLAY_TEST_APPEND_DELAY", "0.01"))
_append = journal.Journal.append


def _slowed(append):
    def slow_append(self, events, expect_head=None):
        time.sleep(DELAY)
        return append(self, events, expect_head)

    return slow_append


journal.Journal.append = _slowed(_append)
if os.environ.get("CRISISPLAY_STORE", "").startswith("postgresql://"):
    from crisisplay.store import postgres

    postgres.PostgresLog.append = _slowed(postgres.PostgresLog.append)

if __name__ == "__main__":
    from crisisplay.cli import main

    sys.argv[0] = "crisisplay"
    main()
