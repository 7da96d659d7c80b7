"""The wording of the sticky PR comment (and of the step summary it shares its blocks with), in one place.

Section titles and the fixed phrases readers scan for. ``tests/unit/report/test_wording.py`` pins them: a
change here is a change every reader of a PR comment sees, so it is deliberate and shows in review.
"""

from __future__ import annotations

# --- the head of every report, in order (markdown.head_blocks) ---------------------------------------
WHAT_FAILED = "What failed"
WHAT_TO_DO = "What to do"

# --- slim-ci's sections (commands/slim_ci_report.py) ------------------------------------------------
SELECTED = "Selected, and why"
BLIND_SPOTS = "Blind spots of state:modified"
NOTES = "Notes"
PLAN = "Plan"
#: ``{n}``: how many selected nodes did not run
SKIPPED_NODES = "⏭️ {n} node(s) skipped: not run because a node they depend on failed"
#: the column-level narrowing of state:modified+ (``--impact columns``)
COLUMN_IMPACT = "Column-level impact: {built} of {before} selected node(s) built, {skipped} skipped (deferred to production)"

# --- the data diff of the modified models (report/data_diff.py) ---------------------------------------
DATA_CHANGES = "Data changes"

# --- the footer, and the note where a comment was cut (report/markdown.py, report/pr_comment.py) --------
FINISHED_IN = "Finished in {duration}"
VIEW_THE_RUN = "View the run"
#: ``{where}``: a link to the run, or "the run log"
TRUNCATED = "_… truncated, see {where} for the full output._"

#: every section title a PR comment can carry, in the order they appear
PR_COMMENT_TITLES: tuple[str, ...] = (
    WHAT_FAILED,
    WHAT_TO_DO,
    SKIPPED_NODES,
    SELECTED,
    COLUMN_IMPACT,
    BLIND_SPOTS,
    NOTES,
    DATA_CHANGES,
    PLAN,
)
