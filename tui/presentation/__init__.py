"""What a session's events show, as plain data and wording: shared by the chat, replay, export and print mode.

Never imports Textual: print mode and export use it headless. `export` writes the transcripts (md, html,
json) that `stepwise export` and the app's `/export` share.
"""

__all__ = ["export", "standing", "transcript"]
