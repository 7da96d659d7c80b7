#!/usr/bin/env bash
# Run one pipelineops stage from a composite action: the only shell in the action path (STYLE.md §3).
#
#   run-stage.sh <stage>          install (once per job) and run `pipelineops <stage>` with the inputs
#                                 the action passed as PIPELINEOPS_IN_<NAME> (see pipelineops.action_inputs)
#   run-stage.sh --install-only   install only, and set the `pipelineops-path` output (the setup actions)
#   run-stage.sh --cache-key      install nothing; set the outputs `path` (the venv), `key` (lock file,
#                                 Python version, OS, architecture and package source) and `restore-key`
#                                 (the same without the source) for actions/cache; none with PIPELINEOPS_VENV
#
# The package is installed from this checkout (the action's own ref): first its dependencies from
# requirements/runtime.lock with `pip install --require-hashes` (every file hash-checked, the build backend
# pinned there too), then the package itself with --no-deps --no-build-isolation against that backend, so
# the action and the Python code cannot drift apart and nothing unpinned is fetched. The venv lives in
# ${RUNNER_TEMP:-/tmp}/pipelineops-venv-<hash of runtime.lock + python version> and is reused by later
# steps of the job (and across runs through actions/cache in actions/setup); the package itself is
# reinstalled whenever the source differs from what is installed.
#
# Environment:
#   PIPELINEOPS_PYTHON  interpreter to build the venv with (default: python3 on PATH; needs >= 3.11)
#   PIPELINEOPS_VENV    use this existing venv as is (no install; for development and tests)
set -euo pipefail

die() {
  # The CLI is not installed yet, so this is the one place that writes a workflow command itself.
  printf '::error title=pipelineops::%s\n' "$1"
  printf 'pipelineops: %s\n' "$1" >&2
  exit 2
}

usage() {
  die "usage: run-stage.sh <stage> | --install-only (got: ${*:-nothing})"
}

[[ $# -eq 1 ]] || usage "$@"
mode="$1"
case "$mode" in
  --install-only | --cache-key) ;;
  -*) usage "$@" ;;
  *[!a-z-]*) die "invalid stage name '$mode': stage names are lowercase words joined by '-'" ;;
esac

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
requirements="$root/requirements/runtime.lock"

runner_os="${RUNNER_OS:-$(uname -s)}"
case "$runner_os" in
  Linux | macOS | Darwin) ;;
  *) die "unsupported runner OS '$runner_os': the pipelineops actions run on Linux and macOS runners only. Use runs-on: ubuntu-latest." ;;
esac

if [[ -n "${PIPELINEOPS_VENV:-}" ]]; then
  if [[ "$mode" == "--cache-key" ]]; then
    echo "pipelineops: PIPELINEOPS_VENV=$PIPELINEOPS_VENV is used as is: nothing to cache (no key)"
    exit 0
  fi
  venv="$PIPELINEOPS_VENV"
  [[ -x "$venv/bin/python" ]] || die "PIPELINEOPS_VENV=$venv has no bin/python"
  "$venv/bin/python" -c 'import pipelineops' 2>/dev/null ||
    die "PIPELINEOPS_VENV=$venv does not have pipelineops installed"
else
  python="${PIPELINEOPS_PYTHON:-python3}"
  command -v "$python" >/dev/null 2>&1 ||
    die "no '$python' on PATH: the pipelineops actions need Python >= 3.11. Add a step: uses: actions/setup-python (python-version: '3.12')"
  "$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' ||
    die "$("$python" --version 2>&1) is too old: the pipelineops actions need Python >= 3.11. Add a step: uses: actions/setup-python (python-version: '3.12')"
  [[ -f "$requirements" ]] || die "missing $requirements: this checkout of the action is incomplete"

  # One small Python helper hashes files portably (no sha256sum on macOS, no shasum on some Linux images).
  digest() {
    "$python" - "$@" <<'PY'
import hashlib, os, sys
h = hashlib.sha256(sys.version.encode())
for top in sys.argv[1:]:
    paths = [top] if os.path.isfile(top) else sorted(
        os.path.join(d, f) for d, _, fs in os.walk(top) if "__pycache__" not in d for f in fs
    )
    for p in paths:
        h.update(os.path.relpath(p, top).encode())
        with open(p, "rb") as fh:
            h.update(fh.read())
print(h.hexdigest()[:16])
PY
  }

  requirements_digest="$(digest "$requirements")"
  venv="${RUNNER_TEMP:-/tmp}/pipelineops-venv-$requirements_digest"
  source_digest="$(digest "$root/src/pipelineops" "$root/pyproject.toml")"
  stamp="$venv/.pipelineops-source"
  pip=("$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input)

  if [[ "$mode" == "--cache-key" ]]; then
    [[ -n "${GITHUB_OUTPUT:-}" ]] || die "--cache-key writes step outputs: GITHUB_OUTPUT is not set"
    # plain values (a path and hex digests, no newline), so key=value lines are safe here
    printf 'path=%s\n' "$venv" >>"$GITHUB_OUTPUT"
    prefix="pipelineops-venv-$runner_os-${RUNNER_ARCH:-$(uname -m)}-$requirements_digest-"
    printf 'restore-key=%s\n' "$prefix" >>"$GITHUB_OUTPUT"
    printf 'key=%s%s\n' "$prefix" "$source_digest" >>"$GITHUB_OUTPUT"
    exit 0
  fi

  echo "::group::pipelineops: install into $venv"
  if [[ ! -f "$venv/.requirements-installed" ]]; then
    "$python" -m venv "$venv"
    "${pip[@]}" --require-hashes -r "$requirements"
    touch "$venv/.requirements-installed"
  fi
  if [[ "$(cat "$stamp" 2>/dev/null || true)" != "$source_digest" ]]; then
    "${pip[@]}" --no-deps --no-build-isolation --force-reinstall "$root"
    printf '%s\n' "$source_digest" >"$stamp"
  fi
  echo "::endgroup::"
fi

export PIPELINEOPS_ACTION_ROOT="$root"
if [[ "$mode" == "--install-only" ]]; then
  exec "$venv/bin/python" -m pipelineops.action_inputs --setup
fi
exec "$venv/bin/python" -m pipelineops.action_inputs "$mode"
