"""Text-only attackers the generators defend against: :mod:`~crepe_gen.textonly.classifier`
(the one text-only n-gram classifier, trained out of fold and grouped by image;
the audit judges with it) and :mod:`~crepe_gen.textonly.balance` (choosing foils
and rows so that it finds the positive no more often than chance)."""

__all__: list[str] = []
