"""Syntax highlighting, sanitizing and word-level emphasis (no Textual involved)."""

from __future__ import annotations

from tui.app.highlight import (
    highlight_hunk,
    highlight_lines,
    lexer_alias_for,
    sanitize,
    word_spans,
)


def _changed(text: str, spans: tuple[tuple[int, int], ...]) -> list[str]:
    return [text[start:end] for start, end in spans]


def test_word_spans_mark_only_the_changed_words() -> None:
    old = "total = price * quantity"
    new = "total = price * count + tax"
    old_spans, new_spans = word_spans(old, new)
    assert _changed(old, old_spans) == ["quantity"]
    assert _changed(new, new_spans) == ["count + tax"]


def test_word_spans_pure_insertion_marks_nothing_on_the_old_side() -> None:
    old_spans, new_spans = word_spans("call(a, b)", "call(a, b, c)")
    assert old_spans == ()
    assert _changed("call(a, b, c)", new_spans) == [", c"]


def test_word_spans_are_empty_for_unrelated_lines() -> None:
    assert word_spans("import os", "while True: pass  # something else entirely") == ((), ())


def test_word_spans_skip_very_long_lines() -> None:
    old = "x " * 1000
    assert word_spans(old, old + "y") == ((), ())


def test_sanitize_makes_escape_sequences_visible_and_inert() -> None:
    text = sanitize("print('\x1b[31mred\x1b[0m')\tdone\x07\x9b\u202e")
    assert "\x1b" not in text and "\x07" not in text and "\x9b" not in text and "\u202e" not in text
    assert "\t" not in text
    assert text.startswith("print('␛[31mred␛[0m')")
    assert "done␇" in text
    assert text.isprintable()


def test_sanitize_leaves_ordinary_text_alone() -> None:
    assert sanitize("naïve 日本語 café") == "naïve 日本語 café"


def test_lexer_is_chosen_by_file_name() -> None:
    assert lexer_alias_for("src/app.py") == "python"
    assert lexer_alias_for("Makefile") == "make"
    assert lexer_alias_for("notes.unknownext") is None


def test_highlight_lines_keeps_one_styled_line_per_input_line() -> None:
    lines = ['"""Doc', "string", '"""', "", "def f(x):", "    return x"]
    styled = highlight_lines(lines, "m.py", "monokai")
    assert len(styled) == len(lines)
    assert ["".join(text for text, _ in line) for line in styled] == lines
    # The multi-line string keeps its string colour on its middle line.
    assert styled[1][0][1].color is not None
    keyword_styles = [style for text, style in styled[4] if text == "def"]
    assert keyword_styles and keyword_styles[0].color is not None


def test_highlight_lines_unknown_file_type_is_plain() -> None:
    styled = highlight_lines(["a b"], "data.unknownext", "monokai")
    assert styled == [(("a b", styled[0][0][1]),)]
    assert not styled[0][0][1]


def test_light_style_gives_different_colours_from_dark() -> None:
    dark = highlight_lines(["def f(): pass"], "m.py", "monokai")[0]
    light = highlight_lines(["def f(): pass"], "m.py", "friendly")[0]
    assert dark[0][0] == light[0][0] == "def"
    assert dark[0][1].color != light[0][1].color


def test_highlight_hunk_colours_each_side_and_skips_markers() -> None:
    lines = [(" ", "x = 1"), ("-", "y = 2"), ("+", "y = 'two'"), ("\\", "No newline at end of file")]
    styled = highlight_hunk(lines, "m.py", "monokai")
    assert styled[3] is None
    assert "".join(text for text, _ in styled[1]) == "y = 2"
    string_styles = [style for text, style in styled[2] if "two" in text]
    assert string_styles and string_styles[0].color is not None
