"""stepwise: a terminal pair-programmer that asks before every step.

The package has two layers. `tui.engine` is headless (agent files, tools,
permissions, git workspace, session log, model provider, agent loop) and never
imports Textual. `tui.app` is the Textual UI on top; it talks to the engine only
through events and the approval interface.
"""

__version__ = "0.1.0"
