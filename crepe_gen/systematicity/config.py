"""The options of the systematicity stage (:class:`SystematicityConfig`) and its splits."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..bench.format import SPLITS
from ..core.config import check_seed
from ..core.errors import ConfigError
from ..core.fingerprint import NOT_FINGERPRINTED

__all__ = ["PHOTO_PHRASES", "SystematicityConfig"]

#: Phrases of region captions that describe the photo itself, not what it shows.
PHOTO_PHRASES = ("in the photo", "in the picture", "in the image", "in the photograph", "in the pic",
                 "in this photo", "in this picture", "in this image", "in this photograph", "this photo",
                 "this picture", "this image", "this photograph", "of the photo",
                 "of the image", "of the photograph", "in photo", "the photo is", "the image is", "photo taken", "picture taken", "photo was taken",
                 "picture was taken", "photographed")


@dataclass(frozen=True)
class SystematicityConfig:
    """Options of the systematicity stage.

    Parameters
    ----------
    seed : int
        Seed of every random draw; same inputs and seed give identical files.
    min_count : int
        ``k``: an atom or compound is *seen* in a training set when its count
        in that set's vocabulary is at least ``k``.
    unseen_atoms : bool
        Also write the ``unseen_atoms`` split.
    extractor : str
        Name of the :func:`crepe_gen.systematicity.extract.extract` extractor.
    max_negatives : int
        At most this many HN-Atom negatives per row.
    comp_negatives : int
        At most this many HN-Comp and, separately, combined negatives per row.
        Each recombination is one edit away from the positive, so with more
        than one the positive is the candidate closest to all the others, a
        text-only cue (the audit's centroid rule).
    min_overlap : float
        A scene-graph object grounds a caption object when at least this
        fraction of the smaller of its box and the region box is shared.
    min_crop_fraction : float
        Regions whose box covers less than this share of the image are
        dropped (a crop too small to show its caption).
    min_crop_side : float
        Regions whose box has a side under this many pixels are dropped.
    max_outside : float
        Boxes are clipped to the image; a box with more than this share of
        its area outside the image is dropped instead.
    photo_phrases : tuple
        Region captions holding one of these phrases (whole words) are about
        the photo rather than its content and are dropped.
    max_tries : int
        At most this many replacement candidates are tried per atom.
    likely_comp_only : bool
        Keep only HN-Comp and combined negatives whose new word pairs occur in
        other images' captions and that are at least as likely as the
        positive under their bigram model (within ``plausibility_tolerance``
        nats). Few captions have one; the default leaves the text-only bias
        of recombinations to rank balancing instead.
    possible_comp_only : bool
        Keep only HN-Comp and combined negatives whose every new compound is
        seen in other images' scene graphs, each name as itself or a
        co-hyponym
        (:meth:`~crepe_gen.systematicity.plausibility.CompoundPlausibility.admits`):
        an attribute moves only to an object it fits, a relation is reversed
        only where the reversed relation is seen. On the bundled sample, whose
        100 images see few compounds, about 15% of the HN-Comp lists are left.
    plausibility_tolerance : float
        With ``likely_comp_only``: how many nats less likely than its positive
        a negative may be.
    candidate_pool : int
        Candidates made per row for each list, before ranks are balanced.
    balance_ranks : bool
        Pick each row's negatives of each list from its candidates so that the
        rank of the positive under a text-only n-gram classifier (trained on
        other images) is uniform over the rows. Off: the first
        ``max_negatives`` candidates are kept.
    balance_plausibility : bool
        With ``balance_ranks``, also make the positive's rank under the
        plausibility of its compounds in other images' scene graphs
        (:mod:`~crepe_gen.systematicity.plausibility`) uniform over the rows,
        and weight replacement draws by it. Off by default: on the bundled
        sample it keeps about 70% of the rows and does not yet bring a
        pretrained language model's picks nearer chance (issue 13).
    plausibility_bigrams : bool
        Add to that plausibility the caption's log-likelihood under the
        bigram model of the other images' captions
        (:mod:`~crepe_gen.systematicity.bigrams`).
    classifier_folds : int
        Grouped cross-validation folds of that classifier.
    balance_rounds : int
        Rounds of balancing: the first classifier learns from all candidates,
        each later one from the previous round's choices.
    progress : bool
        Show tqdm progress bars (not part of the run's fingerprint).
    """

    seed: int = 0
    min_count: int = 1
    unseen_atoms: bool = False
    extractor: str = "fast"
    max_negatives: int = 3
    comp_negatives: int = 1
    min_overlap: float = 0.5
    min_crop_fraction: float = 0.005
    min_crop_side: float = 20.0
    max_outside: float = 0.5
    photo_phrases: tuple = PHOTO_PHRASES
    max_tries: int = 40
    likely_comp_only: bool = False
    possible_comp_only: bool = True
    plausibility_tolerance: float = 0.0
    candidate_pool: int = 8
    balance_ranks: bool = True
    balance_plausibility: bool = False
    plausibility_bigrams: bool = False
    classifier_folds: int = 5
    balance_rounds: int = 1
    progress: bool = field(default=False, metadata=NOT_FINGERPRINTED)

    def __post_init__(self):
        check_seed(self.seed)
        if self.min_count < 1:
            raise ConfigError(f"min_count must be at least 1, got {self.min_count}")
        if self.max_negatives < 1 or self.comp_negatives < 1:
            raise ConfigError(f"max_negatives and comp_negatives must be at least 1, "
                              f"got {self.max_negatives} and {self.comp_negatives}")
        if not 0 < self.min_overlap <= 1:
            raise ConfigError(f"min_overlap must be in (0, 1], got {self.min_overlap}")
        if not 0 <= self.min_crop_fraction < 1 or self.min_crop_side < 0:
            raise ConfigError(f"min_crop_fraction must be in [0, 1) and min_crop_side at least 0, "
                              f"got {self.min_crop_fraction} and {self.min_crop_side}")
        if not 0 <= self.max_outside < 1:
            raise ConfigError(f"max_outside must be in [0, 1), got {self.max_outside}")
        if isinstance(self.photo_phrases, str) or not all(isinstance(p, str) for p in self.photo_phrases):
            raise ConfigError(f"photo_phrases must be a list of phrases, got {self.photo_phrases!r}")
        object.__setattr__(self, "photo_phrases", tuple(self.photo_phrases))

    def splits(self) -> tuple[str, ...]:
        """The splits written: ``unseen_atoms`` only with :attr:`unseen_atoms`."""
        return SPLITS if self.unseen_atoms else SPLITS[:2]
