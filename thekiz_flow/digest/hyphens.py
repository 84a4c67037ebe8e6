"""Long German words with soft hyphens, so a narrow table column breaks them at a syllable.

A table of the report must fit an A4 page and a 1280 px screen; its headers and stage names
("Konsultationseinrichtung") are single words wider than a column may be. Browsers hyphenate
German only where they ship a dictionary, so the report carries the break points itself:
Pyphen's German patterns (the ones LibreOffice uses), as U+00AD soft hyphens, which show
only where the line breaks and are ignored by search and copy.
"""

from __future__ import annotations

import re
from functools import lru_cache

import pyphen

SOFT_HYPHEN = "\u00ad"
LONGEST = 12  # letters: shorter words stay whole
WORD = re.compile(rf"\w{{{LONGEST + 1},}}")


@lru_cache(maxsize=1)
def _dictionary() -> pyphen.Pyphen:
    return pyphen.Pyphen(lang="de_DE")


@lru_cache(maxsize=4096)
def hyphenated(text: str) -> str:
    """``text`` with soft hyphens between the syllables of its long words."""
    return WORD.sub(lambda m: str(_dictionary().inserted(m.group(), hyphen=SOFT_HYPHEN)), text)
