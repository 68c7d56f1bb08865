"""The arch-hazard finder: what would make a Dockerfile's arm64 image fail to build or hold amd64 code.

finder.py walks the Dockerfile and follows RUN steps into scripts (sources.py) and Makefiles
(makefile.py); rules.py runs the shell-text rules (downloads.py, toolchain.py) on lexed shell
(bot.scan.shell_syntax); stages.py and image.py judge stages and the published image; findings.py holds
what the rules share and lines.py maps findings back to physical lines.
"""

from bot.scan.hazards.finder import CODES, find_hazards
from bot.scan.hazards.image import single_arch_digest_hazard

__all__ = ["CODES", "find_hazards", "single_arch_digest_hazard"]
