"""What a run may send, and how each delivery's outcome reaches the log.

`Reach` says which roles and channels can be reached for real in this run (real contacts,
the `[drill]` channel instead in a drill, or nobody); `Deliveries` hands a notice to the
courier (crisisplay/notify) and logs `notification.*` events through the session, whose lock
makes it the log's one writer even when an outcome arrives on the courier's thread.
"""

from __future__ import annotations

import threading
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from crisisplay import events as ev
from crisisplay.errors import UsageError
from crisisplay.events import Event
from crisisplay.i18n import N_, _
from crisisplay.notify.reasons import failure_words
from crisisplay.personal import kind_of, personal

if TYPE_CHECKING:
    from crisisplay.config import Config
    from crisisplay.notify.courier import Attempt, Courier
    from crisisplay.notify.targets import Target

# What starts a drill's notice, in the run's language ("[SIMULACRO]"): the people it reaches read it.
DRILL_MARK = N_("[DRILL]")
SENT, FAILED, SKIPPED = "sent", "failed", "skipped"  # the outcomes an answers file may simulate
RETRIES = 1  # how often a target is tried again (each attempt bounded by notify.courier.attempt_timeout())


@dataclass(frozen=True)
class Reach:
    """Who this run may reach for real: targets by role and by channel (empty: copy and paste)."""

    roles: dict[str, tuple[Target, ...]] = field(default_factory=dict)
    channels: dict[str, tuple[Target, ...]] = field(default_factory=dict)
    drill: bool = False
    live: bool = True  # False: nothing is sent; an answers file may still simulate what delivery did
    drill_targets: tuple[Target, ...] = ()  # a drill with --notify: where its injects go too

    @property
    def anyone(self) -> bool:
        return bool(self.roles or self.channels or self.drill_targets)

    def for_role(self, role: str) -> tuple[Target, ...]:
        return self.roles.get(role, ())

    def for_channel(self, channel: str | None) -> tuple[Target, ...]:
        """The targets of a message step's channel: `[channels.<name>]` whose name is the channel as
        rendered, compared without case and extra spaces."""
        if not channel:
            return ()
        wanted = _folded(channel)
        return next((targets for name, targets in self.channels.items() if _folded(name) == wanted), ())

    def targets_for(self, to: dict[str, str]) -> tuple[Target, ...]:
        """The targets of a recipient: `{"role": id}`, `{"channel": name}`, or a drill's inject."""
        if "inject" in to:
            return self.drill_targets
        return self.for_role(to["role"]) if "role" in to else self.for_channel(to.get("channel"))


def _folded(name: str) -> str:
    return unicodedata.normalize("NFC", " ".join(name.split())).casefold()


def configured_reach(config: Config, drill: bool, live: bool = True) -> Reach:
    """The roles and channels the configuration gives targets; in a drill, each of them is sent
    to the `[drill]` targets instead (the caller has checked there are some)."""
    roles = {role: contact.notify for role, contact in config.contacts.items() if contact.notify}
    channels = {name: targets for name, targets in config.channels.items() if targets}
    if drill:
        roles = dict.fromkeys(roles, config.drill_notify)
        channels = dict.fromkeys(channels, config.drill_notify)
    return Reach(roles, channels, drill, live, config.drill_notify if drill else ())


def reach_for_run(config: Config, *, drill: bool, scripted: bool, notify: bool) -> Reach:
    """What this run may send, by the rules that keep drills and scripts from paging anyone:
    a real interactive run sends where targets are configured; a drill or an answers file sends
    only with `--notify`, and a drill then sends to the `[drill]` targets instead of anyone real.
    Checks the targets (loading Apprise) only when something may be sent: ConfigError, exit 2."""
    if notify and drill and not config.drill_notify:
        raise UsageError(
            _(
                '--notify in a drill sends only to the drill channel, and none is configured: add [drill] notify = ["…"] to config.toml'
            )
        )
    reach = configured_reach(config, drill, live=notify or not (drill or scripted))
    if reach.live and reach.anyone:
        from crisisplay.notify.check import check_targets
        from crisisplay.notify.courier import attempt_timeout

        check_targets(config)
        attempt_timeout()  # a bad CRISISPLAY_NOTIFY_TIMEOUT is exit 2 now, not a surprise at the first send
    return reach


def services(targets: tuple[Target, ...]) -> str:
    """`mailto`, or `slack, then mailto`: how a delivery will go, in the order tried."""
    names = list(dict.fromkeys(target.service for target in targets))
    return _(", then ").join(names)


def notice_title(session: Any, step: Any) -> str:
    """The subject of a notice: the crisis and the step, so a phone's lock screen says what it is."""
    pb = session.state.playbook
    return _("{playbook}: {step} ({incident})").format(
        playbook=pb.title, step=step.title or step.id, incident=session.state.incident_id
    )


def courier_words(state: str | None) -> str:
    """The courier's state of a delivery (`sending`, `delivered`, `failed: …`) in the interface's words."""
    if state == "delivered":
        return _("delivered")
    if state and state.startswith("failed: "):
        return _("failed: {reason}").format(reason=failure_words(state.removeprefix("failed: ")))
    return _("sending")


def recipient(pb: Any, delivery: dict[str, Any]) -> str:
    """Who a logged delivery was for, in words: a role's label, or `#channel`."""
    from crisisplay.playbook.roles import role_label

    return role_label(pb, delivery["role"]) if delivery.get("role") else f"#{delivery.get('channel') or ''}"


def unknown_outcome(pb: Any, delivery: dict[str, Any]) -> str:
    """The line that says a delivery's outcome was never seen (the run stopped while it was sent)."""
    from crisisplay.playbook.roles import role_words

    who = role_words(pb, delivery["role"]) if delivery.get("role") else recipient(pb, delivery)  # mid-sentence
    return _(
        "the delivery to {who} via {service} at step {step} was in flight when the run stopped: outcome unknown"
    ).format(who=who, service=delivery.get("service") or "?", step=delivery.get("step") or "—")


@dataclass
class Sending:
    """One delivery: who it is for and the exact text, as queued."""

    key: str
    step: str | None
    to: dict[str, str]  # {"role": id} or {"channel": name}
    title: str
    body: str
    targets: tuple[Target, ...]

    @property
    def message_hash(self) -> str:
        return ev.text_hash(self.body)  # personal (sealed) when the body is


class Deliveries:
    """Queues notices with the courier and logs every outcome, in order, through `log`.

    `log(events)` is the session's locked append; it is called from the courier's thread for
    outcomes, so it must never print or prompt there.
    """

    def __init__(
        self,
        reach: Reach,
        log: Callable[[list[Event]], Any],
        clock: Callable[[], datetime],
        actor: str,
        courier_factory: Callable[[Callable[[Attempt], None]], Courier] | None = None,
    ) -> None:
        self.reach = reach
        self._log, self._clock, self._actor = log, clock, actor
        self._sendings: dict[str, Sending] = {}
        self._lock = threading.Lock()
        self._courier: Courier | None = None
        self._courier_factory = courier_factory

    def _courier_now(self) -> Courier:
        if self._courier is None:
            if self._courier_factory is not None:
                self._courier = self._courier_factory(self._reported)
            else:
                from crisisplay.notify.courier import Courier, attempt_timeout

                self._courier = Courier(self._reported, timeout=attempt_timeout(), retries=RETRIES)
        return self._courier

    def warm(self) -> None:
        """Load the notification library now, in the background, not on the first send."""
        if self.reach.live and self.reach.anyone:
            from crisisplay.notify.courier import warm

            warm()
            self._courier_now()  # its dispatcher thread starts now, not on the first send

    def send(
        self, key: str, step: str | None, to: dict[str, str], title: str, text: str, replaces: str | None = None
    ) -> Sending:
        """Log `notification.queued` and hand the notice to the courier; returns at once. `replaces`:
        the key of a delivery whose outcome nobody saw, sent again as this one."""
        from crisisplay.notify.courier import Notice

        targets = self.reach.targets_for(to)
        if self.reach.drill:
            mark = _(DRILL_MARK) + " "
            title, text = mark + title, personal(mark + text, kind_of(text))
        sending = Sending(key, step, to, title, text, targets)
        with self._lock:
            self._sendings[key] = sending
        queued = self._event(ev.NOTIFICATION_QUEUED, sending, targets[0], None)
        if replaces:
            queued["data"]["replaces"] = replaces
        self._log([queued])
        self._courier_now().send(Notice(key, title, text, targets))
        return sending

    def leave_unknown(self, delivery: dict[str, Any]) -> None:
        """Log that a delivery whose outcome nobody saw is left as it is (not sent again)."""
        to = {"role": delivery["role"]} if delivery.get("role") else {"channel": delivery.get("channel") or ""}
        sending = Sending(str(delivery["delivery"]), delivery.get("step"), to, "", "", ())
        event = self._event(ev.NOTIFICATION_FAILED, sending, None, None)
        event["data"].update(
            service=delivery.get("service"),
            target=delivery.get("target"),
            message_hash=delivery.get("message_hash"),
            error=N_("outcome unknown: the run stopped while it was being sent, and it was not sent again"),
            final=True,
            unknown=True,
        )
        self._log([event])

    def simulate(self, key: str, step: str | None, to: dict[str, str], text: str, outcome: str) -> None:
        """What an answers file says delivery did, logged with `simulated: true`; nothing is sent."""
        if outcome == SKIPPED:
            return
        targets = self.reach.targets_for(to)
        sending = Sending(key, step, to, "", text, targets)
        target = targets[0] if targets else None
        queued = self._event(ev.NOTIFICATION_QUEUED, sending, target, None, simulated=True)
        if outcome == SENT:
            done = self._event(ev.NOTIFICATION_SENT, sending, target, 1, simulated=True)
        else:
            done = self._event(ev.NOTIFICATION_FAILED, sending, target, 1, simulated=True)
            done["data"].update(error=N_("simulated by the answers file"), final=True)
        self._log([queued, done])

    def state(self, key: str) -> str | None:
        return self._courier.state(key) if self._courier is not None else None

    def settle(self) -> None:
        """Wait for deliveries in flight (each bounded by its timeout); their outcomes are logged."""
        if self._courier is not None:
            self._courier.wait()

    def close(self) -> None:
        """Settle, then stop the courier's threads: nothing outlives the command."""
        if self._courier is not None:
            self._courier.close()
            self._courier = None

    # --- on the courier's thread ------------------------------------------------------------

    def _reported(self, attempt: Attempt) -> None:
        with self._lock:
            sending = self._sendings.get(attempt.notice.key)
        if sending is None:
            return
        if attempt.ok:
            event = self._event(ev.NOTIFICATION_SENT, sending, attempt.target, attempt.attempt)
        else:
            event = self._event(ev.NOTIFICATION_FAILED, sending, attempt.target, attempt.attempt)
            total = len(sending.targets) * (1 + RETRIES)
            event["data"].update(error=attempt.error or N_("not delivered"), final=attempt.attempt >= total)
        self._log([event])

    def _event(
        self, kind: str, sending: Sending, target: Target | None, attempt: int | None, simulated: bool = False
    ) -> Event:
        data: dict[str, Any] = {"delivery": sending.key, "step": sending.step, **sending.to}
        if target is not None:
            data.update(service=target.service, target=target.masked)
        if attempt is not None:
            data["attempt"] = attempt
        data["message_hash"] = sending.message_hash
        if simulated:
            data["simulated"] = True
        return ev.make_event(kind, self._actor, sending.step, data, self._clock())
