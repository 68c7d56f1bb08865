"""HTML for the local GitHub's web view: one page layout, escaping, Markdown and diffs.

Everything shown comes from repositories and pull requests, that is from untrusted text: it is escaped
here, and Markdown is rendered with raw HTML off (``<script>`` in a PR body shows as text). Pages also go
out with a Content-Security-Policy that allows no script at all, in case something slips through.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from markdown_it import MarkdownIt

# CommonMark plus GitHub's tables and strikethrough; "html": False escapes raw HTML instead of passing it.
# markdown-it's link validation already refuses javascript:, vbscript: and file: URLs.
_MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])

CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:"
MAX_DIFF_LINES = 5000  # a page stays readable; the rest is one click away in a clone

_STYLE = """
body { font: 14px/1.5 system-ui, sans-serif; margin: 0 auto; max-width: 980px; padding: 0 16px 32px;
       color: #1f2328; }
header { border-bottom: 1px solid #d0d7de; padding: 12px 0; margin-bottom: 16px; }
header a { color: #1f2328; font-weight: 600; text-decoration: none; }
a { color: #0969da; }
table.list { border-collapse: collapse; width: 100%; }
table.list td, table.list th { border-bottom: 1px solid #d0d7de; padding: 6px 8px; text-align: left; }
.state { border-radius: 2em; color: #fff; font-size: 12px; padding: 2px 10px; }
.state.open { background: #1f883d; } .state.closed { background: #cf222e; }
.state.merged { background: #8250df; } .state.draft { background: #6e7781; }
.box { border: 1px solid #d0d7de; border-radius: 6px; margin: 12px 0; padding: 8px 16px; }
.meta { color: #656d76; }
code, pre { font: 12px/1.45 ui-monospace, monospace; }
pre { background: #f6f8fa; overflow-x: auto; padding: 8px; }
pre.diff { padding: 0; }
pre.diff span { display: block; padding: 0 8px; }
.add { background: #dafbe1; } .del { background: #ffebe9; } .hunk { background: #ddf4ff; color: #656d76; }
.file { background: #f6f8fa; font-weight: 600; border-top: 1px solid #d0d7de; }
"""


def esc(value: object) -> str:
    """Any value as HTML text, quotes included (it may end up in an attribute)."""
    return escape(str(value), quote=True)


def link(href: str, text: object) -> str:
    return f'<a href="{esc(href)}">{esc(text)}</a>'


def markdown(text: str | None) -> str:
    """A body rendered as GitHub would, minus raw HTML; an empty body says so, as GitHub does."""
    if not text or not text.strip():
        return '<p class="meta"><em>No description provided.</em></p>'
    rendered: str = _MARKDOWN.render(text)
    return rendered


def state_badge(state: str) -> str:
    return f'<span class="state {esc(state)}">{esc(state)}</span>'


def table(headings: Iterable[str], rows: Iterable[Iterable[str]], empty: str) -> str:
    """A table of already-escaped cells, or ``empty`` (plain text) when there are no rows."""
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    if not body:
        return f'<p class="meta">{esc(empty)}</p>'
    head = "".join(f"<th>{esc(h)}</th>" for h in headings)
    return f'<table class="list"><tr>{head}</tr>{body}</table>'


def diff(text: str) -> str:
    """A unified diff with added, removed, hunk and file-header lines told apart by colour."""
    lines = text.splitlines()
    shown = lines[:MAX_DIFF_LINES]
    out = []
    for line in shown:
        if line.startswith(("diff --git", "+++ ", "--- ")):
            kind = "file"
        elif line.startswith("+"):
            kind = "add"
        elif line.startswith("-"):
            kind = "del"
        elif line.startswith("@@"):
            kind = "hunk"
        else:
            kind = ""
        out.append(f'<span class="{kind}">{esc(line)}</span>' if kind else f"<span>{esc(line)}</span>")
    if len(lines) > len(shown):
        out.append(f'<span class="hunk">… {len(lines) - len(shown)} more lines not shown</span>')
    if not out:
        return '<p class="meta">No changes.</p>'
    return '<pre class="diff">' + "".join(out) + "</pre>"


def page(title: str, body: str, crumbs: Iterable[tuple[str, str]] = ()) -> str:
    """A whole page: the title (plain text), breadcrumbs (href, text) and an already-built body."""
    trail = " / ".join(link(href, text) for href, text in crumbs)
    home = link("/", "Local GitHub")
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="en"><head><meta charset="utf-8"><title>{esc(title)}</title>'
        f"<style>{_STYLE}</style></head>"
        f"<body><header>{home}{' / ' + trail if trail else ''}</header>\n{body}\n</body></html>\n"
    )
