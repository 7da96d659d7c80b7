"""Column lineage of compiled SQL: what each output column reads, what decides the rows, what is unprovable."""

from __future__ import annotations

import pytest

from pipelineops.plan.column_lineage import lineage
from pipelineops.plan.lineage_model import ROWS, STAR, Lineage, Unprovable, table_key
from pipelineops.plan.sql import DUCKDB, SNOWFLAKE

TABLES = {
    ("lake", "s", "orders"): "model.p.orders",
    ("lake", "s", "customers"): "model.p.customers",
    ("lake", "t", "customers"): "model.p.customers_t",
}


def duck(sql: str) -> Lineage:
    return lineage(sql, DUCKDB, TABLES)


def reads(line: Lineage, name: str) -> set[tuple[str, str]]:
    column = line.column(name)
    assert column is not None
    return set(column.reads)


def test_select_list_reads_resolve_through_aliases_and_a_single_source() -> None:
    line = duck("select o.id, amount * 2 as doubled from lake.s.orders as o")
    assert reads(line, "id") == {("model.p.orders", "id")}
    assert reads(line, "doubled") == {("model.p.orders", "amount")}
    assert line.rows == {("model.p.orders", ROWS)}
    assert line.relations == {"model.p.orders"}
    assert line.column("missing") is None
    assert line.reads == {("model.p.orders", "id"), ("model.p.orders", "amount"), ("model.p.orders", ROWS)}


def test_filters_joins_group_by_having_qualify_and_distinct_decide_rows() -> None:
    line = duck(
        "select distinct o.customer_id, sum(o.amount) over (partition by o.region) as running "
        "from lake.s.orders o join lake.s.customers c on c.id = o.customer_id "
        "where c.active group by o.customer_id, o.amount, o.region having count(*) > 1 qualify running > 0"
    )
    assert {c for _, c in line.rows} >= {"id", "customer_id", "active", "amount", "region", ROWS}
    assert reads(line, "running") == {("model.p.orders", "amount"), ("model.p.orders", "region")}
    assert "join" in line.row_fingerprint


def test_join_using_reads_the_column_in_both_sources() -> None:
    line = duck("select o.amount from lake.s.orders o join lake.s.customers c using (id)")
    assert {("model.p.orders", "id"), ("model.p.customers", "id")} <= line.rows


def test_unqualified_column_with_several_sources_reads_every_one() -> None:
    line = duck("select amount from lake.s.orders o, lake.s.customers c")
    assert reads(line, "amount") == {("model.p.orders", "amount"), ("model.p.customers", "amount")}


def test_cte_chain_and_derived_tables_carry_columns_and_rows() -> None:
    line = duck(
        "with a as (select id, amount as amt from lake.s.orders where status = 'ok'), "
        "b as (select id, amt * 2 as total from a) "
        "select d.total from (select total from b) as d"
    )
    assert reads(line, "total") == {("model.p.orders", "amount")}
    assert ("model.p.orders", "status") in line.rows


def test_select_star_over_a_table_reads_every_column_and_over_a_cte_expands_it() -> None:
    line = duck("select * from lake.s.orders")
    assert line.star
    assert line.reads >= {("model.p.orders", STAR)}
    expanded = duck("with a as (select id, amount from lake.s.orders) select * from a")
    assert not expanded.star
    assert [c.name for c in expanded.columns] == ["id", "amount"]
    qualified = duck("select o.*, c.name from lake.s.orders o join lake.s.customers c on c.id = o.id")
    assert qualified.star
    assert reads(qualified, "name") == {("model.p.customers", "name")}


def test_a_column_only_a_star_names_is_read_through_the_star() -> None:
    line = duck("with a as (select * from lake.s.orders) select a.amount from a")
    assert reads(line, "amount") == {("model.p.orders", "amount")}


def test_star_with_an_unknown_qualifier_is_unprovable() -> None:
    with pytest.raises(Unprovable, match="names no source"):
        duck("select x.* from lake.s.orders o")


def test_union_maps_columns_by_position() -> None:
    line = duck("select id, amount from lake.s.orders union all select id, credit from lake.s.customers")
    assert reads(line, "amount") == {("model.p.orders", "amount"), ("model.p.customers", "credit")}
    assert ("model.p.orders", "amount") not in line.rows
    distinct = duck("select id from lake.s.orders union select id from lake.s.customers")
    assert ("model.p.orders", "id") in distinct.rows


def test_union_with_a_star_reads_everything_for_every_column() -> None:
    line = duck("select * from lake.s.orders union all select id, amount from lake.s.customers")
    assert line.star
    assert reads(line, "*model.p.orders") >= {("model.p.customers", "amount"), ("model.p.orders", STAR)}


def test_limit_makes_the_order_decide_rows() -> None:
    line = duck("select id from lake.s.orders order by amount limit 10")
    assert ("model.p.orders", "amount") in line.rows
    unlimited = duck("select id from lake.s.orders order by amount")
    assert ("model.p.orders", "amount") not in unlimited.rows
    union = duck("select id from lake.s.orders union all select id from lake.s.customers order by id limit 3")
    assert "LIMIT" in union.row_fingerprint.upper()
    assert ("model.p.customers", "id") in union.rows


def test_subqueries_are_read_in_full_and_correlated_columns_resolve_outside() -> None:
    line = duck(
        "select o.id, (select max(c.score) from lake.s.customers c where c.id = o.customer_id) as best "
        "from lake.s.orders o"
    )
    assert ("model.p.customers", "score") in line.rows
    assert ("model.p.orders", "customer_id") in reads(line, "best")


def test_select_list_aliases_can_be_used_in_filters() -> None:
    line = lineage(
        "select amount * 2 as doubled from analytics.s.orders where doubled > 3",
        SNOWFLAKE,
        {("ANALYTICS", "S", "ORDERS"): "model.p.orders"},
    )
    assert ("model.p.orders", "AMOUNT") in line.rows  # the alias, and a source column of that name
    assert ("model.p.orders", "DOUBLED") in line.rows


def test_a_column_found_nowhere_is_unprovable() -> None:
    with pytest.raises(Unprovable, match="not found"):
        duck("with a as (select id from lake.s.orders) select a.nothing from a")
    with pytest.raises(Unprovable, match="not found"):
        duck("with a as (select id from lake.s.orders) select nothing from a")


def test_unparseable_many_statement_and_non_select_sql_is_unprovable() -> None:
    with pytest.raises(Unprovable, match="does not parse"):
        duck("select from from where (")
    with pytest.raises(Unprovable, match="not one SELECT"):
        duck("select 1; select 2")
    with pytest.raises(Unprovable, match="not one SELECT"):
        duck("insert into t values (1)")


def test_table_functions_and_values_are_unprovable_sources() -> None:
    with pytest.raises(Unprovable, match="not a table or a query"):
        duck("select x from generate_series(1, 3) as t(x)")
    with pytest.raises(Unprovable, match="not analysed"):
        duck("select v.x from (values (1)) as v(x)")


def test_unknown_tables_are_constants_and_suffixes_match_one_known_relation() -> None:
    line = duck("select x from other.elsewhere")
    assert reads(line, "x") == {("table:other.elsewhere", "x")}
    assert line.relations == frozenset()
    short = duck("select id from s.orders")
    assert short.relations == {"model.p.orders"}
    ambiguous = duck("select id from customers")
    assert ambiguous.relations == frozenset()


def test_unnamed_expressions_are_named_by_their_sql() -> None:
    line = duck("select count(*), 1 + 2 from lake.s.orders")
    assert [c.name for c in line.columns] == ["COUNT(*)", "1 + 2"]


def test_cast_fingerprints_tell_a_retype_from_a_rewrite() -> None:
    a = duck("select cast(amount as int) as amount from lake.s.orders")
    b = duck("select cast(amount as bigint) as amount from lake.s.orders")
    assert a.columns[0].cast_of == b.columns[0].cast_of != ""
    assert a.columns[0].fingerprint != b.columns[0].fingerprint


def test_identifiers_follow_the_warehouse_rules() -> None:
    snow = {("ANALYTICS", "S", "ORDERS"): "model.p.orders"}
    line = lineage('select Amount, "Amount", "AMOUNT" as x from analytics.s.orders', SNOWFLAKE, snow)
    assert [c.name for c in line.columns] == ["AMOUNT", "Amount", "X"]
    assert reads(line, "X") == {("model.p.orders", "AMOUNT")}
    duck_line = duck('select "Amount" from "lake"."S"."orders"')
    assert reads(duck_line, "amount") == {("model.p.orders", "amount")}


def test_table_key_normalizes_and_refuses_what_does_not_parse() -> None:
    assert table_key('"lake"."STAGING"."stg"', DUCKDB) == ("lake", "staging", "stg")
    assert table_key("ANALYTICS.staging.stg", SNOWFLAKE) == ("ANALYTICS", "STAGING", "STG")
    assert table_key('"Db".S."t"', SNOWFLAKE) == ("Db", "S", "t")
    assert table_key("a.b.c.d.(", DUCKDB) == ()
