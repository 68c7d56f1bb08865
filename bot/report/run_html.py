"""A fleet run → one static, self-contained HTML page: the summary and a repositories × platforms matrix.

Everything untrusted is escaped with ``html.escape`` (quotes too, since text lands in ``title``
attributes), links are only plain http(s) URLs, and the page loads nothing: inline CSS, no script, and a
Content-Security-Policy that forbids anything else should an escape ever be missed.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from bot.outcome import RepoOutcome
from bot.report.platform_matrix import Cell, platform_cell, platform_columns
from bot.report.run import RUN_SCHEMA, RunFacts, duration, headline, plain, safe_url

SYMBOLS = {
    Cell.PASSED: "✓",
    Cell.FAILED: "✗",
    Cell.UNVERIFIED: "?",
    Cell.NOT_PLANNED: "—",
    Cell.BLOCKED: "blocked",
    Cell.NOT_BUILT: "·",
}
_LEGEND = {
    Cell.PASSED: "built and ran, own binaries only",
    Cell.FAILED: "build, smoke run or binary check failed",
    Cell.UNVERIFIED: "could not be checked",
    Cell.NOT_PLANNED: "not planned (a base lacks it)",
    Cell.BLOCKED: "a base image lacks it",
    Cell.NOT_BUILT: "not built this run",
}
_CSP = "default-src 'none'; style-src 'unsafe-inline'"
_STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#1f2328}
table{border-collapse:collapse;margin:1em 0}
th,td{border:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa}
td.cell{text-align:center;white-space:nowrap}
.passed{background:#dafbe1}.failed{background:#ffebe9}.unverified{background:#fff8c5}
.blocked{background:#ffebe9;color:#82071e}.not-planned,.not-built{color:#656d76}
.detail{max-width:48em;overflow-wrap:anywhere}
"""


def run_html(outcomes: Sequence[RepoOutcome], facts: RunFacts) -> str:
    columns = platform_columns(outcomes)
    head = "".join(f"<th>{escape(str(p))}</th>" for p in columns)
    rows = []
    for outcome in outcomes:
        cells = ""
        for platform in columns:
            cell = platform_cell(outcome, platform)
            tip = escape(
                f"{platform}: {cell.state}" + (f" ({plain(cell.detail, 300)})" if cell.detail else "")
            )
            cells += f'<td class="cell {cell.state}" title="{tip}">{escape(SYMBOLS[cell.state])}</td>'
        rows.append(
            f"<tr><td>{escape(plain(outcome.target, 140))}</td>"
            f'<td class="{escape(str(outcome.verdict))}">{escape(str(outcome.verdict))}</td>'
            f"{cells}<td class=detail>{_detail(outcome)}</td>"
            f"<td>{escape(duration(outcome.seconds))}</td></tr>"
        )
    legend = " · ".join(f"{escape(SYMBOLS[c])} {escape(text)}" for c, text in _LEGEND.items())
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>multiarch-bot run {escape(facts.finished.strftime('%Y-%m-%d %H:%M'))}</title>",
            f"<style>{_STYLE}</style></head><body>",
            "<h1>multiarch-bot run</h1>",
            f"<p>{escape(headline(outcomes, facts))}</p>",
            "<table><thead><tr><th>repository</th><th>verdict</th>"
            f"{head}<th>pull request or reason</th><th>time</th></tr></thead>",
            "<tbody>",
            *rows,
            "</tbody></table>",
            f"<p><small>{legend}</small></p>",
            f"<p><small>{escape(RUN_SCHEMA)}</small></p>",
            "</body></html>",
            "",
        ]
    )


def _detail(outcome: RepoOutcome) -> str:
    if outcome.pr is not None:
        url = safe_url(outcome.pr.html_url)
        label = escape(f"#{outcome.pr.number} ({outcome.pr.state})")
        return f'<a href="{escape(url)}">{label}</a>' if url else label
    return "<br>".join(escape(plain(reason, 500)) for reason in outcome.reasons[:5])
