def test_reflowed_joins_a_paragraphs_lines_and_keeps_blank_lines_list_items_and_indented_lines():
    from crisisplay.display import reflowed

    text = "Be concrete. Examples:\n- Honour: ship it\n- Refund:\n  with a voucher\nThe same decision\ngoes to everyone.\n\nNew\nparagraph\n1. first\n"
    assert reflowed(text) == (
        "Be concrete. Examples:\n- Honour: ship it\n- Refund:\n  with a voucher\n"
        "The same decision goes to everyone.\n\nNew paragraph\n1. first"
    )
