"""protect-branch end to end: PyGithub talks HTTP to a GitHub-shaped server on 127.0.0.1."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from pipelineops.commands import protect_branch
from pipelineops.errors import UserError

HERE = Path(__file__).parent
ROOT = HERE.parents[2]
REPO_SPEC = ROOT / ".github" / "branch-protection.yml"
CI_WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"
REPO = "acme/dbt-repo"
TOKEN = "test-token-123"  # pragma: allowlist secret
BRANCH_PATH = f"/repos/{REPO}/branches/main"
PROTECTION_PATH = f"{BRANCH_PATH}/protection"

SPEC = {
    "version": 1,
    "branches": {
        "main": {
            "required_status_checks": {"strict": True, "contexts": ["lint", "unit"]},
            "required_pull_request_reviews": {
                "required_approving_review_count": 1,
                "require_code_owner_reviews": True,
                "dismiss_stale_reviews": True,
            },
            "enforce_admins": True,
            "required_linear_history": True,
            "allow_force_pushes": False,
            "allow_deletions": False,
            "required_conversation_resolution": True,
        }
    },
}


class FakeGitHub:
    """The branch and branch-protection endpoints, with state: PUT replaces, GET reads back."""

    def __init__(self, server: HTTPServer, protection: dict[str, Any] | None, ignore: tuple[str, ...] = ()):
        self.server = server
        self.protection = protection
        self.ignore = ignore  # settings this "GitHub" accepts but does not apply (plan limits)
        self.puts: list[dict[str, Any]] = []
        server.expect_request(BRANCH_PATH, method="GET").respond_with_handler(self._branch)
        server.expect_request(PROTECTION_PATH, method="GET").respond_with_handler(self._get)
        server.expect_request(PROTECTION_PATH, method="PUT").respond_with_handler(self._put)

    def _check_auth(self, request: Request) -> None:
        assert request.headers.get("Authorization", "").endswith(TOKEN)

    def _branch(self, request: Request) -> Response:
        self._check_auth(request)
        body = {
            "name": "main",
            "commit": {"sha": "a" * 40, "url": self.server.url_for(f"/repos/{REPO}/commits/{'a' * 40}")},
            "protected": self.protection is not None,
            "protection_url": self.server.url_for(PROTECTION_PATH),
        }
        return Response(json.dumps(body), content_type="application/json")

    def _get(self, request: Request) -> Response:
        self._check_auth(request)
        if self.protection is None:
            return Response(
                json.dumps({"message": "Branch not protected", "status": "404"}),
                status=404,
                content_type="application/json",
            )
        return Response(json.dumps(self.protection), content_type="application/json")

    def _put(self, request: Request) -> Response:
        self._check_auth(request)
        body = json.loads(request.get_data())
        self.puts.append(body)
        doc: dict[str, Any] = {"url": self.server.url_for(PROTECTION_PATH)}
        checks = body["required_status_checks"]
        if checks is not None:
            contexts = [c["context"] for c in checks["checks"]]
            doc["required_status_checks"] = {
                "strict": checks["strict"],
                "contexts": contexts,
                "checks": [{"context": c, "app_id": None} for c in contexts],
            }
        if body["required_pull_request_reviews"] is not None:
            doc["required_pull_request_reviews"] = dict(body["required_pull_request_reviews"])
        for key in (
            "enforce_admins",
            "required_linear_history",
            "allow_force_pushes",
            "allow_deletions",
            "required_conversation_resolution",
        ):
            doc[key] = {"enabled": bool(body[key]) and key not in self.ignore}
        self.protection = doc
        return Response(json.dumps(doc), content_type="application/json")


@pytest.fixture
def spec_path(tmp_path: Path) -> Path:
    path = tmp_path / "branch-protection.yml"
    path.write_text(yaml.safe_dump(SPEC), encoding="utf-8")
    return path


def _run(httpserver: HTTPServer, spec_path: Path, *, dry_run: bool, token: str = TOKEN) -> Any:
    return protect_branch.run(
        repo=REPO,
        branch="main",
        spec_path=spec_path,
        token=token,
        api_url=httpserver.url_for(""),
        dry_run=dry_run,
        throttle=False,
    )


def test_dry_run_on_unprotected_branch_lists_changes_and_writes_nothing(
    httpserver: HTTPServer, spec_path: Path
) -> None:
    github = FakeGitHub(httpserver, protection=None)
    report = _run(httpserver, spec_path, dry_run=True)
    assert github.puts == []
    assert github.protection is None
    assert report.stage == "protect-branch"
    assert report.conclusion == "neutral"
    assert report.title.startswith("dry run: 14 change(s)")
    assert dict(report.outputs) == {"changes": "14", "applied": "false"}
    assert ("currently protected", "no") in report.facts
    changes = report.sections[0]
    assert changes.headers == ("#", "setting", "now", "wanted", "change")
    assert changes.rows[0][-1] == "turn on branch protection"
    assert ("allow_force_pushes", "yes", "no") in [row[1:4] for row in changes.rows]
    plan_text = report.sections[-1].text
    assert plan_text.startswith(f"Branch protection for {REPO}@main: 14 change(s)")
    httpserver.check_assertions()


def test_apply_sends_the_whole_desired_state_then_a_rerun_is_a_no_op(
    httpserver: HTTPServer, spec_path: Path
) -> None:
    github = FakeGitHub(httpserver, protection=None)
    report = _run(httpserver, spec_path, dry_run=False)
    assert report.conclusion == "success"
    assert dict(report.outputs) == {"changes": "14", "applied": "true"}
    (body,) = github.puts
    assert body["required_status_checks"] == {
        "strict": True,
        "checks": [{"context": "lint"}, {"context": "unit"}],
    }
    assert body["required_pull_request_reviews"] == {
        "dismiss_stale_reviews": True,
        "require_code_owner_reviews": True,
        "required_approving_review_count": 1,
        "require_last_push_approval": False,
    }
    assert body["enforce_admins"] is True
    assert body["required_linear_history"] is True
    assert body["allow_force_pushes"] is False
    assert body["allow_deletions"] is False
    assert body["required_conversation_resolution"] is True
    assert body["restrictions"] is None

    again = _run(httpserver, spec_path, dry_run=False)
    assert again.conclusion == "success"
    assert again.title.startswith(f"{REPO}@main protection already matches")
    assert dict(again.outputs) == {"changes": "0", "applied": "false"}
    assert len(github.puts) == 1
    httpserver.check_assertions()


def test_dry_run_against_saved_partial_protection_shows_only_the_drift(
    httpserver: HTTPServer, spec_path: Path
) -> None:
    saved = json.loads((HERE / "protection_partial.json").read_text(encoding="utf-8"))
    FakeGitHub(httpserver, protection=copy.deepcopy(saved))
    report = _run(httpserver, spec_path, dry_run=True)
    assert [row[-1] for row in report.sections[0].rows] == [
        "required status checks: add `lint`; remove `legacy-build`",
        "dismiss stale approvals on new commits: no → yes",
        "apply the rules to administrators too: no → yes",
        "allow force pushes: yes → no",
    ]
    assert ("currently protected", "yes") in report.facts
    assert report.data["dry_run"] is True


def test_setting_github_does_not_apply_is_reported_as_failure(
    httpserver: HTTPServer, spec_path: Path
) -> None:
    FakeGitHub(httpserver, protection=None, ignore=("enforce_admins",))
    report = _run(httpserver, spec_path, dry_run=False)
    assert report.conclusion == "failure"
    assert dict(report.outputs)["applied"] == "true"
    still = next(s for s in report.sections if s.title == "Still different after the update")
    assert [row[1] for row in still.rows] == ["enforce_admins"]


@pytest.mark.parametrize(
    ("status", "message", "expected"),
    [
        (401, "Bad credentials", "GitHub rejected the token while reading branch protection"),
        (403, "Resource not accessible by integration", "GitHub refused reading branch protection"),
        (404, "Not Found", "GitHub found no acme/dbt-repo while reading branch protection"),
    ],
)
def test_api_refusals_become_user_errors(
    httpserver: HTTPServer, spec_path: Path, status: int, message: str, expected: str
) -> None:
    httpserver.expect_request(BRANCH_PATH).respond_with_json(
        {"name": "main", "protected": True, "protection_url": httpserver.url_for(PROTECTION_PATH)}
    )
    httpserver.expect_request(PROTECTION_PATH).respond_with_json({"message": message}, status=status)
    with pytest.raises(UserError) as err:
        _run(httpserver, spec_path, dry_run=True)
    assert err.value.what.startswith(expected)
    assert err.value.exit_code == 2


def test_missing_branch_is_a_user_error_naming_it(httpserver: HTTPServer, spec_path: Path) -> None:
    httpserver.expect_request(BRANCH_PATH).respond_with_json({"message": "Branch not found"}, status=404)
    with pytest.raises(UserError) as err:
        _run(httpserver, spec_path, dry_run=True)
    assert err.value.what.startswith("GitHub found no branch main in acme/dbt-repo while reading the branch")


def test_server_error_is_not_disguised_as_a_user_error(httpserver: HTTPServer, spec_path: Path) -> None:
    from github import GithubException

    httpserver.expect_request(BRANCH_PATH).respond_with_json({"message": "Unprocessable"}, status=422)
    with pytest.raises(GithubException) as err:
        _run(httpserver, spec_path, dry_run=True)
    assert not isinstance(err.value, UserError)
    assert err.value.status == 422


def test_missing_token_fails_before_any_request(httpserver: HTTPServer, spec_path: Path) -> None:
    with pytest.raises(UserError) as err:
        _run(httpserver, spec_path, dry_run=True, token="")
    assert "no GitHub token" in err.value.what
    assert "GITHUB_TOKEN" in err.value.fix
    assert httpserver.log == []


def test_bad_repo_and_bad_spec_files_are_user_errors(httpserver: HTTPServer, tmp_path: Path) -> None:
    good = tmp_path / "ok.yml"
    good.write_text(yaml.safe_dump(SPEC), encoding="utf-8")
    with pytest.raises(UserError, match="--repo must be owner/name"):
        protect_branch.run(
            repo="just-a-name", branch="main", spec_path=good, token=TOKEN, api_url="http://x", dry_run=True
        )
    with pytest.raises(UserError, match="cannot read the branch-protection file"):
        _run(httpserver, tmp_path / "missing.yml", dry_run=True)
    broken = tmp_path / "broken.yml"
    broken.write_text("version: 1\nbranches: [unclosed\n", encoding="utf-8")
    with pytest.raises(UserError, match="is not valid YAML"):
        _run(httpserver, broken, dry_run=True)
    typo = tmp_path / "typo.yml"
    typo.write_text("version: 1\nbranches: {main: {enforce_admin: true}}\n", encoding="utf-8")
    with pytest.raises(UserError, match="unknown key"):
        _run(httpserver, typo, dry_run=True)
    assert httpserver.log == []


def _ci_check_names() -> set[str]:
    workflow = yaml.safe_load(CI_WORKFLOW.read_text(encoding="utf-8"))
    return {str(job.get("name", job_id)) for job_id, job in workflow["jobs"].items()}


@pytest.mark.skipif(not CI_WORKFLOW.exists(), reason=".github/workflows/ci.yml does not exist yet")
def test_required_checks_are_jobs_of_the_ci_workflow() -> None:
    spec = yaml.safe_load(REPO_SPEC.read_text(encoding="utf-8"))
    names = _ci_check_names()
    for branch, rules in spec["branches"].items():
        missing = set(rules["required_status_checks"]["contexts"]) - names
        assert not missing, (
            f"{branch}: required checks no ci.yml job reports: {sorted(missing)}; jobs: {names}"
        )
