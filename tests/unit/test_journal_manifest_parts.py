"""Published manifests are compressed and split below Snowflake's statement size, and come back whole."""

from __future__ import annotations

import json
import random

from pipelineops.journal import PART_CHARS, join_manifest_parts, manifest_parts


def test_a_large_manifest_round_trips_through_parts_that_fit_a_statement() -> None:
    rng = random.Random(7)
    nodes = {
        f"model.p.m{i}": {"raw_code": "".join(rng.choice("abcdef ") for _ in range(400))} for i in range(8000)
    }
    text = json.dumps({"nodes": nodes})
    parts = manifest_parts(text)
    assert len(parts) > 1
    assert all(0 < len(p) <= PART_CHARS for p in parts)
    assert join_manifest_parts(parts) == text


def test_a_small_manifest_is_one_part_and_parts_are_deterministic() -> None:
    parts = manifest_parts('{"nodes": {}}')
    assert len(parts) == 1
    assert manifest_parts('{"nodes": {}}') == parts
    assert join_manifest_parts(parts) == '{"nodes": {}}'
