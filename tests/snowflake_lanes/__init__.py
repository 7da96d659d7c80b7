"""The Snowflake lanes: one list of end-to-end scenarios (``scenarios.py``) run by two implementations of one
``Lane`` protocol (``lane.py``): the emulator lane (``tests/e2e_snowflake/``: fakesnow plus the semantics
shim) and the live lane (``live.py``, run by ``tests/live/test_snowflake_live.py`` against a real account)."""
