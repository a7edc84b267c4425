"""Safe cuts of a Markdown text: where parts render as the whole does."""

from __future__ import annotations

import pytest

from tui.app.markdown_split import CutFinder, has_link_definitions

TEXT = (
    "Intro paragraph.\n\n"
    "```python\nx = 1\n\nInside the fence\n```\n\n"
    "After the fence.\n\n"
    "- item\n\n- loose item\n\n  continued item\n\n"
    "# Heading\n\n"
    "> quote\n\n"
    "<pre>\n\nNot a cut\n</pre>\n\n"
    "<!-- comment\n\nStill comment -->\n\n"
    "Last paragraph.\n"
)


def starts(text: str, cuts: list[int]) -> list[str]:
    return [text[cut:].split("\n", 1)[0] for cut in cuts]


def test_cuts_only_before_paragraphs_outside_fences_and_raw_html() -> None:
    cuts = CutFinder().scan(TEXT)
    assert starts(TEXT, cuts) == ["Intro paragraph.", "After the fence.", "Last paragraph."]


def test_cuts_found_piece_by_piece_equal_those_of_the_whole_text() -> None:
    finder = CutFinder()
    cuts: list[int] = []
    for end in range(1, len(TEXT) + 1, 3):
        cuts += finder.scan(TEXT[:end])
    cuts += finder.scan(TEXT)
    assert cuts == CutFinder().scan(TEXT)


def test_a_cut_is_reported_at_the_first_letter_of_its_line() -> None:
    finder = CutFinder()
    assert finder.scan("One.\n\nT") == [0, 6]
    assert finder.scan("One.\n\nTwo, still streaming") == []


@pytest.mark.parametrize(
    "definition",
    ["[d]: https://example.com", "   [d]: u", "> [d]: u", ">[d]: u", "> > [d]: u", "- [d]: u", "12. [d]: u"],
)
def test_link_definitions_are_found_also_inside_quotes_and_list_items(definition: str) -> None:
    # A definition inside a container block still serves the whole document.
    assert has_link_definitions(f"See [the docs][d].\n\nMore text here.\n\n{definition}\n")


@pytest.mark.parametrize(
    "text", ["A [link](https://example.com) inline.", "- [ ] a task", "- [x] done: yes", "-[d]: not a list"]
)
def test_inline_links_and_task_lists_are_not_definitions(text: str) -> None:
    assert not has_link_definitions(text + "\n")
