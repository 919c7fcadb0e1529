"""Local PSI sandbox: a stand-in for the Segurança Social interoperability platform (quality environment).

Run with ``python -m ciclo.sandbox --host 127.0.0.1 --port 8765 --state state.sqlite3``. See docs/SANDBOX.md.
"""
