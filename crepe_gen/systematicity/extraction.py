"""What a caption mentions (:class:`Extraction`) and the function-word classes
the extractors and the VG names table share."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["AUXILIARIES", "COORDINATION_GAP", "COPULA_GAP", "DETERMINERS", "Extraction", "FILLER_PHRASES",
           "FUNCTION_WORDS", "MODIFIER_GAP", "PARTICLES", "PREPOSITIONS", "STOPWORDS", "SUBJECT_GAP"]

#: Function words that VG annotators sometimes typed as names; never atoms.
STOPWORDS = frozenset(
    "a an the and or but this that these those it its it's is are was were be been being "
    "there here their his her he she they them we you i me my your our one some any "
    "not no very one two three four five six seven eight nine ten".split())
PREPOSITIONS = frozenset("of on in at to for from by with near under over about into onto off".split())
#: Words allowed between ``OBJ`` and a predicative ``ATTR`` (``"the shirt is red"``).
COPULA_GAP = frozenset("is are was were be being been looks look seems seem appears appear "
                       "very quite all both mostly partly partially completely slightly really "
                       "so too rather fairly well".split())
#: Words allowed between coordinated objects (``"a hat and a coat"``).
COORDINATION_GAP = frozenset("and or , a an the two three four several some & also".split())
#: Words allowed between an attribute and its object (``"red and white bus"``).
MODIFIER_GAP = frozenset("and , - very".split())
DETERMINERS = frozenset("a an the this that".split())
AUXILIARIES = frozenset("is are was were be been being has have had am 's".split())
#: Verb particles and adverbs that keep a subject: "a picture taped up on the wall".
PARTICLES = frozenset("up down out away over back together well".split())
#: Words that may stand between a subject and its predicate.
SUBJECT_GAP = frozenset("is are was were be being been has have had re that which who , and also both all "
                        "a an the two three four several some".split())
#: Words the compound rules tell apart; any other word between two vocabulary
#: forms is only known by its suffix (see :func:`gap_classes`).
FUNCTION_WORDS = STOPWORDS | PREPOSITIONS | COPULA_GAP | COORDINATION_GAP | MODIFIER_GAP | SUBJECT_GAP \
    | AUXILIARIES | PARTICLES | frozenset("with as while where when what its".split())
#: Phrases matched like vocabulary forms so that a vocabulary word inside them
#: is no atom: the modal in "a red sign can be seen" is not a can.
FILLER_PHRASES = frozenset({"can be"})


@dataclass(frozen=True)
class Extraction:
    """The atoms and compounds of one caption (canonical VG names)."""

    objects: tuple = ()
    attributes: tuple = ()
    relations: tuple = ()
    attribute_compounds: tuple = ()
    relation_compounds: tuple = ()

    def compounds(self) -> tuple:
        """All compounds: ``(attribute, object)`` pairs then triples."""
        return self.attribute_compounds + self.relation_compounds
