"""What lint knows about the platforms a message goes out on: their length limits and norms,
each with the source it rests on, and the pieces of text a message step can send.

A figure is here only when a source was read for it; a platform whose limit could not be
checked has none (lint then says nothing about its length) rather than a guessed one.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from crisisplay.i18n import N_
from crisisplay.playbook.model import PUBLIC_PLATFORMS, MessageStep, platform_of
from crisisplay.yamlsource import Path_

CHARACTERS, BYTES = "characters", "bytes"

# DOMAIN.md's sources (../shared/DOMAIN.md in the project's notes), and those read through the
# search tool while writing this table.
_X = "https://docs.postsyncer.com/platforms/x (DOMAIN [20])"
_LIMITS = "https://docs.upload-post.com/resources/character-limits/ (DOMAIN [21])"
_GOOGLE_REPLY = (
    "Google Business Profile API v4, ReviewReply.comment: 'The maximum length is 4096 bytes' "
    "(https://docs.rs/google-mybusiness4, generated from Google's API description); a review has one "
    "owner reply and replying again replaces it (https://docs.postsyncer.com/api-reference/reviews/reply)"
)
_GOOGLE_POLICY = (
    "Google bans incentives to post, revise or remove reviews (2024 Maps policy, DOMAIN [87]: "
    "https://web.swipeinsight.app/posts/google-updates-maps-policy-on-fake-engagement-to-ensure-"
    "genuine-user-contributions-7539)"
)
_PRIVATE_REPLY = (
    "Meta, Private Replies: 'Only one message can be sent to the person who commented'; 'The message "
    "must be sent within 7 days' "
    "(https://developers.facebook.com/docs/messenger-platform/discovery/private-replies)"
)


@dataclass(frozen=True)
class Platform:
    """A platform as lint sees it: what it is called, its length limit (None: not known) and norms."""

    id: str
    name: str  # marked with N_(): shown translated
    limit: int | None = None
    unit: str = CHARACTERS
    one_reply: bool = False  # one reply per review or comment: a second is refused or replaces the first
    source: str = ""

    @property
    def public(self) -> bool:
        return self.id in PUBLIC_PLATFORMS


PLATFORM_TABLE: dict[str, Platform] = {
    p.id: p
    for p in (
        # X counts an emoji as 2 and a link as 23; Premium accounts may post 25,000 [20].
        Platform("x", N_("Twitter/X"), 280, source=_X),
        Platform("threads", N_("Threads"), 500, source=_LIMITS),
        Platform("instagram", N_("Instagram"), 2200, source=_LIMITS),
        Platform("tiktok", N_("TikTok"), 2200, source=_LIMITS),
        Platform("linkedin", N_("LinkedIn"), 3000, source=_LIMITS),
        Platform("facebook", N_("Facebook"), 63206, source=_LIMITS),
        Platform("google-reviews", N_("Google reviews"), 4096, BYTES, one_reply=True, source=_GOOGLE_REPLY),
        # One message per comment, within 7 days of it; no length limit was found in Meta's pages.
        Platform("facebook-private-reply", N_("a Facebook private reply"), one_reply=True, source=_PRIVATE_REPLY),
        # No limit checked for these: lint says nothing about their length.
        Platform("instagram-dm", N_("an Instagram direct message")),
        Platform("website", N_("the website")),
        Platform("email", N_("e-mail")),
        Platform("dm", N_("a direct message")),
        Platform("sms", N_("SMS")),
    )
}


def over_limit(platform: str | None, text: str) -> str | None:
    """What to tell a responder about to post `text` on `platform` when it is longer than the
    platform takes (an edit can make it so; lint checks only the template); None when it fits."""
    from crisisplay.i18n import _

    known = PLATFORM_TABLE.get(platform or "")
    if known is None or known.limit is None:
        return None
    size = len(text.encode("utf-8")) if known.unit == BYTES else len(text)
    if size <= known.limit:
        return None
    return _("{size} {unit}, over the {limit} {platform} takes: shorten it, or link to a longer statement").format(
        size=size,
        unit=_("bytes") if known.unit == BYTES else _("characters"),
        limit=known.limit,
        platform=_(known.name),
    )


# Sources of the norms CP409 checks (docs/lint-rules.md quotes them).
NORM_SOURCES = {"google-reviews": _GOOGLE_POLICY, "facebook-private-reply": _PRIVATE_REPLY}
# Channels that message a person privately on a social platform: a Google reviewer cannot be reached so.
DIRECT_MESSAGES = ("dm", "instagram-dm", "facebook-private-reply")


@dataclass(frozen=True)
class Piece:
    """One text a message step can send: the step's own template or one variant's."""

    path: Path_  # of its `template:` in the document
    key: str | None  # the variant's key, None for the step's template
    template: str
    channel: str
    platform: str | None

    @property
    def audience(self) -> str | None:
        if self.platform is None:
            return None
        return "public" if self.platform in PUBLIC_PLATFORMS else "private"


def pieces(step: MessageStep, path: Path_) -> Iterator[Piece]:
    """The step's template (when it has one), then each variant, with the platform each goes out on."""
    if step.template is not None:
        yield Piece(path + ("template",), None, step.template, step.channel, step.platform)
    for key, variant in (step.variants or {}).items():
        yield Piece(
            path + ("variants", key, "template"),
            key,
            variant.template,
            variant.channel or step.channel,
            platform_of(key, variant) or step.platform,
        )


def audience(step: MessageStep, piece: Piece) -> str | None:
    """`public` or `private` for one piece: the step's `audience:` when written, else its platform's."""
    return step.audience or piece.audience
