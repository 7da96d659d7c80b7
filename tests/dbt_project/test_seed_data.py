"""The committed seed CSVs are exactly what the generator produces, and DEFECTS.yml states the truth
about them (counted here straight from the CSVs, independently of dbt)."""

from __future__ import annotations

import csv
import subprocess
import sys
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import yaml

from .dbt_helpers import ANCHOR_DATE, DBT_DIR, load_defects

SEEDS = DBT_DIR / "seeds"
GENERATOR = DBT_DIR / "scripts" / "generate_seeds.py"
VALID_STATUSES = {"placed", "shipped", "completed", "returned", "cancelled"}


def _rows(name: str) -> list[dict[str, str]]:
    with (SEEDS / f"{name}.csv").open(newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def defects() -> dict[str, dict]:
    return {d["name"]: d for d in load_defects()}


def test_generator_reproduces_the_committed_csvs(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(GENERATOR), "--out", str(tmp_path)], capture_output=True, text=True, check=True
    )
    assert "total:" in proc.stdout
    written = sorted(p.name for p in tmp_path.glob("*.csv"))
    assert written == sorted(p.name for p in SEEDS.glob("*.csv"))
    for name in written:
        assert (tmp_path / name).read_bytes() == (SEEDS / name).read_bytes(), name
    check = subprocess.run([sys.executable, str(GENERATOR), "--check"], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr


def test_generator_check_detects_a_modified_csv(tmp_path: Path) -> None:
    subprocess.run([sys.executable, str(GENERATOR), "--out", str(tmp_path)], capture_output=True, check=True)
    target = tmp_path / "raw_orders.csv"
    target.write_text(target.read_text().replace("completed", "complete", 1))
    check = subprocess.run(
        [sys.executable, str(GENERATOR), "--check", "--out", str(tmp_path)], capture_output=True, text=True
    )
    assert check.returncode == 1
    assert "raw_orders.csv" in check.stderr


def test_generator_uses_only_the_standard_library_and_no_clock() -> None:
    source = GENERATOR.read_text()
    assert "random.Random(SEED)" in source
    for forbidden in ("now(", "today(", "time.time", "import numpy", "import faker", "import pandas"):
        assert forbidden not in source, forbidden


def test_seed_volume_is_about_14800_rows() -> None:
    total = sum(len(_rows(p.stem)) for p in SEEDS.glob("*.csv"))
    assert 14_500 <= total <= 15_100


def test_catalogue_matches_the_generator(defects: dict[str, dict]) -> None:
    sys.path.insert(0, str(GENERATOR.parent))
    try:
        import generate_seeds
    finally:
        sys.path.pop(0)
    for name, count in generate_seeds.DEFECTS.items():
        assert defects[name]["rows_affected"] == count, name
    assert str(generate_seeds.ANCHOR) == ANCHOR_DATE
    assert yaml.safe_load((DBT_DIR / "dbt_project.yml").read_text())["vars"][
        "pipelineops_demo_anchor_date"
    ] == (ANCHOR_DATE)


def test_catalogue_has_at_least_eight_kinds_each_caught(defects: dict[str, dict]) -> None:
    assert len(defects) >= 8
    ids = [d["id"] for d in defects.values()]
    assert len(set(ids)) == len(ids)
    for d in defects.values():
        assert d["caught_by"], d["name"]
        assert d["cleaned_in"], d["name"]


def test_catalogue_counts_match_the_csvs(defects: dict[str, dict]) -> None:
    anchor = datetime.fromisoformat(ANCHOR_DATE)
    customers = _rows("raw_customers")
    orders = _rows("raw_orders")
    items = _rows("raw_order_items")
    payments = _rows("raw_payments")
    products = _rows("raw_products")
    customer_ids = {r["customer_id"] for r in customers}
    product_ids = {r["product_id"] for r in products}

    dup_keys = [k for k, n in Counter(r["customer_id"] for r in customers).items() if n > 1]
    assert len(dup_keys) == defects["duplicate_customer_ids"]["rows_affected"]
    assert sum(r["customer_id"] == "" for r in orders) == defects["orders_null_customer_id"]["rows_affected"]
    orphans = [r for r in orders if r["customer_id"] and r["customer_id"] not in customer_ids]
    assert len(orphans) == defects["orders_orphan_customer_id"]["rows_affected"]
    invalid = [r["status"] for r in orders if r["status"] not in VALID_STATUSES]
    assert len(invalid) == defects["orders_invalid_status"]["rows_affected"]
    assert len(set(invalid)) == defects["orders_invalid_status"]["distinct_values"]
    assert {s.strip().lower() for s in invalid} <= VALID_STATUSES  # staging can normalise them
    future = [r for r in orders if datetime.fromisoformat(r["ordered_at"]) >= anchor + timedelta(days=1)]
    assert len(future) == defects["orders_future_ordered_at"]["rows_affected"]
    bad_items = [r for r in items if r["product_id"] not in product_ids]
    assert len(bad_items) == defects["order_items_orphan_product_id"]["rows_affected"]
    negative = [r for r in payments if r["amount"].startswith("-")]
    assert len(negative) == defects["payments_negative_amount"]["rows_affected"]
    assert sum(r["category"] == "" for r in products) == defects["products_null_category"]["rows_affected"]


def test_defective_orders_have_no_dependants() -> None:
    """Orders that staging and int_orders_attributed drop carry no lines, payments or shipments, so nothing
    is orphaned downstream."""
    anchor = datetime.fromisoformat(ANCHOR_DATE) + timedelta(days=1)
    customer_ids = {r["customer_id"] for r in _rows("raw_customers")}
    dropped = {
        r["order_id"]
        for r in _rows("raw_orders")
        if r["customer_id"] not in customer_ids or datetime.fromisoformat(r["ordered_at"]) >= anchor
    }
    assert dropped
    for table in ("raw_order_items", "raw_payments", "raw_shipments"):
        assert not dropped & {r["order_id"] for r in _rows(table)}, table


def test_schema_drift_column_is_undeclared_on_the_source(defects: dict[str, dict]) -> None:
    path = DBT_DIR / "models" / "staging" / "payment_processor" / "_payment_processor__sources.yml"
    (source,) = yaml.safe_load(path.read_text())["sources"]
    declared = {c["name"] for c in next(t for t in source["tables"] if t["name"] == "payments")["columns"]}
    arrived = set(_rows("raw_payments")[0])
    assert arrived - declared == {"processor_fee"}
    assert defects["payments_schema_drift"]["columns_affected"] == 1
    # the drift is recent: the column is empty before it appeared
    fees = [(r["paid_at"], r["processor_fee"]) for r in _rows("raw_payments")]
    assert any(fee == "" for _, fee in fees) and any(fee != "" for _, fee in fees)


def test_stale_feed_lags_the_others_by_the_catalogued_hours(defects: dict[str, dict]) -> None:
    newest = {
        name: max(datetime.fromisoformat(r["_loaded_at"]) for r in _rows(name))
        for name in (
            "raw_customers",
            "raw_orders",
            "raw_order_items",
            "raw_payments",
            "raw_products",
            "raw_shipments",
        )
    }
    fresh = {v for k, v in newest.items() if k != "raw_shipments"}
    assert len(fresh) == 1
    lag = next(iter(fresh)) - newest["raw_shipments"]
    assert lag == timedelta(hours=defects["shipments_stale_load"]["lag_hours"])
