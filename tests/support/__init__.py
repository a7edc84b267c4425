"""Test support code shared by the whole suite (and the benchmark suite).

`fake_anthropic` holds a scripted Anthropic-compatible HTTP server for
end-to-end tests of the provider, the agent loop and the app.
"""
