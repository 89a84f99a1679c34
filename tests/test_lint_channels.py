"""Channel-aware messages in lint: the checker's CP212, CP216–CP219 and the content warnings
CP405 (every platform's length), CP407 decision-still-open, CP408 personal-in-public and
CP409 platform-norm. Each rule has a failing example here, and a fixed one beside it."""

from __future__ import annotations

import pytest
from lint_helpers import codes, line_of, lint, only

from crisisplay.lint.channels import PLATFORM_TABLE

CHANNELS = """\
crisisplay: 1
id: channels
title: Channel-aware messages
roles:
  manager: Your line manager
inputs:
  platform:
    prompt: Where is it?
    type: choice
    options: [x, facebook, google-reviews]
  customer_name:
    prompt: The customer's first name
    personal: customer
    max_length: 20
  handle:
    prompt: Their public handle
    personal: handle
    max_length: 30
phases:
  - id: response
    title: Response
    steps:
      - id: legal
        type: choice
        prompt: What did counsel say?
        options:
          - label: Not reached yet
            value: interim
            interim: true
          - label: Refund
            value: refund
        save_as: decision
      - id: notify-manager
        type: escalate
        to: [manager]
      - id: public-reply
        type: message
        channel: Public reply
        variant_by: platform
        variants:
          x:
            template: "@{{ handle }} we are sorry. {% if decision == 'refund' %}Refund: {{ decision }}.{% endif %}"
          facebook:
            template: "We are sorry, {{ handle }}."
          google-reviews:
            template: "Thank you for telling us. We are sorry."
      - id: private-note
        type: message
        channel: "E-mail to {{ customer_name }}"
        platform: email
        template: "Dear {{ customer_name }}, we are sorry. {% if decision != 'interim' %}{{ decision }}{% endif %}"
  - id: post-mortem
    title: Post-mortem
    steps:
      - id: what-happened
        type: text
        prompt: What happened?
        section: summary
"""

CONTENT = ("CP2", "CP3", "CP4")


def test_the_channel_playbook_is_clean():
    assert [str(f) for f in lint(CHANNELS, "channels.yaml") if f.code.startswith(CONTENT)] == []


# ---------------------------------------------------------------- the checker


def test_variant_by_naming_no_variable_is_an_error_with_did_you_mean():
    text = CHANNELS.replace("variant_by: platform", "variant_by: platfrom")
    [finding] = only(lint(text, "channels.yaml"), "CP212")
    assert finding.level == "error" and "did you mean 'platform'" in finding.message
    assert finding.line == line_of(text, "variant_by: platfrom")


def test_a_choice_value_with_no_variant_and_no_template_is_an_error():
    text = CHANNELS.replace('          facebook:\n            template: "We are sorry, {{ handle }}."\n', "")
    [finding] = only(lint(text, "channels.yaml"), "CP217")
    assert finding.level == "error" and "'facebook'" in finding.message
    fixed = text.replace(
        "        variant_by: platform\n", "        template: We are sorry.\n        variant_by: platform\n"
    )
    assert "CP217" not in codes(lint(fixed, "channels.yaml"))


def test_a_variant_key_that_is_no_value_is_a_warning():
    text = CHANNELS.replace("          facebook:\n", "          facebok:\n")
    found = lint(text, "channels.yaml")
    [finding] = only(found, "CP218")
    assert finding.level == "warning" and "did you mean 'facebook'" in finding.message
    assert "CP217" in codes(found)  # and facebook itself has no text now


def test_variants_picked_by_free_text_need_a_template():
    text = CHANNELS.replace("variant_by: platform", "variant_by: handle")
    [finding] = only(lint(text, "channels.yaml"), "CP219")
    assert "free text" in finding.message
    fixed = text.replace(
        "        variant_by: handle\n", "        template: We are sorry.\n        variant_by: handle\n"
    )
    assert "CP219" not in codes(lint(fixed, "channels.yaml"))


def test_a_personal_input_with_a_default_is_an_error():
    text = CHANNELS.replace("    personal: customer\n", "    personal: customer\n    default: Ann\n")
    [finding] = only(lint(text, "channels.yaml"), "CP216")
    assert finding.level == "error" and "input 'customer_name'" in finding.message


# ---------------------------------------------------------------- CP405 on every platform


def test_a_variant_over_the_x_limit_names_the_platform_variant_and_length():
    long = "We are so sorry. " * 16
    text = CHANNELS.replace('template: "@{{ handle }} we are sorry.', f'template: "@{{{{ handle }}}} {long}')
    [finding] = only(lint(text, "channels.yaml"), "CP405")
    assert "variant 'x'" in finding.message and "Twitter/X" in finding.message and "at most 280" in finding.message
    # the handle counts at its max_length (30), the decision at its longest value ('interim')
    assert f"about {1 + 30 + 1 + len(long) + 1 + len('Refund: ') + 7 + 1} characters" in finding.message


def test_max_length_is_the_realistic_length_of_an_input():
    body = "x" * 240 + "{{ handle }}"
    text = CHANNELS.replace('template: "We are sorry, {{ handle }}."', "template: We are sorry.")
    text = text.replace(
        "template: \"@{{ handle }} we are sorry. {% if decision == 'refund' %}Refund: {{ decision }}.{% endif %}\"",
        f'template: "{body}"',
    )
    assert "CP405" not in codes(lint(text, "channels.yaml"))  # 240 + 30
    longer = text.replace("max_length: 30", "max_length: 50")
    assert "about 290 characters" in only(lint(longer, "channels.yaml"), "CP405")[0].message


def test_threads_limit_applies_to_a_step_platform():
    text = CHANNELS.replace("        platform: email\n", "        platform: threads\n        audience: private\n")
    text = text.replace("Dear {{ customer_name }}, we are sorry.", "Dear {{ customer_name }}, " + "sorry. " * 80)
    [finding] = only(lint(text, "channels.yaml"), "CP405")
    assert "Threads" in finding.message and "at most 500" in finding.message


def test_every_limit_has_a_source():
    for platform in PLATFORM_TABLE.values():
        assert platform.limit is None or platform.source, platform.id
    assert PLATFORM_TABLE["x"].limit == 280 and PLATFORM_TABLE["facebook"].limit == 63206


# ---------------------------------------------------------------- CP407


def test_a_decision_that_can_still_be_interim_is_warned():
    text = CHANNELS.replace("{% if decision == 'refund' %}Refund: {{ decision }}.{% endif %}", "{{ decision }}")
    [finding] = only(lint(text, "channels.yaml"), "CP407")
    assert "step 'public-reply'" in finding.message and "'interim'" in finding.message and "'legal'" in finding.message
    assert finding.line == line_of(text, "we are sorry. {{ decision }}")


@pytest.mark.parametrize(
    "guarded",
    [
        "{% if decision == 'refund' %}{{ decision }}{% endif %}",
        "{% if decision != 'interim' %}{{ decision }}{% endif %}",
        "{% if decision in ['refund'] %}{{ decision }}{% endif %}",
        "{% if decision == 'interim' %}We are checking.{% else %}{{ decision }}{% endif %}",
        "{{ decision if decision != 'interim' else 'We are checking.' }}",
    ],
)
def test_uses_ruled_out_by_an_if_are_not_warned(guarded):
    text = CHANNELS.replace("{% if decision == 'refund' %}Refund: {{ decision }}.{% endif %}", guarded)
    assert "CP407" not in codes(lint(text, "channels.yaml"))


def test_a_when_that_rules_the_interim_out_guards_the_message():
    text = CHANNELS.replace("{% if decision == 'refund' %}Refund: {{ decision }}.{% endif %}", "{{ decision }}")
    text = text.replace(
        "        variant_by: platform\n", "        when: decision != 'interim'\n        variant_by: platform\n"
    )
    assert "CP407" not in codes(lint(text, "channels.yaml"))


def test_a_message_reached_only_after_a_final_option_is_not_warned():
    text = CHANNELS.replace("{% if decision == 'refund' %}Refund: {{ decision }}.{% endif %}", "{{ decision }}")
    text = text.replace("            interim: true\n", "            interim: true\n            next: what-happened\n")
    assert "CP407" not in codes(lint(text, "channels.yaml"))


# ---------------------------------------------------------------- CP305 and if-guards


def test_maybe_unset_accepts_uses_inside_an_if_on_the_name(minimal_playbook):
    text = minimal_playbook.replace("        type: confirm\n", "        type: confirm\n        save_as: fixed\n")
    text = text.replace("next: notify-manager", "next: holding-statement")
    bare = text.replace("We are looking into {{ product }}.", "'{{ fixed }}'")
    assert "CP305" in codes(lint(bare))
    guarded = text.replace("We are looking into {{ product }}.", "'{% if fixed is defined %}{{ fixed }}{% endif %}'")
    assert "CP305" not in codes(lint(guarded))
    compared = text.replace("We are looking into {{ product }}.", "'{% if fixed == true %}{{ fixed }}{% endif %}'")
    assert "CP305" not in codes(lint(compared))
    not_equal = text.replace("We are looking into {{ product }}.", "'{% if fixed != false %}{{ fixed }}{% endif %}'")
    assert "CP305" in codes(lint(not_equal))  # an unset name is not false either


# ---------------------------------------------------------------- CP408


def test_a_public_message_naming_a_customer_is_warned_but_a_handle_is_not():
    text = CHANNELS.replace('template: "We are sorry, {{ handle }}."', 'template: "We are sorry, {{ customer_name }}."')
    [finding] = only(lint(text, "channels.yaml"), "CP408")
    assert "'customer_name'" in finding.message and "variant 'facebook'" in finding.message
    assert finding.line == line_of(text, "We are sorry, {{ customer_name }}.")


def test_a_public_step_naming_personal_data_in_its_channel_is_warned():
    text = CHANNELS.replace("        platform: email\n", "        platform: website\n")
    found = only(lint(text, "channels.yaml"), "CP408")
    assert len(found) == 2  # the channel and the template


# ---------------------------------------------------------------- CP409


def test_a_one_reply_platform_in_a_loop_is_warned():
    text = CHANNELS.replace(
        "      - id: what-happened\n",
        "      - id: again\n        type: choice\n        prompt: Again?\n        options:\n"
        "          - {label: Again, value: again, next: public-reply}\n          - {label: Done, value: done}\n"
        "      - id: what-happened\n",
    )
    found = only(lint(text, "channels.yaml"), "CP409")
    assert [f.line for f in found] == [line_of(text, 'template: "Thank you for telling us')]
    assert "Google reviews" in found[0].message and "loop" in found[0].message


def test_a_direct_message_on_the_google_reviews_path_is_warned():
    text = CHANNELS.replace(
        '          google-reviews:\n            template: "Thank you',
        '          google-reviews:\n            platform: dm\n            template: "Thank you',
    )
    [finding] = only(lint(text, "channels.yaml"), "CP409")
    assert "Google reviewer cannot be messaged" in finding.message
    when = CHANNELS.replace(
        "        platform: email\n", "        platform: instagram-dm\n        when: platform == 'google-reviews'\n"
    )
    assert "CP409" in codes(lint(when, "channels.yaml"))


@pytest.mark.parametrize(
    "reply",
    [
        "We will refund you if you remove your review.",
        "Te hacemos un descuento si borras la reseña.",
        "Update your review and get a free voucher.",
    ],
)
def test_compensation_for_changing_a_review_is_warned(reply):
    text = CHANNELS.replace("Thank you for telling us. We are sorry.", reply)
    [finding] = only(lint(text, "channels.yaml"), "CP409")
    assert "never trade compensation" in finding.message


def test_a_refund_without_a_word_about_the_review_is_fine():
    text = CHANNELS.replace("Thank you for telling us. We are sorry.", "We are sorry; we have refunded your order.")
    assert "CP409" not in codes(lint(text, "channels.yaml"))


def test_spanish_messages_for_the_new_rules():
    from crisisplay.i18n import speaking

    text = CHANNELS.replace("{% if decision == 'refund' %}Refund: {{ decision }}.{% endif %}", "{{ decision }}")
    with speaking("es"):
        [finding] = only(lint(text, "channels.yaml"), "CP407")
    assert "todavía" in finding.message


def test_the_channel_of_a_step_with_variants_only_is_checked_too():
    text = CHANNELS.replace(
        "        channel: Public reply\n", '        channel: "Reply to {{ customer_name }}"\n        audience: public\n'
    )
    [finding] = only(lint(text, "channels.yaml"), "CP408")
    assert finding.line == line_of(text, 'channel: "Reply to {{ customer_name }}"')
