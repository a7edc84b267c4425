"""What a session's events show, as plain data and wording: shared by the chat, replay, export and print mode.

Never imports Textual: print mode and export use it headless.
"""

__all__ = ["standing", "transcript"]
