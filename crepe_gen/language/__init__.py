"""Words: :mod:`~crepe_gen.language.tokens` (the one tokenizer and negation list),
:mod:`~crepe_gen.language.names` (canonical VG names, aliases, lemmas, caption
equality) and :mod:`~crepe_gen.language.lexicon` (word classes and WordNet senses;
replacement candidates for foils)."""

__all__: list[str] = []
