"""One finder per kind of build file: ``find(path, text) -> list[BuildPath]`` and ``scan(path, text)``.

Finders are pure (text in, records out) and raise InputError for malformed input. They fill
``BuildPath.dockerfile`` and ``.context`` *as written*, relative to the file's base directory (the
repository root for CI files, the file's own directory otherwise), with the tool's defaults applied;
discover() resolves them to repo-relative paths and follows calls between files.
"""
