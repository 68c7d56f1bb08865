"""A GitHub-compatible server on 127.0.0.1: REST API, git over smart HTTP, and a read-only HTML view.

Start it with ``server.LocalGitHub.start(state_dir)`` (tests) or ``daemon.start_daemon(state_dir)``
(``sandbox up``); seed it with ``forks.import_directory`` or ``POST /_sandbox/repos``.

    server.py          one port: /api/v3 → rest.py, /{o}/{r}.git → githttp.py, /_sandbox → admin.py, else web
    rest.py            routing, credentials, rate budgets (ratelimit.py), faults (faults.py), observers
    rest_base.py       handler context, GitHub's error bodies, JSON and Link-paginated answers
    routes_*.py        the endpoints, one module per area: accounts, repos, pulls, issues, search, git
    shapes*.py         JSON bodies with GitHub's key sets, URLs built from the request's Host
    forks.py pulls.py  domain operations: seeding, forking, syncing, renaming; PRs backed by git
    search.py          the ``q`` language of /search/issues (pure)
    gitdata.py         the git binary on the bare repositories; hooks.py: the pre-receive refusals
    records.py store.py   the state: pydantic records in state.json, written atomically
    exchange.py        the request/response record handed to observers (the OpenAPI check)
"""
