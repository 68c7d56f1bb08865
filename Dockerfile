# multiarch-bot's own image: the bot, git (GitPython drives the git binary), run as a non-root user.
#
# Multi-arch, built like any image the bot proposes:
#   .venv/bin/python scripts/image_wheels.py       # once: fills build/wheels/ (see below)
#   docker buildx build --platform linux/amd64,linux/arm64 -t multiarch-bot .
#
# The build needs no network (the tests build it with `--network none` in the sandbox, where nothing can
# be fetched): the bot's dependencies are wheels fetched beforehand on the host, for both architectures,
# into build/wheels/ (git-ignored), at the versions the tests ran with; pip takes them with --no-index and
# picks each platform's own. Building wheels here instead (compilers, QEMU-emulated arm64 compiles) would
# be slow and would need the network; the pinned wheelhouse makes the image what was tested.
FROM python:3.11-slim-bookworm

# The official image has no git; the sandbox's stand-in for it (bot/sandbox/base_images.py, from Debian's
# packages) already has it, since a build without network cannot apt-get anything.
RUN if ! command -v git >/dev/null; then \
        apt-get update \
        && apt-get install -y --no-install-recommends git \
        && rm -rf /var/lib/apt/lists/*; \
    fi

# The bot from this checkout's source; setuptools (its build backend) comes from the wheelhouse too.
COPY pyproject.toml README.md /tmp/multiarch-bot/
COPY bot /tmp/multiarch-bot/bot
RUN --mount=type=bind,source=build/wheels,target=/wheels \
    python3 -m pip install --no-cache-dir --no-index --find-links /wheels --disable-pip-version-check \
        --root-user-action=ignore /tmp/multiarch-bot \
    && rm -rf /tmp/multiarch-bot

# A fixed uid that owns nothing on the host; written directly, as the stand-in base has no useradd.
RUN echo 'bot:x:10001:10001:multiarch-bot:/home/bot:/bin/sh' >>/etc/passwd \
    && echo 'bot:x:10001:' >>/etc/group \
    && mkdir -p /home/bot \
    && chown 10001:10001 /home/bot
USER 10001:10001
WORKDIR /home/bot
ENV HOME=/home/bot PYTHONUNBUFFERED=1
ENTRYPOINT ["multiarch-bot"]
CMD ["--help"]
