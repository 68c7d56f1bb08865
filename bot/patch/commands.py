"""The one engine that rewrites ``docker build`` command lines inside shell text, word by word.

npm scripts, Makefile recipe lines and shell scripts hand it their shell texts (one *scope*: the scripts
that can see each other's images) and get back spans against those texts. Every edit is an insertion or
replacement at a word's exact offsets, so quoting, ``$VAR``/``$(VAR)``, wrappers (``cross-var``,
``sudo``, env prefixes) and continuation lines stay as written.

What a publishing build becomes:

* ``docker build`` / ``docker image build`` → ``docker buildx build --platform <platforms>``; ``--load``
  goes (a multi-platform result cannot be loaded).
* Its tags pushed later in the same script (``docker push TAG``, or ``docker tag TAG DST`` then
  ``docker push DST``): the build gains ``--push`` (and ``-t DST``) and those commands are removed.
* Its image also used locally after the build (``docker run TAG``…), or pushed from another script of
  the scope (the Azurite ``docker:build`` / ``docker:publish`` shape): the build stays as it is and each
  push becomes a buildx build-and-push of the same build with the pushed tag.
* Built and used locally, never pushed: left alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise

from bot.model import BuildCommand
from bot.patch.spans import Span, Unpatchable, line_end, line_start
from bot.scan.docker_cli import _VALUE_OPTIONS, BAKE, parse_build_words
from bot.scan.shell_argv import program_name
from bot.scan.shell_commands import Command, Lexed, Word, lex

LOCAL_ONLY = "local-only: its image is run here after the build"
NOT_PUSHED = "not pushed: nothing here pushes its image, so it stays a local build"
OUT_OF_REACH = "its build command is nested (sh -c, $(…)) or spelled in a way not rewritten here"


@dataclass(frozen=True)
class Rewrite:
    spans: tuple[tuple[int, Span], ...]  # (script index, span against that script's text)
    rationale: tuple[str, ...]
    left_alone: tuple[tuple[int, int, str], ...]  # (script index, 0-based line in the script, reason)
    seen: tuple[tuple[int, int], ...] = ()  # (script index, line) of every build it read and judged


@dataclass(frozen=True)
class _Entry:
    script: int
    index: int  # among the script's commands
    command: Command
    argv: tuple[Word, ...]
    docker: bool  # the program is docker (or a variable the file sets to docker)

    def values(self) -> list[str]:
        """The argv as the build parser reads it, a docker variable read as docker."""
        return ["docker" if self.docker else self.argv[0].value, *(w.value for w in self.argv[1:])]


@dataclass
class _Build:
    entry: _Entry
    parsed: BuildCommand
    verbs: tuple[Word, ...]  # `build`, `image build`, `buildx build`
    args: tuple[Word, ...]  # the words after the verbs


@dataclass
class _State:
    texts: Sequence[str]
    blocks: Sequence[list[tuple[int, int]]]  # per script: the if/case blocks, as (start, end)
    spans: list[tuple[int, Span]] = field(default_factory=list)
    rationale: list[str] = field(default_factory=list)
    left_alone: list[tuple[int, int, str]] = field(default_factory=list)
    seen: list[tuple[int, int]] = field(default_factory=list)
    consumed: set[tuple[int, int]] = field(default_factory=set)  # pushes handled by some build


def rewrite(
    scripts: Sequence[str],
    platforms: Sequence[str],
    platform_text: str,
    wanted: Callable[[int, int], bool] = lambda script, line: True,
    docker_words: frozenset[str] = frozenset(),
) -> Rewrite:
    """Rewrite the publishing docker builds of ``scripts`` (one scope) to build ``platforms``.

    ``platform_text`` is what goes after ``--platform`` (the list itself, or ``$(PLATFORMS)``);
    ``wanted(script, line)`` says which builds to touch (the others are only read); ``docker_words`` are
    words that run docker as written (a Makefile's ``$(CONTAINER_TOOL)``). Raises Unpatchable.
    """
    lexed = [lex(text) for text in scripts]
    entries = [
        _Entry(s, k, command, argv, bool(argv) and _is_docker(argv[0].value, docker_words))
        for s, found in enumerate(lexed)
        for k, command in enumerate(found.commands)
        for argv in [command.argv()]
    ]
    state = _State(scripts, [_blocks(found) for found in lexed])
    built_tags: set[str] = set()
    for entry in entries:
        build = _as_build(entry)
        line = _line(scripts[entry.script], entry.argv[0].start) if entry.argv else 0
        if build is not None:
            built_tags.update(map(same, build.parsed.tags))
            if wanted(entry.script, line):
                state.seen.append((entry.script, line))
                _rewrite_build(build, entries, platforms, platform_text, state)
        elif entry.argv and wanted(entry.script, line):
            other = parse_build_words(entry.values())
            if other is not None and other.tool != BAKE and not other.tool.endswith("compose build"):
                built_tags.update(map(same, other.tags))
                state.seen.append((entry.script, line))
                reason = f"`{other.tool}` as written here is not rewritten; only plain docker builds are"
                state.left_alone.append((entry.script, line, reason))
    for entry in entries:
        pushed = _pushed(entry)
        handled = (entry.script, entry.index) in state.consumed
        if pushed is not None and not handled and same(pushed.value) not in built_tags:
            reason = f"pushes {pushed.value}, which no build here produces"
            state.left_alone.append((entry.script, _line(scripts[entry.script], entry.argv[0].start), reason))
    for script in range(len(scripts)):
        ordered = sorted((span.start, span.end) for k, span in state.spans if k == script)
        if any(start < end for (_, end), (start, _) in pairwise(ordered)):
            raise Unpatchable("two builds would rewrite the same command; which one publishes is not clear")
    return Rewrite(tuple(state.spans), tuple(state.rationale), tuple(state.left_alone), tuple(state.seen))


_BRACED = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|\(([A-Za-z_][A-Za-z0-9_]*)\))")


def same(tag: str) -> str:
    """A tag as compared: ``${IMAGE}``, ``$(IMAGE)`` and ``$IMAGE`` name the same image."""
    return _BRACED.sub(lambda m: "$" + (m.group(1) or m.group(2)), tag)


def _is_docker(word: str, docker_words: frozenset[str]) -> bool:
    return program_name(word) == "docker" or word in docker_words


def covers(platforms: Sequence[str], wanted: Sequence[str], platform_text: str) -> bool:
    return set(wanted) <= set(platforms) or list(platforms) == [platform_text]


def _line(text: str, offset: int) -> int:
    return text.count("\n", 0, offset)


def _docker(entry: _Entry, *verbs: str) -> tuple[Word, ...] | None:
    """The argument words when ``entry`` runs ``docker <verbs…>`` (or ``docker image <verbs…>``)."""
    argv = entry.argv
    if not argv or not entry.docker:
        return None
    words = [w.value for w in argv[1:4]]
    for prefix in ([*verbs], ["image", *verbs]):
        if words[: len(prefix)] == prefix:
            return argv[1 + len(prefix) :]
    return None


def _positionals(args: Sequence[Word]) -> list[Word]:
    return [w for w in args if not w.value.startswith("-")]


def _pushed(entry: _Entry) -> Word | None:
    args = _docker(entry, "push")
    if args is None:
        return None
    positionals = _positionals(args)
    return positionals[0] if len(positionals) == 1 and len(args) == 1 else None


def _tagged(entry: _Entry) -> tuple[Word, Word] | None:
    args = _docker(entry, "tag")
    if args is None or len(args) != 2 or any(w.value.startswith("-") for w in args):
        return None
    return args[0], args[1]


def _as_build(entry: _Entry) -> _Build | None:
    argv = entry.argv
    if not argv:
        return None
    parsed = parse_build_words(entry.values())
    if parsed is None or not entry.docker:
        return None
    values = [w.value for w in argv[1:4]]
    for verbs in (["build"], ["image", "build"], ["builder", "build"], ["buildx", "build"]):
        if values[: len(verbs)] == verbs:
            return _Build(entry, parsed, argv[1 : 1 + len(verbs)], argv[1 + len(verbs) :])
    return None  # global options before the verb, bake, compose: not rewritten


def _rewrite_build(
    build: _Build, entries: Sequence[_Entry], platforms: Sequence[str], platform_text: str, state: _State
) -> None:
    entry, parsed = build.entry, build.parsed
    text = state.texts[entry.script]
    line = _line(text, entry.argv[0].start)
    if parsed.platforms and not covers(parsed.platforms, platforms, platform_text):
        pinned = ",".join(parsed.platforms)
        state.left_alone.append((entry.script, line, f"pins --platform {pinned}; left as the project chose"))
        return
    if parsed.outputs:
        state.left_alone.append((entry.script, line, "sets --output; where its result goes is the project's"))
        return
    if parsed.push:
        if not parsed.platforms:
            state.spans += [(entry.script, s) for s in _build_spans(build, platform_text)]
            state.rationale.append(f"`{_verb(build)}` now builds {platform_text}")
        return
    tags = set(map(same, parsed.tags))
    later = [e for e in entries if e.script == entry.script and e.index > entry.index]
    elsewhere = [e for e in entries if e.script != entry.script]
    chains = {
        same(dst.value): src
        for e in entries
        if (pair := _tagged(e)) and same((src := pair[0]).value) in tags
        for dst in [pair[1]]
    }
    guarded = [e for e in later if _guarded(state.blocks[entry.script], entry, e)]
    later = [e for e in later if e not in guarded]
    here_tags = [e for e in later if (pair := _tagged(e)) and same(pair[0].value) in tags]
    here_pushes = [
        e
        for e in later
        if (w := _pushed(e)) is not None and (same(w.value) in tags or same(w.value) in chains)
    ]
    there_pushes = [
        e
        for e in elsewhere
        if (w := _pushed(e)) is not None and (same(w.value) in tags or same(w.value) in chains)
    ]
    there_pushes += [
        e
        for e in guarded
        if (w := _pushed(e)) is not None and (same(w.value) in tags or same(w.value) in chains)
    ]
    local = [e for e in later + guarded if _uses(e, tags) and e not in here_tags + here_pushes + there_pushes]
    taken = state.consumed  # a push another build of the same tag already answers for stays with that one
    here_pushes = [e for e in here_pushes if (e.script, e.index) not in taken]
    there_pushes = [e for e in there_pushes if (e.script, e.index) not in taken]
    for push in here_pushes + there_pushes:
        state.consumed.add((push.script, push.index))
    if parsed.platforms and not (here_pushes or there_pushes):
        return  # already multi-platform and nothing pushes it
    # a `docker login` between the build and its push must still run before anything is pushed
    first_push = min((e.index for e in here_pushes), default=0)
    login_first = any(_docker(e, "login") is not None and e.index < first_push for e in later)
    if here_pushes and not local and not login_first:
        _collapse(build, here_tags, here_pushes, platform_text, state)
        here_pushes = []
    elif not here_pushes and not there_pushes:
        state.left_alone.append((entry.script, line, LOCAL_ONLY if local else NOT_PUSHED))
        return
    for push in here_pushes + there_pushes:
        pushed = _pushed(push)
        assert pushed is not None
        replacement = _publishing_command(build, pushed, platform_text)
        state.spans.append((push.script, Span(push.argv[0].start, push.command.end, replacement)))
        state.rationale.append(f"`docker push {pushed.value}` now builds {platform_text} and pushes them")


def _blocks(found: Lexed) -> list[tuple[int, int]]:
    return [(block.start, block.end) for block in found.ifs] + [
        (case.start, case.end) for case in found.cases
    ]


def _guarded(blocks: Sequence[tuple[int, int]], build: _Entry, other: _Entry) -> bool:
    """Whether ``other`` runs only on a condition ``build`` does not (an if/case branch of its own)."""
    inside = [(start, end) for start, end in blocks if start <= other.command.start < end]
    return any(not start <= build.command.start < end for start, end in inside)


_SAYS = frozenset({"echo", "printf", ":", "true", "log", "info"})


def _uses(entry: _Entry, tags: set[str]) -> bool:
    if _as_build(entry) is not None or not entry.argv or entry.argv[0].value in _SAYS:
        return False
    return any(same(w.value) in tags for w in entry.command.words)


def _verb(build: _Build) -> str:
    return "docker " + " ".join(w.value for w in build.verbs)


def _build_spans(build: _Build, platform_text: str) -> list[Span]:
    """Turn the build into ``docker buildx build --platform …`` without ``--load``."""
    spans: list[Span] = []
    verbs = build.verbs
    if verbs[0].value == "build":
        spans.append(Span(verbs[0].start, verbs[0].start, "buildx "))
    elif verbs[0].value in ("image", "builder"):
        spans.append(Span(verbs[0].start, verbs[0].end, "buildx"))
    if not build.parsed.platforms:
        spans.append(Span(verbs[-1].end, verbs[-1].end, f" --platform {platform_text}"))
    for word in build.args:
        if word.value == "--load":
            spans.append(Span(_blank_before(build, word), word.end, ""))
    return spans


def _blank_before(build: _Build, word: Word) -> int:
    """The start of the blanks before ``word`` (the previous word's end), so its removal leaves no gap."""
    previous = build.entry.argv[0]
    for other in build.entry.argv:
        if other.start >= word.start:
            break
        previous = other
    return previous.end


def _context(build: _Build) -> Word | None:
    args = build.args
    i = 0
    while i < len(args):
        value = args[i].value
        if value == "--":
            return args[i + 1] if i + 1 < len(args) else None
        if not value.startswith("-") or value == "-":
            return args[i]
        name, has_value, _ = value.partition("=")
        i += 2 if not has_value and name in _VALUE_OPTIONS else 1
    return None


def _collapse(
    build: _Build, tags: Sequence[_Entry], pushes: Sequence[_Entry], platform_text: str, state: _State
) -> None:
    script = build.entry.script
    text = state.texts[script]
    added = []
    own = set(map(same, build.parsed.tags))
    for push in pushes:
        pushed = _pushed(push)
        if pushed is not None and same(pushed.value) not in own and pushed.raw not in added:
            added.append(pushed.raw)
    insert = "".join(f"-t {tag} " for tag in added) + "--push"
    spans = _build_spans(build, platform_text)
    context = _context(build)
    if context is not None:
        spans.append(Span(context.start, context.start, insert + " "))
    else:
        spans.append(Span(build.entry.argv[-1].end, build.entry.argv[-1].end, " " + insert))
    state.spans += [(script, s) for s in spans]
    state.rationale.append(f"`{_verb(build)}` now builds {platform_text} and pushes them with --push")
    gone = sorted({e.index for e in [*tags, *pushes]})
    commands = lex(text).commands
    for group in _groups(gone):
        state.spans.append((script, _removal(text, commands, group[0], group[-1])))
    for push in pushes:
        pushed = _pushed(push)
        assert pushed is not None
        state.rationale.append(f"`docker push {pushed.value}` folded into the build's --push")


def _groups(indices: Sequence[int]) -> list[list[int]]:
    groups: list[list[int]] = []
    for index in indices:
        if groups and groups[-1][-1] == index - 1:
            groups[-1].append(index)
        else:
            groups.append([index])
    return groups


def _removal(text: str, commands: Sequence[Command], first: int, last: int) -> Span:
    """Remove commands ``first..last`` with their ``&&`` joiner or their whole lines; shell stays valid."""
    head, tail = commands[first], commands[last]
    if any(commands[k].next_op not in ("&&", ";", "\n") for k in range(first, last)):
        raise Unpatchable("a docker push to fold into the build sits in a pipeline or an || list")
    after = text[tail.end : line_end(text, tail.end)]
    if after.strip() and not after.lstrip(" \t").startswith(("&&", ";", "\\")):
        raise Unpatchable("a docker push to fold into the build has a redirection or more after it")
    if head.prev_op == "&&":
        joiner = text.rfind("&&", 0, head.start)
        start = joiner
        while start > 0 and text[start - 1] in " \t":
            start -= 1
        return Span(start, tail.end, "")
    if tail.next_op == "&&" and last + 1 < len(commands):
        return Span(head.start, commands[last + 1].start, "")
    begin = line_start(text, head.start)
    if (
        text[begin : head.start].strip() == ""
        and tail.next_op in ("\n", "", ";")
        and after.strip(" \t;\r\n") == ""
    ):
        end = line_end(text, tail.end)
        if end == len(text) and not text.endswith("\n") and begin > 0:  # the last line, unterminated:
            begin -= (
                2 if text.startswith("\r\n", begin - 2) else 1
            )  # its break goes, the file still ends without one
        return Span(begin, end, "")
    raise Unpatchable("a docker push to fold into the build shares its line with other commands")


def _publishing_command(build: _Build, pushed: Word, platform_text: str) -> str:
    """The build on one line: ``docker buildx build --platform … <options> -t <pushed> --push <context>``."""
    words = [build.entry.argv[0].raw, "buildx", "build"]
    if not build.parsed.platforms:
        words += ["--platform", platform_text]
    args = build.args
    context = _context(build)
    i = 0
    tail: list[str] = []
    while i < len(args):
        word = args[i]
        value = word.value
        name, has_value, _ = value.partition("=")
        takes = not has_value and name in _VALUE_OPTIONS and word is not context
        if word is context:
            tail = [w.raw for w in args[i:]]
            break
        if name in ("-t", "--tag") or (value.startswith("-t") and not value.startswith("--")):
            i += 2 if takes else 1
            continue
        if value == "--load":
            i += 1
            continue
        words += [w.raw for w in args[i : i + (2 if takes else 1)]]
        i += 2 if takes else 1
    words += ["-t", pushed.raw, "--push", *tail]
    return " ".join(words)
