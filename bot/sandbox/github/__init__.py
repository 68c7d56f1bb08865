"""A GitHub-compatible server on 127.0.0.1: REST API, git over smart HTTP, and a read-only HTML view."""
