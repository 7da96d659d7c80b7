"""Set-aside tables: recognised by name, dropped only when confirmed or past the retention."""

from __future__ import annotations

from datetime import UTC, datetime

from pipelineops.plan import aside

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def test_parse_recognises_every_aside_form_and_nothing_else() -> None:
    a = aside.parse("MARTS__BLUE", "fct_orders__REPLACED_20261122T120000")
    assert a is not None and (a.table, a.restore_id, a.at) == (
        "fct_orders",
        "20261122T120000",
        datetime(2026, 11, 22, 12, tzinfo=UTC),
    )
    assert aside.parse("S", "FCT__RESTORED_20261122T120000") is not None
    assert aside.parse("S", "FCT__CURRENT_20261122T120000") is not None
    assert aside.parse("S", "FCT__UNDROPPED_20261122T120000") is not None  # left by an undone UNDROP route
    for name in (
        "fct_orders",
        "fct__REPLACED_2026",
        "fct__REPLACED_20261399T999999",
        "x__OTHER_20261122T120000",
    ):
        assert aside.parse("S", name) is None, name


def test_to_drop_keeps_young_tables_and_drops_old_or_confirmed_ones() -> None:
    old = aside.parse("S", "a__REPLACED_20261121T120000")
    young = aside.parse("S", "b__REPLACED_20261125T110000")
    assert old is not None and young is not None
    due = aside.to_drop([young, old], now=NOW, keep_hours=72, confirm=None)
    assert [(t.name, why) for t, why in due] == [
        ("a__REPLACED_20261121T120000", "set aside 96 h ago (keep 72 h)")
    ]
    confirmed = aside.to_drop([young, old], now=NOW, keep_hours=72, confirm="20261125T110000")
    assert [t.name for t, _ in confirmed] == ["b__REPLACED_20261125T110000"]
