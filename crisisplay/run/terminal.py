"""The interactive front end: a header before every step, a prompt fitted to the step's type,
and at every prompt the responder's own actions (note, severity, skip, pause).

It decides nothing about what comes next: the session asks, this module only asks the person.
Prompts come from questionary through a `Prompter`, the seam tests use to pass
prompt_toolkit pipe input and a dummy output.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import shlex
import shutil
import subprocess
import tempfile
import textwrap
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from crisisplay import engine
from crisisplay import events as ev
from crisisplay.display import markup_safe, reflowed, visible
from crisisplay.errors import AnswerError, CrisisplayError
from crisisplay.events import DRILL_INJECT, INPUT_SET, PAUSED, RESUMED, STARTED, STEP_ANSWERED, STEP_SKIPPED, Event
from crisisplay.i18n import N_, NO_WORDS, YES_WORDS, NotANumber, _, joined, language, normalise_number
from crisisplay.lint.channels import over_limit
from crisisplay.narrative import describe
from crisisplay.playbook.model import (
    AnyStep,
    ChecklistStep,
    ChoiceStep,
    ConfirmStep,
    EscalateStep,
    InfoStep,
    MessageStep,
    NumberStep,
    TextStep,
    format_duration,
)
from crisisplay.playbook.model import (
    Input as InputSpec,
)
from crisisplay.playbook.roles import person, reach_question, role_label, someone
from crisisplay.run.delivery import courier_words, recipient, services, unknown_outcome
from crisisplay.run.header import header
from crisisplay.run.injects import inject_title, prompt_ticker
from crisisplay.run.session import PauseRequested, Session
from crisisplay.run.team import approval_words
from crisisplay.scenario.state import FACILITATOR_SOURCE
from crisisplay.templates import placeholder

if TYPE_CHECKING:
    from prompt_toolkit.input import Input
    from prompt_toolkit.key_binding import KeyBindings
    from prompt_toolkit.output import Output
    from prompt_toolkit.styles import Style
    from rich.console import Console

# What a prompt's validator says of the text typed: True, or the hint shown under it.
Validator = Callable[[str], bool | str]

NOTE, SEVERITY, SKIP, PAUSE = "::note", "::severity", "::skip", "::pause"
ACTIONS = (
    (NOTE, N_("✎ Add a note")),
    (SEVERITY, N_("▲ Change the severity")),
    (SKIP, N_("↷ Skip this step")),
    (PAUSE, N_("⏸ Pause (resume later)")),
)
# The typed actions stay the same words in every language: they are commands, like the ids.
TYPED = {":note": NOTE, ":severity": SEVERITY, ":skip": SKIP, ":pause": PAUSE}
TYPED_HINT = N_("Enter · or :note :severity :skip :pause")
CHANGED = "::changed"  # what a waiting prompt returns when the log moved (an approval came in)
PHONE = "::phone"
BACK = "::back"
ARROWS = N_("(arrow keys, Enter)")
FINISH = N_("(Esc then Enter to finish)")


class _Again(Exception):
    """An action was done at the prompt (a note, a severity change): show the step again."""


def _reuse_default_key_bindings() -> None:
    """Build prompt_toolkit's default key bindings once, not for every prompt.

    Every questionary prompt creates prompt_toolkit Applications, and each one loads the
    full emacs and vi binding tables (about 12 ms apiece, two per menu): most of the time
    between an answer and the next prompt. The tables hold no per-application state (their
    filters look up the running application when a key is pressed), so one copy serves all.
    """
    import prompt_toolkit.application.application as application

    # Patched where Application looks it up; that module imports it without re-exporting it.
    loader = application.load_key_bindings  # type: ignore[attr-defined]
    if not hasattr(loader, "cache_info"):
        application.load_key_bindings = functools.lru_cache(maxsize=None)(loader)  # type: ignore[attr-defined]


class Prompter:
    """Makes questionary prompts; `input`/`output` are prompt_toolkit's, for tests."""

    def __init__(self, input: Input | None = None, output: Output | None = None) -> None:
        _reuse_default_key_bindings()
        # Passed through to every questionary prompt (which forwards them to prompt_toolkit).
        self.kwargs: dict[str, Any] = {k: v for k, v in (("input", input), ("output", output)) if v is not None}
        # In a drill: attached to every prompt, it shows injects as they fall due (run/injects.py).
        self.ticker: Callable[[Any], None] | None = None

    def _ticking(self, question: Any) -> Any:
        if self.ticker is not None:
            self.ticker(question.application)
        return question

    def _as_menu(self, question: Any) -> Any:
        """A menu (select, checkbox) that Ctrl-D ends as it ends a text box (questionary ignores it,
        and the Enter typed next would answer the step), and whose long options wrap instead of
        being cut at the terminal's edge (the word that tells two options apart may be the last)."""
        from prompt_toolkit.filters import to_filter
        from prompt_toolkit.layout.containers import Window
        from questionary.prompts.common import InquirerControl

        app = question.application
        bindings = cast("KeyBindings", app.key_bindings)  # questionary always makes its own
        bindings.add("c-d", eager=True)(lambda event: event.app.exit(exception=EOFError()))
        for container in app.layout.walk():
            if isinstance(container, Window) and isinstance(container.content, InquirerControl):
                container.wrap_lines = to_filter(True)
        return self._ticking(question)

    def select(
        self,
        message: str,
        choices: list[Any],
        instruction: str | None = None,
        keys: dict[str, object] | None = None,
        default: Any = None,
    ) -> Any:
        import questionary

        # Never None: questionary's own hint ("(Use arrow keys)") is English in every language.
        instruction = instruction or _(ARROWS)
        question = self._as_menu(
            questionary.select(message, choices=choices, instruction=instruction, default=default, **self.kwargs)
        )
        bindings = cast("KeyBindings", question.application.key_bindings)
        for key, value in (keys or {}).items():
            bindings.add(key, eager=True)(lambda event, v=value: event.app.exit(result=v))
        return question.unsafe_ask()

    def select_until(
        self,
        message: str,
        choices: list[Any],
        changed: Callable[[threading.Event], bool],
        instruction: str | None = None,
    ) -> Any:
        """A select that also ends, returning CHANGED, as soon as `changed` (run on a helper thread
        until it returns True or is told to stop) sees something happen."""
        import questionary

        instruction = instruction or _(ARROWS)  # never questionary's English "(Use arrow keys)"
        question = self._as_menu(questionary.select(message, choices=choices, instruction=instruction, **self.kwargs))
        app = question.application
        stop = threading.Event()

        def end_prompt() -> None:
            with contextlib.suppress(Exception):  # the responder answered at that moment: their answer stands
                app.exit(result=CHANGED)

        def watch() -> None:
            import signal

            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})  # Ctrl-C is the main thread's
            if not changed(stop):
                return
            while not stop.is_set():
                loop = app.loop
                if app.is_running and loop is not None:
                    loop.call_soon_threadsafe(end_prompt)
                    return
                time.sleep(0.02)

        watcher = threading.Thread(target=watch, name="crisisplay-approval-wait", daemon=True)
        watcher.start()
        try:
            return question.unsafe_ask()
        finally:
            stop.set()
            watcher.join(timeout=2)

    def checkbox(
        self, message: str, choices: list[Any], echo: Callable[[list[Any]], str], instruction: str | None = None
    ) -> list[Any]:
        """Ticks. The answered line shows `echo(ticked)` instead of questionary's own "done (N
        selections)", which is English in every language: the prompt is erased when done and
        drawn again, in questionary's style, with that text."""
        import questionary
        from prompt_toolkit import print_formatted_text
        from prompt_toolkit.formatted_text import FormattedText
        from questionary.constants import DEFAULT_QUESTION_PREFIX, DEFAULT_STYLE

        ticked: list[Any] = self._as_menu(
            questionary.checkbox(message, choices=choices, instruction=instruction, erase_when_done=True, **self.kwargs)
        ).unsafe_ask()
        answered = [("class:qmark", DEFAULT_QUESTION_PREFIX), ("class:question", f" {message} ")]
        print_formatted_text(
            FormattedText([*answered, ("class:answer", echo(ticked))]),
            style=DEFAULT_STYLE,
            output=self.kwargs.get("output"),
        )
        return ticked

    def text(
        self,
        message: str,
        prefilled: str = "",
        multiline: bool = False,
        instruction: str | None = None,
        validate: Validator | None = None,
        suggested: str | None = None,
    ) -> str:
        """Free text. `suggested` is shown greyed in the empty box and is the answer Enter alone gives:
        typing replaces it, never appends to it. `prefilled` is text already in the box, to edit: only
        for "Edit the message", where changing the text is the point."""
        import questionary

        extra: dict[str, Any] = {}
        if suggested:
            from prompt_toolkit.formatted_text import FormattedText

            # A placeholder, not questionary's `default`: a default is text already in the box, and
            # typing `Ana Ruiz` after a pre-filled `root` would record `rootAna Ruiz`.
            extra["placeholder"] = FormattedText([("class:placeholder", suggested)])
            extra["style"] = _placeholder_style()
            hint = _("Enter to accept")
            instruction = f"{instruction[:-1]}; {hint})" if instruction and instruction.endswith(")") else f"({hint})"
            check = validate
            validate = (lambda text: check(text if text.strip() else suggested)) if check else None
        if multiline:
            # Never None: questionary's own hint ("Finish with 'Alt+Enter' or 'Esc then Enter'") is English.
            instruction = instruction or _(FINISH)
            # prompt_toolkit draws a multi-line prompt's question above the input without wrapping
            # it, and a question wider than the terminal in front of the input as a blank screen:
            # wrap it ourselves, and put the hint and the input on lines of their own.
            columns = shutil.get_terminal_size().columns
            message = "\n".join(textwrap.wrap(message, max(20, columns - 3))) or message
            if instruction:
                instruction = f"\n{instruction}\n>"
        question = questionary.text(
            message,
            default=prefilled,
            multiline=multiline,
            instruction=instruction,
            validate=validate,
            **extra,
            **self.kwargs,
        )
        _whole_errors(question.application)
        answer: str = self._ticking(question).unsafe_ask()
        return suggested if suggested and not answer.strip() else answer


def _whole_errors(app: Any) -> None:
    """A refused answer's reason on as many lines as it needs: prompt_toolkit's validation toolbar is
    one line, cut at the terminal's edge, and the part cut is what to type instead."""
    from prompt_toolkit.filters import to_filter
    from prompt_toolkit.layout.containers import Window
    from prompt_toolkit.layout.controls import FormattedTextControl

    for container in app.layout.walk():
        if isinstance(container, Window) and isinstance(container.content, FormattedTextControl):
            made_by = getattr(container.content.text, "__qualname__", "")
            if made_by.startswith("ValidationToolbar."):
                container.height = None
                container.wrap_lines = to_filter(True)


def _placeholder_style() -> Style:
    from questionary import Style

    return Style([("placeholder", "fg:ansibrightblack italic")])


def copy_to_clipboard(text: str) -> bool:
    """Best effort: put `text` on the clipboard with the platform's own tool, if there is one."""
    for tool in (
        ["pbcopy"],
        ["wl-copy"],
        ["xclip", "-selection", "clipboard"],
        ["xsel", "--clipboard", "--input"],
        ["clip.exe"],
    ):
        if (
            shutil.which(tool[0])
            and (tool[0] != "wl-copy" or os.environ.get("WAYLAND_DISPLAY"))
            and (not tool[0].startswith("x") or os.environ.get("DISPLAY"))
        ):
            try:
                subprocess.run(
                    tool,
                    input=text.encode("utf-8"),
                    timeout=2,
                    check=True,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                return True
            except (OSError, subprocess.SubprocessError):
                continue
    return False


def _input_fits(spec: InputSpec) -> Validator:
    """A text input's check as it is typed: an answer, no longer than the input's `max_length`."""

    def check(typed: str) -> bool | str:
        if not typed.strip():
            return _("Please answer")
        return engine.longer_than(spec, typed.strip()) or True

    return check


class TerminalFrontend:
    """Asks the responder, step by step, on a terminal."""

    asks_again = True  # an answer that does not fit is explained and asked again, not a pause

    def __init__(
        self,
        console: Console,
        prompter: Prompter | None = None,
        contacts: dict[str, Any] | None = None,
        overrides: dict[str, Any] | None = None,
        clipboard: Callable[[str], bool] = copy_to_clipboard,
    ) -> None:
        self.console = console
        self.prompter = prompter or Prompter()
        self.contacts = contacts or {}
        self.overrides = overrides or {}
        self.clipboard = clipboard
        self._header_shown = False
        self._ticks: dict[str, set[str]] = {}

    # --- the session's questions -----------------------------------------------------------

    def _drill(self, session: Session) -> None:
        """In a drill, every prompt shows injects as they fall due, above it (run/injects.py)."""
        if session.state.drill_run is not None and self.prompter.ticker is None:
            self.prompter.ticker = prompt_ticker(session, functools.partial(self._news, session))

    def _news(self, session: Session) -> None:
        """Above an open prompt: fire the injects now due and show what other terminals logged.
        An error reading or writing the store is said in one line; the answer's own write, when the
        responder answers, stops the run with the usual message and exit code."""
        try:
            session.refresh()
            if session.still_driving():  # taken over meanwhile: the new driver fires the injects
                session.fire_injects()  # logged, then shown by `logged` (this is the main thread)
        except (CrisisplayError, OSError) as err:
            self.console.print(f"⚠ {_esc(str(err))}", style="yellow", highlight=False)

    def ask_input(self, session: Session, action: engine.AskInput) -> object:
        spec = action.spec
        self._drill(session)
        if action.name in self.overrides:
            return self.overrides[action.name]
        if not self._header_shown:  # once before the facts, not before each of them
            self._header(session, None)
            self._header_shown = True
        if spec.help:
            self.console.print(_esc(reflowed(spec.help)), style="dim")
        suggested = None if spec.default is None else str(spec.default)
        if spec.type == "choice":
            from questionary import Choice

            choices = [Choice(o.label, value=o.value) for o in spec.options or []]
            first = next((c for c in choices if c.value == spec.default), None)
            return self.prompter.select(spec.prompt, choices, default=first)
        if spec.type == "number":
            typed = self._fact(session, spec.prompt, suggested, _number_validator(spec.prompt, typed=False))
            return engine.local_number(typed, _("input '{name}'").format(name=action.name), language())
        return self._fact(session, spec.prompt, suggested, _input_fits(spec))

    def _fact(self, session: Session, prompt: str, suggested: str | None, validate: Validator) -> str:
        """An incident fact typed in: `:note`, `:severity` and `:pause` work as at a step's prompt
        (never logged as the fact); a fact cannot be skipped."""

        def check(text: str) -> bool | str:
            word = text.strip()
            if TYPED.get(word) == SKIP:
                return _("A fact of the incident cannot be skipped: give it, or type :pause")
            return True if word in TYPED else validate(text)

        while True:
            typed = self.prompter.text(prompt, suggested=suggested, validate=check)
            if typed.strip() not in TYPED:
                return typed
            with contextlib.suppress(_Again):  # a note or a severity change: then the same fact again
                self._act(session, TYPED[typed.strip()])

    def ask_step(self, session: Session, action: engine.AskStep) -> engine.Answer:
        step = session.state.playbook.step(action.step_id)
        self._drill(session)
        while True:
            session.fire_injects()  # a drill's injects due by now, before the step is shown again
            session.refresh()  # what other terminals logged, shown before the step
            self._header(session, step.id)
            self._describe_step(step, action.visit)
            try:
                answer: engine.Answer = getattr(self, f"_ask_{step.type}")(session, step)
                return answer
            except _Again:
                continue

    def rejected(self, session: Session, error: AnswerError) -> None:
        self.console.print(f"  ✗ {_esc(str(error))}", style="red", highlight=False)

    def logged(self, session: Session, events: list[Event]) -> None:
        """Confirm durable decisions briefly; the header shows the rest."""
        for event in events:
            if event["type"] == DRILL_INJECT:
                self._banner(event)
            elif event["type"] in ("severity.changed", "milestone.reached", "note.added"):
                line = describe(event, session.state.playbook)
                if line:
                    self.console.print(f"  ✓ {_esc(line)}", style="green", highlight=False)

    def others(self, session: Session, events: list[Event]) -> None:
        """What other terminals logged since the last prompt: a note, a severity change, an approval."""
        for event in events:
            if event["type"] == DRILL_INJECT:
                self._banner(event)
                continue
            line = describe(event, session.state.playbook)
            if line:
                said = _("{person} (from another terminal): {event}").format(person=event.get("actor"), event=line)
                self.console.print(f"  ↳ {_esc(said)}", style="cyan", highlight=False)

    def told(self, session: Session, line: str) -> None:
        self.console.print(f"  ⚠ {_esc(line)}", style="yellow", highlight=False)

    def resumed(self, session: Session, events: list[Event], count: int = 5) -> None:
        """On resume: the last few decisions, so the responder knows where they are."""
        said = [describe(e, session.state.playbook) for e in events if e["type"] not in (STARTED, PAUSED, RESUMED)]
        lines = [line for line in said if line][-count:]
        if lines:
            self.console.print(_("Last decisions:"), style="bold")
            for line in lines:
                self.console.print(f"  · {_esc(line)}", highlight=False)
        # Injects a facilitator logged while nobody was driving (the drill paused, or its run gone
        # since its last decision) may never have been shown: show them now.
        stopped = max(
            (i for i, e in enumerate(events) if e["type"] in (PAUSED, STEP_ANSWERED, STEP_SKIPPED, INPUT_SET)),
            default=0,
        )
        for event in events[stopped:]:
            if event["type"] == DRILL_INJECT and event["data"].get("source") == FACILITATOR_SOURCE:
                self._banner(event)
        for delivery in session.state.in_flight():
            self._send_again(session, delivery)

    def _send_again(self, session: Session, delivery: dict[str, Any]) -> None:
        """A delivery whose outcome nobody saw: say so, and offer to send it again."""
        from questionary import Choice

        pb = session.state.playbook
        self.console.print(f"  ⚠ {_esc(unknown_outcome(pb, delivery))}", style="yellow", highlight=False)
        deliveries, step_id = session.deliveries, delivery.get("step")
        if deliveries is None or not deliveries.reach.live or not step_id or step_id not in pb.step_index:
            return
        to = {"role": delivery["role"]} if delivery.get("role") else {"channel": delivery.get("channel") or ""}
        targets = deliveries.reach.targets_for(to)
        if not targets:
            return
        picked = self.prompter.select(
            _("Send it again to {who} via {service}?").format(who=recipient(pb, delivery), service=services(targets)),
            [Choice(_("Send again"), value=True), Choice(_("Leave it"), value=False)],
        )
        if picked is True:
            text = engine.render(session.state, step_id, session.clock()).text
            session.deliver(step_id, to, text, replaces=str(delivery["delivery"]))
        else:
            session.leave_unknown(delivery)  # logged, so the next resume does not ask again

    # --- layout ----------------------------------------------------------------------------

    def _header(self, session: Session, step_id: str | None) -> None:
        self.console.print()
        run = session.state.drill_run
        if run is not None:  # above the header: the step's title stays the line right under it
            at = run.at(session.wall())
            self.console.print(
                _("Drill clock: {time} since detection (×{speed})").format(
                    time=format_duration(at - at % 1000), speed=run.speed
                ),
                style="dim",
                highlight=False,
            )
        self.console.print(header(session.state, session.clock(), step_id, width=min(80, self.console.width)))

    def _banner(self, event: Event) -> None:
        """A drill inject, as the facilitator would read it out: a panel with its text."""
        from rich.panel import Panel

        self.console.print(
            Panel(
                _esc(str(event["data"].get("text", ""))),
                title=_esc(inject_title(event)),
                title_align="left",
                border_style="magenta",
                width=min(80, self.console.width),
            )
        )

    def _describe_step(self, step: AnyStep, visit: int) -> None:
        title = step.title or step.id
        again = _(" (visit {visit})").format(visit=visit) if visit > 1 else ""
        self.console.print(f"[bold]{_esc(title)}[/bold]{again}")
        if step.help:
            self.console.print(_esc(reflowed(step.help)), style="dim")

    # --- actions available at every prompt -------------------------------------------------

    def _act(self, session: Session, choice: str) -> engine.Skip:
        """Do a responder action picked at a prompt; returns the Skip for a skip (the others ask again or pause)."""
        if choice == PAUSE:
            raise PauseRequested()
        if choice == SKIP:
            # Empty goes back to the step: a skip picked by mistake is not forced through.
            reason = self.prompter.text(_("Why skip this step?"), instruction=_("(empty to go back)"))
            if not reason.strip():
                raise _Again()
            return engine.Skip(reason.strip())
        if choice == NOTE:
            text = self.prompter.text(_("Note:"), multiline=True)
            if text.strip():
                session.note(text.strip())
            raise _Again()
        if choice == SEVERITY:
            from questionary import Choice

            severity = session.state.playbook.severity
            current = session.state.severity
            now = _(" (now)")
            to = self.prompter.select(
                _("New severity:"),
                [
                    Choice(f"{visible(severity.label(lv))}{now if lv == current else ''}", value=str(lv))
                    for lv in engine.levels_of(session.state.playbook)
                ],
            )
            if to != current:
                reason = self.prompter.text(_("Why?"), validate=lambda t: bool(t.strip()) or _("Give a reason"))
                session.change_severity(to, reason.strip())
            raise _Again()
        raise ValueError(f"unknown action {choice!r}")

    def _menu(
        self,
        session: Session,
        message: str,
        own: list[Any],
        keys: dict[str, object] | None = None,
        instruction: str | None = None,
    ) -> Any:
        """A select with the step's own answers first, then the responder's actions."""
        from questionary import Choice, Separator

        choices = list(own) + [Separator()] + [Choice(_(label), value=value) for value, label in ACTIONS]
        picked = self.prompter.select(message, choices, instruction=instruction, keys=keys)
        if isinstance(picked, str) and picked.startswith("::"):
            return self._act(session, picked)
        return picked

    def _typed(
        self, session: Session, message: str, multiline: bool = False, validate: Validator | None = None
    ) -> str | engine.Skip:
        hint = _("Esc then Enter finishes · or :note :severity :skip :pause") if multiline else _(TYPED_HINT)

        def check(text: str) -> bool | str:
            if text.strip() in TYPED:
                return True
            if not text.strip():
                return _("Please answer (or type :skip)")
            return validate(text) if validate else True

        answer = self.prompter.text(message, multiline=multiline, instruction=f"({hint})", validate=check)
        if answer.strip() in TYPED:
            return self._act(session, TYPED[answer.strip()])
        return answer

    # --- one method per step type ----------------------------------------------------------

    def _ask_confirm(self, session: Session, step: ConfirmStep) -> engine.Answer:
        from questionary import Choice

        # One-letter answers of the language as keys (`s` for sí), and y / n in every language.
        keys: dict[str, object] = {}
        for words, value in ((_(YES_WORDS), True), (_(NO_WORDS), False), ("y", True), ("n", False)):
            for word in words.split("|"):
                if len(word) == 1:
                    keys.setdefault(word.lower(), value)
                    keys.setdefault(word.upper(), value)
        yes, no = _(YES_WORDS).split("|")[1], _(NO_WORDS).split("|")[1]
        picked: bool | engine.Skip = self._menu(
            session,
            step.prompt,
            [Choice(_("Yes"), value=True), Choice(_("No"), value=False)],
            keys=keys,
            instruction=_("({yes} / {no}, or arrow keys and Enter)").format(yes=yes, no=no),
        )
        return picked

    def _ask_choice(self, session: Session, step: ChoiceStep) -> engine.Answer:
        from questionary import Choice

        own = [Choice(o.label, value=o.value, description=o.help) for o in step.options]
        picked: str | engine.Skip = self._menu(session, step.prompt, own)
        return self._with_reason(step, picked)

    def _with_reason(self, step: ChoiceStep, picked: str | engine.Skip) -> engine.Answer:
        """An option that decides an outcome (monitor only) asks why; the reason is logged with it."""
        option = next((o for o in step.options if o.value == picked), None)
        if option is None or option.outcome is None:
            return picked
        reason = self.prompter.text(
            _("Why monitor only? (recorded in the log)"), validate=lambda t: bool(t.strip()) or _("Give a reason")
        )
        return engine.Reasoned(picked, reason.strip())

    def _ask_checklist(self, session: Session, step: ChecklistStep) -> engine.Answer:
        from questionary import Choice, Separator

        # Ticks survive an action (a note, a severity change) taken from the same list.
        kept = self._ticks.pop(step.id, set())
        choices = (
            [Choice(item, value=item, checked=item in kept) for item in step.items]
            + [Separator()]
            + [Choice(_(label), value=value) for value, label in ACTIONS]
        )
        ticked = self.prompter.checkbox(
            step.prompt, choices, echo=_checklist_echo(len(step.items)), instruction=_("(space ticks, Enter when done)")
        )
        actions = [t for t in ticked if t.startswith("::")]
        if actions:
            self._ticks[step.id] = {t for t in ticked if not t.startswith("::")}
            if len(actions) > 1:  # `a` ticks every line, actions too: never skip or pause on that
                said = _("one action at a time: tick the items done, or one action")
                self.console.print(f"  ⚠ {_esc(said)}", style="yellow", highlight=False)
                raise _Again()
            return self._act(session, actions[0])
        reason = None
        if len(ticked) < len(step.items):
            reason = self.prompter.text(_("Why are some items not done? (optional, Enter to skip)")).strip() or None
        return engine.Checklist(tuple(ticked), reason)

    def _ask_text(self, session: Session, step: TextStep) -> engine.Answer:
        return self._typed(session, step.prompt, multiline=step.multiline)

    def _ask_number(self, session: Session, step: NumberStep) -> engine.Answer:
        answer = self._typed(session, step.prompt, validate=_number_validator(step.id, step.min, step.max))
        if isinstance(answer, engine.Skip):
            return answer
        what = _("step '{step}'").format(step=step.id)
        return engine.parse_number(engine.local_number(answer, what, language()), what)

    def _ask_info(self, session: Session, step: InfoStep) -> engine.Answer:
        from questionary import Choice

        self.console.print(_esc(step.prompt))
        done: bool | engine.Skip = self._menu(
            session, _("Done?"), [Choice(_("Done"), value=True)], instruction=_("(Enter)")
        )
        return done

    def _ask_message(self, session: Session, step: MessageStep) -> engine.Answer:
        from questionary import Choice

        rendered = engine.render(session.state, step.id, session.clock())
        text = rendered.text
        deliveries = session.deliveries
        targets = deliveries.reach.for_channel(rendered.channel) if deliveries and deliveries.reach.live else ()
        asked = session.state.approvals.get(step.id)
        waiting = False
        if asked is not None and ev.approval_status(asked) != ev.REJECTED:
            text, waiting = asked["text"], True  # resumed while it waited for approval, or once approved
        if (step.id, rendered.channel or "") in session.sent:
            targets = ()  # sent again when the run resumed: not a second time
        while True:
            self._show_message(step.prompt, rendered.channel, text)
            too_long = over_limit(rendered.platform, text)
            if too_long:
                self.console.print(f"  ⚠ {_esc(too_long)}", style="yellow", highlight=False)
            if step.approval is not None and not waiting:
                who = joined(
                    [someone(session.state.playbook, r, session.state.roles.get(r)) for r in step.approval.by],
                    "standard" if step.approval.need == "all" else "or",
                )
                self.console.print(_("Needs approval from {who} before it is sent.").format(who=_esc(who)), style="dim")
            unset = [p for p in rendered.placeholders if placeholder(p).lower() in text.lower()]
            blocked = (
                _("edit first: {names} not set").format(names=", ".join(unset))
                if unset
                else _("edit first: the message is empty")
                if not text.strip()
                else None
            )
            own = [Choice(_("Send as is"), value="send", disabled=blocked), Choice(_("Edit the text"), value="edit")]
            if targets:  # the team's own channel: crisisplay can send it, or it is copied as today
                own = [
                    Choice(
                        (
                            _("Send to the drill channel via {service}")
                            if deliveries and deliveries.reach.drill
                            else _("Send via {service}")
                        ).format(service=services(targets)),
                        value="deliver",
                        disabled=blocked,
                    ),
                    Choice(_("Copy (I post it myself)"), value="send", disabled=blocked),
                    own[1],
                ]
            picked = (
                ("deliver" if targets else "send") if waiting else self._menu(session, _("Send this message?"), own)
            )
            waiting = False
            if isinstance(picked, engine.Skip):
                return picked
            if picked in ("send", "deliver") and step.approval is not None:
                approved = self._approval(session, step, text)
                if approved is None:  # rejected: back to the text, to edit it
                    text = self._edit(text)
                    continue
                if isinstance(approved, engine.Skip):
                    return approved
                text = approved
            if picked == "deliver" and deliveries is not None:
                # as the log keeps it: personal (its hash sealed) when edited or naming someone
                session.deliver(
                    step.id, {"channel": rendered.channel or ""}, engine.sent_text(session.state, rendered, text)
                )
                via = services(targets)
                sending = _("sending via {service}…").format(service=via)
                self.console.print(f"  ✉ {_esc(sending)}")
                return engine.Send(text, edited=text != rendered.text)
            if picked == "send":
                return engine.Send(text, edited=text != rendered.text)
            text = self._edit(text)

    def _approval(self, session: Session, step: MessageStep, text: str) -> str | engine.Skip | None:
        """Ask for approval of `text` and wait for it: the approved text (an approver may have edited
        it), None when it was rejected (the reason shown), or a Skip the responder chose meanwhile."""
        from questionary import Choice

        session.request_approval(step.id, text)
        while True:
            approval = session.state.approvals.get(step.id)
            if approval is None:  # another terminal answered or skipped the step meanwhile
                return engine.Skip(_("answered from another terminal"))
            status = ev.approval_status(approval)
            words = approval_words(session.state, approval)
            if status == ev.APPROVED:
                self.console.print(f"  ✓ {_esc(words)}", style="green", highlight=False)
                return str(approval["text"])
            if status == ev.REJECTED:
                self.console.print(f"  ✗ {_esc(words)}", style="red", highlight=False)
                return None
            self.console.print(f"  ⏳ {_esc(words)}", style="yellow", highlight=False)
            given_as = _("NAME")  # what to give, in the reader's words (`--as NOMBRE`), as --help says it
            command = f"crisisplay approve {session.state.incident_id} {step.id} --as {given_as}"
            self.console.print(_("They approve with: {command}").format(command=command), style="dim", highlight=False)
            after = session.state.count - 1
            picked = self.prompter.select_until(
                _("Waiting for approval…"),
                [
                    Choice(_("Record an approval given by phone"), value=PHONE),
                    Choice(_("⏸ Pause (resume later)"), value=PAUSE),
                ],
                changed=functools.partial(_log_moved, session, after),
                instruction=_("(this continues by itself once they approve)"),
            )
            if picked == PAUSE:
                raise PauseRequested()
            if picked == PHONE:
                self._phone_approval(session, step)
            session.refresh()

    def _phone_approval(self, session: Session, step: MessageStep) -> None:
        """Record an approval the driver was given by phone. Every choice can go back to waiting, and
        one made after the approval changed (approved, rejected or edited from another terminal
        meanwhile) records nothing: the waiting loop shows what happened instead."""
        from questionary import Choice

        approval = session.state.approvals.get(step.id)
        if approval is None:
            return
        asked = approval["message_hash"]
        roles = [r for r in approval["by"] if r not in {g["by"] for g in approval["given"]}] or approval["by"]
        pb = session.state.playbook
        # The menus end by themselves when the approval moves in another terminal (given, rejected,
        # asked again), or the step or the incident does; a note or a delivery's outcome does not.
        changed = functools.partial(_approval_moved, session, step.id, session.state.count - 1)
        back = Choice(_("← Back to waiting"), value=BACK)
        role = roles[0]
        if len(roles) > 1:
            choices = [Choice(role_label(pb, r), value=r) for r in roles]
            role = self.prompter.select_until(_("Which role approved by phone?"), [*choices, back], changed=changed)
            if role in (BACK, CHANGED):
                return
        holder = session.state.roles.get(role)
        if holder:
            # A role someone holds is approved by that person only, as `crisisplay approve` demands.
            name = self.prompter.select_until(
                _("Who approved by phone?"),
                [Choice(holder, value=holder), back],
                changed=changed,
            )
            if name in (BACK, CHANGED):
                return
        else:
            typed = self.prompter.text(_("Approved by phone: name?"), instruction=_("(empty to go back)"))
            name = " ".join(typed.split())
            if not name:
                return

        def compute() -> list[Event]:
            current = session.state.approvals.get(step.id)
            if current is None or current["message_hash"] != asked or ev.approval_status(current) != ev.PENDING:
                return []  # answered, approved, rejected or edited meanwhile: nothing to record
            if role in {g["by"] for g in current["given"] if g["message_hash"] == asked}:
                return []  # that role's approval came in from another terminal meanwhile
            return engine.give_approval(session.state, current, name, session.clock(), session.actor, role=role)

        session.log_computed(compute)

    def _ask_escalate(self, session: Session, step: EscalateStep) -> engine.Answer:
        from questionary import Choice

        rendered = engine.render(session.state, step.id, session.clock())
        self._show_message(step.prompt, _("message to give them"), rendered.text)
        # Each person's outcome is logged as it is given: after an interruption, those are not asked again.
        outcomes: dict[str, str] = dict(session.state.escalated) if session.state.pending == step.id else {}
        pb = session.state.playbook
        roles = list(step.to)
        backups = engine.backups_of(step.to, self.contacts)
        while roles:
            role = roles.pop(0)
            contact = engine.contact_of(session.state, role, self.contacts)
            # People, not ids: the role in words, the person as configured, how to reach them.
            label = role_label(pb, role)
            self.console.print(f"[bold]{_esc(label)}[/bold]: {_esc(_contact_line(role, label, contact))}")
            held = engine.out_of_reach(session.state, [role], session.clock())
            if role in outcomes:
                given = _("Reached: they know") if outcomes[role] == engine.NOTIFIED else _("Could not reach them")
                said = _("already recorded: {outcome}").format(outcome=given)
                self.console.print(f"  ✓ {_esc(said)}", style="green", highlight=False)
                key: str | engine.Skip | None = None
                picked: Any = outcomes[role]
            elif held:  # the drill's scenario keeps them out of reach: the engine records it so
                said = _("{person} cannot be reached in this drill (inject {inject}): recorded as unreachable").format(
                    person=person(pb, role, contact.get("name")), inject=held[role]
                )
                self.console.print(f"  ⚠ {_esc(said)}", style="yellow", highlight=False)
                key = None
                picked = engine.UNREACHABLE
            else:
                key = self._offer_delivery(session, step, role, contact, rendered.text)
                if isinstance(key, engine.Skip):
                    return key
                question = visible(reach_question(pb, role, contact.get("name")))
                if key is not None:
                    sending = session.deliveries.state(key) if session.deliveries else None
                    question = _("{question} (delivery: {state})").format(
                        question=question, state=courier_words(sending)
                    )
                picked = self._menu(
                    session,
                    question,
                    [
                        Choice(_("Reached: they know"), value=engine.NOTIFIED),
                        Choice(_("Could not reach them"), value=engine.UNREACHABLE),
                    ],
                )
            if isinstance(picked, engine.Skip):
                return picked
            if role not in outcomes:
                outcomes[role] = picked
                session.log_computed(functools.partial(_log_reached, session, step.id, role, picked, self.contacts))
            delivery = session.deliveries.state(key) if isinstance(key, str) and session.deliveries else None
            failed = (delivery or "").startswith("failed")
            if picked == engine.UNREACHABLE or failed:
                backup = next((b for b, of in backups.items() if of == role and b not in outcomes), None)
                if backup is not None and self._try_backup(session, pb, role, contact, backup):
                    roles.insert(0, backup)
                    continue
            if picked == engine.UNREACHABLE:
                rest = [r for r in roles if r in step.to]
                if rest:
                    after = engine.contact_of(session.state, rest[0], self.contacts)
                    who_next = _("next: try {person}").format(person=someone(pb, rest[0], after.get("name")))
                else:
                    who_next = _("nobody else on this step: add a note, or raise the severity to escalate higher")
                warning = _("{person} unreachable — {next}").format(
                    person=person(pb, role, contact.get("name")), next=who_next
                )
                self.console.print(f"  ⚠ {_esc(warning)}", style="yellow")
        return outcomes

    def _offer_delivery(
        self, session: Session, step: EscalateStep, role: str, contact: dict[str, str], text: str
    ) -> str | engine.Skip | None:
        """Where the role has targets: send, call instead, or skip sending; the delivery's key if sent."""
        from questionary import Choice

        deliveries = session.deliveries
        targets = deliveries.reach.for_role(role) if deliveries and deliveries.reach.live else ()
        if not deliveries or not targets:
            return None
        already = session.sent.get((step.id, role))
        if already is not None:  # sent again when the run resumed: not a second time
            return already
        pb = session.state.playbook
        name = contact.get("name") or role_label(pb, role)
        via = services(targets)
        if deliveries.reach.drill:  # never let a drill look as if it paged the real person
            name = _("the drill channel (instead of {name})").format(name=name)
        picked = self._menu(
            session,
            _("Send the message to {name}?").format(name=visible(name)),
            [
                Choice(_("Send to {name} via {service}").format(name=name, service=via), value="send"),
                Choice(_("Call instead"), value="call"),
                Choice(_("Skip sending"), value="skip"),
            ],
        )
        if picked != "send":
            return picked if isinstance(picked, engine.Skip) else None
        key = session.deliver(step.id, {"role": role}, text)
        sending = _("sending to {name} via {service}…").format(name=name, service=via)
        self.console.print(f"  ✉ {_esc(sending)}")
        return key

    def _try_backup(self, session: Session, pb: Any, role: str, contact: dict[str, str], backup: str) -> bool:
        from questionary import Choice

        stand_in = engine.contact_of(session.state, backup, self.contacts)
        picked = self._menu(
            session,
            _("{person} did not answer. Try their backup, {backup}?").format(
                person=visible(person(pb, role, contact.get("name"))),
                backup=visible(person(pb, backup, stand_in.get("name"))),
            ),
            [Choice(_("Yes, try the backup"), value=True), Choice(_("No"), value=False)],
        )
        return picked is True

    # --- message helpers -------------------------------------------------------------------

    def _show_message(self, prompt: str | None, channel: str | None, text: str) -> None:
        from rich.panel import Panel

        if prompt:
            self.console.print(_esc(prompt))
        self.console.print(
            Panel(
                _esc(text), title=_esc(channel or _("message")), title_align="left", width=min(80, self.console.width)
            )
        )
        self.console.print(_("Plain text, to copy:"), style="dim")
        self.console.print(visible(text), markup=False, highlight=False, soft_wrap=True)
        if self.clipboard(text):
            self.console.print(_("(copied to the clipboard)"), style="dim")

    def _edit(self, text: str) -> str:
        editor = os.environ.get("VISUAL") or os.environ.get("EDITOR")
        if editor:
            try:
                edited = _edit_in_editor(editor, text)
            except (OSError, ValueError) as err:
                self.console.print(
                    "  ⚠ "
                    + _esc(_("cannot run the editor {editor} ({error}); edit here instead")).format(
                        editor=repr(editor), error=err
                    ),
                    style="yellow",
                    highlight=False,
                )
            else:
                if edited is None:
                    self.console.print(
                        "  ⚠ " + _("the editor exited with an error: the message is unchanged"), style="yellow"
                    )
                    return text
                return edited
        return self.prompter.text(_("Edit the message:"), prefilled=text, multiline=True)


def _log_moved(session: Session, after: int, stop: threading.Event) -> bool:
    """Whether the log got an event after `after` before `stop` was set (on a helper thread: reads only)."""
    while not stop.is_set():
        if session.journal.wait(after, 0.5):
            return True
    return False


# What ends the phone-approval menus: the approval moved, or the step or the incident did.
_APPROVAL_MOVES = frozenset((ev.APPROVAL_GIVEN, ev.APPROVAL_REJECTED, ev.APPROVAL_REQUESTED))
_STEP_MOVES = frozenset((ev.STEP_ANSWERED, ev.STEP_SKIPPED))
_INCIDENT_MOVES = frozenset((ev.CLOSED, ev.HANDOVER))


def _approval_moved(session: Session, step_id: str, after: int, stop: threading.Event) -> bool:
    """Whether, after event `after`, the approval of `step_id` moved, the step was answered or
    skipped, or the incident closed or changed hands, before `stop` was set (on a helper thread:
    reads the log as written, decrypts nothing)."""
    while not stop.is_set():
        if not session.journal.wait(after, 0.5):
            continue
        for event in session.journal.events(raw=True):
            seq = event.get("seq")
            if not isinstance(seq, int) or seq <= after:
                continue
            after, kind, data = seq, event.get("type"), event.get("data")
            if kind in _INCIDENT_MOVES or (kind in _STEP_MOVES and event.get("step") == step_id):
                return True
            if kind in _APPROVAL_MOVES and isinstance(data, dict) and data.get("step") == step_id:
                return True
    return False


def _log_reached(session: Session, step_id: str, role: str, outcome: str, contacts: dict[str, Any]) -> list[Event]:
    return engine.reached(session.state, step_id, role, outcome, session.clock(), session.actor, contacts)


def _checklist_echo(total: int) -> Callable[[list[str]], str]:
    """What a checklist's answered line says: the action picked, else how many items are done."""
    labels = dict(ACTIONS)

    def echo(ticked: list[str]) -> str:
        actions = [t for t in ticked if t in labels]
        if actions:
            return _(labels[actions[0]])
        return _("{done} of {total} done").format(done=len(ticked), total=total)

    return echo


def _edit_in_editor(editor: str, text: str) -> str | None:
    """The text as the editor left it; None when the editor exited with an error."""
    fd, path = tempfile.mkstemp(prefix="crisisplay-message-", suffix=".txt")  # 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text + "\n")
        done = subprocess.run([*shlex.split(editor), path], check=False)
        if done.returncode != 0:  # like git: an editor that fails (vim's :cq) abandons the edit
            return None
        with open(path, encoding="utf-8") as f:
            return f.read().rstrip("\n")
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)


def _contact_line(role: str, label: str, contact: dict[str, str]) -> str:
    """How to reach whoever answers for `role`, and who that is when the label does not say it
    all; the configuration table to add when nobody is configured."""
    parts = [contact[k] for k in ("name", "phone", "email") if contact.get(k)]
    description = contact.get("description") if contact.get("description") != label else None
    if not parts:
        table = f"[contacts.{role}]"
        return (
            _("{description} (no contact configured: add {table} to config.toml)").format(
                description=description, table=table
            )
            if description
            else _("no contact configured (add {table} to config.toml)").format(table=table)
        )
    return " · ".join(parts) + (f" — {description}" if description else "")


_DIGITS_AND_MARKS = re.compile(r"[-+]?[0-9][0-9.,]*")


def _number_validator(what: str, low: int | None = None, high: int | None = None, typed: bool = True) -> Validator:
    """Accepts a number within [low, high] (and, where `typed`, the typed actions like `:note`)."""

    def check(text: str) -> bool | str:
        if typed and text.strip() in TYPED:
            return True
        try:
            # In the responder's language: `1.234` is 1234 in Spanish.
            value = engine.parse_number(normalise_number(text, language()), what)
        except NotANumber as err:
            # Digits and marks that fit neither reading (`3.5` in Spanish): say both readings.
            return str(err) if _DIGITS_AND_MARKS.fullmatch(text.strip()) else _("A number, like 12 or 3.5")
        except AnswerError:
            return _("A number, like 12 or 3.5")
        if (low is not None and value < low) or (high is not None and value > high):
            return _("A number from {low} to {high}").format(
                low=low if low is not None else "…", high=high if high is not None else "…"
            )
        return True

    return check


def _esc(text: str) -> str:
    return markup_safe(text)
