"""The platforms a message step can name, apart from the models: `show` reads them without building those."""

from __future__ import annotations

from typing import Literal, get_args

# The platforms a message can go out on, each with its audience; lint knows their limits and norms
# (lint/channels.py). A message names one with `platform:`, or holds `variants:` keyed by the value
# of the variable `variant_by:` names, each variant on the platform its key names (or its own `platform:`).
Platform = Literal[
    "x",
    "instagram",
    "instagram-dm",
    "tiktok",
    "facebook",
    "facebook-private-reply",
    "google-reviews",
    "linkedin",
    "threads",
    "website",
    "email",
    "dm",
    "sms",
]
PLATFORMS: tuple[str, ...] = get_args(Platform)


PUBLIC_PLATFORMS = ("x", "instagram", "tiktok", "facebook", "google-reviews", "linkedin", "threads", "website")
