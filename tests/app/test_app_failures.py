"""Failures the app survives: the message says where the traceback is (or how to keep it)."""

from tui.app.app import StepwiseApp
from tui.engine.session.session import SessionError


async def _start_error(factory) -> str | None:
    app = StepwiseApp(factory)
    async with app.run_test() as pilot:
        for _ in range(400):
            if app.start_error:
                break
            await pilot.pause()
    return app.start_error


async def test_an_unexpected_start_up_failure_says_how_to_keep_its_traceback(stepwise_home):
    async def factory(approver):
        raise RuntimeError("wiring bug")

    log = stepwise_home / "sessions" / "debug.log"
    assert await _start_error(factory) == (
        f"wiring bug (run with --debug or STEPWISE_DEBUG=1 to keep the traceback in {log})"
    )


async def test_an_expected_start_up_failure_is_its_message_alone(stepwise_home):
    async def factory(approver):
        raise SessionError("not in a git work tree")

    assert await _start_error(factory) == "not in a git work tree"
