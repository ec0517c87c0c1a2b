"""A local HTTP server that speaks the Recraft API.

No machine of ours can reach the real API, so the studio is developed, tested,
demonstrated and load-tested against this sandbox. It answers every endpoint of the
docs with the same shapes, rules, prices and limits as the API, all read from
`recraft_studio.recraft.catalog` and `recraft_studio.recraft.validation`, and it
makes real, deterministic images. It knows nothing of Django.

Run it with `python -m recraft_studio.sandbox`; start it from tests with
`recraft_studio.sandbox.process.SandboxProcess`. See docs/sandbox.md.
"""
