"""The pre-receive hook every sandbox repository gets: GitHub's push-time refusals, done by git itself.

``git http-backend`` hands the hook the environment the git endpoint chose for this push (see
``push_environment``), so the refusal reaches the pusher the way GitHub's does: as ``remote:`` lines and
a rejected ref, with the pushed objects thrown away.
"""

from __future__ import annotations

from pathlib import Path

from bot.sandbox.github.records import Token

_PRE_RECEIVE = r"""#!/bin/sh
# Installed by the local GitHub (bot/sandbox/github/hooks.py): GitHub's push-time refusals.
if [ -n "$SANDBOX_PUSH_REJECT" ]; then
  printf '%s\n' "$SANDBOX_PUSH_REJECT" >&2
  exit 1
fi
[ "$SANDBOX_WORKFLOW_ALLOWED" = 1 ] && exit 0
zero=0000000000000000000000000000000000000000
status=0
while read -r old new ref; do
  [ "$new" = "$zero" ] && continue
  # Only commits this push brings in: those no existing ref reaches yet (refs move after this hook).
  file=$(git log --format= --name-only "$new" --not --all | grep '^\.github/workflows/' | head -n 1)
  if [ -n "$file" ]; then
    printf 'refusing to allow %s to create or update workflow `%s` without `%s` %s\n' \
      "$SANDBOX_CREDENTIAL" "$file" "$SANDBOX_WORKFLOW_GRANT" "$SANDBOX_GRANT_KIND" >&2
    status=1
  fi
done
exit $status
"""


def install_hooks(git_dir: Path) -> None:
    hook = git_dir / "hooks" / "pre-receive"
    hook.parent.mkdir(parents=True, exist_ok=True)
    hook.write_text(_PRE_RECEIVE)
    hook.chmod(0o755)


def push_environment(token: Token, reject_message: str | None) -> dict[str, str]:
    """What the hook needs to know about this push's credential."""
    if token.kind == "pat":
        allowed = "workflow" in token.scopes
        credential, grant, grant_kind = "a Personal Access Token", "workflow", "scope"
    else:
        allowed = "workflows" in token.scopes
        credential, grant, grant_kind = "a GitHub App", "workflows", "permission"
    return {
        "SANDBOX_PUSH_REJECT": reject_message or "",
        "SANDBOX_WORKFLOW_ALLOWED": "1" if allowed else "0",
        "SANDBOX_CREDENTIAL": credential,
        "SANDBOX_WORKFLOW_GRANT": grant,
        "SANDBOX_GRANT_KIND": grant_kind,
    }
