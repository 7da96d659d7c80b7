"""The executor: every operation that changes production — deploy, backfill, rollback, restore — runs
here, under the deploy lock, journalled step by step (see README.md in this folder)."""
