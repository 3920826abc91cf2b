"""Write a LAION-like synthetic caption corpus for benchmarks (outside git).

Parquet shards with a ``TEXT`` column (and ``URL``), as the LAION-400M
metadata, deterministic for a seed. Two modes:

``--mode templates`` (the default, the older corpus)
    captions composed from the Visual Genome names of the bundled sample and
    twelve caption-like templates (web-style noise included: capitalized
    words, numbers, brand-like tokens, "stock photo", hashtags). Its abstract
    sentences repeat massively (about 96% of captions hit the fast
    extractor's sentence cache), so it flatters a cache.
``--mode varied``
    captions as varied as real web captions: one to three of the sample's
    7,278 real region descriptions, joined in several ways and in either
    order, with web-caption structure around them (shop and stock-photo
    prefixes, photo-credit tails, places, dates, sizes, file names, model
    numbers, brand-like tokens, hashtags) and small word-order and case
    variants. Fewer than 5% of its captions repeat; the script prints the
    share of distinct captions per shard.

    .venv/bin/python scripts/make_synthetic_corpus.py --out /work/bench/laion_like \\
        --captions 10000000 --shard-size 1000000 --seed 0
    .venv/bin/python scripts/make_synthetic_corpus.py --mode varied --out /work/bench/varied_1m \\
        --captions 1000000 --shard-size 100000 --seed 0
"""

from __future__ import annotations

import argparse
import functools
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from crepe_gen.systematicity.vg_names import vg_names
from crepe_gen.vg.reader import VisualGenome

TEMPLATES = [
    "{A} {O} {R} the {O2}",
    "a {A} {O} {R} a {A2} {O2} in the {O3}",
    "Photo of a {O} {R} {O2}",
    "{A} {O} and {A2} {O2} stock photo",
    "The {O} is {A}",
    "{N} {A} {O}s {R} {O2} - {W} {W2}",
    "close-up of {O} with {A} {O2}, {W}",
    "{W} {W2} {A} {O} for sale",
    "Vintage {A} {O} {R} the {O2} #{W}",
    "a {O} {R} a {O2} {R2} the {O3}",
    "{W} {N} {W2}",
    "{A} and {A2} {O}",
]
FILLER = ("beautiful summer modern design vintage free shipping image picture new best style "
          "home garden kitchen travel city nature wedding family holiday premium quality").split()

# --- the varied mode -------------------------------------------------------

#: Word pieces of brand-like tokens ("Velmora", "Kastrix"): never VG names as a whole.
SYLLABLES = ("ka ve lo mi ra zu to ne bri sta qu fle or an ix el dra po su ti mar gen vo "
             "lux cor tek ny sa ri do fa").split()
FIRST_NAMES = ("John Maria Wei Anna Carlos Fatima Li Peter Olga Ahmed Sofia Kenji Laura Ivan Grace "
               "Tom Aisha Pablo Elena Sven Mei Omar Julia Raj Hana Lucas Nora Diego Yuki Sam").split()
SURNAMES = ("Smith Garcia Chen Kowalski Nguyen Müller Rossi Silva Tanaka Johnson Ivanova Khan Dubois "
            "Larsen Okafor Brown Novak Sato Lopez Meyer Haddad Costa Kim Berg Moreau Walsh Ortiz").split()
PLACES = ("Paris, France|New York City|Berlin|Kyoto, Japan|San Francisco, CA|London, UK|Cape Town|"
          "Lisbon, Portugal|Austin, Texas|Oslo|Melbourne, Australia|Toronto, Canada|Rome, Italy|"
          "Mexico City|Dallas TX|Prague|Seoul|Vancouver BC|Amsterdam|Edinburgh").split("|")
MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
HASHTAGS = ("travel nature photography instagood photooftheday homedecor vintage streetphoto "
            "foodie cityscape interiordesign art love summer").split()
#: Caption openings; slots: {brand} {model} {n} {year} {place} {name}.
PREFIXES = [
    "Stock Photo - ", "Photo of ", "Close-up of ", "Image: ", "{brand} {model} ", "{n} x ",
    "View of ", "HD wallpaper: ", "Royalty free image of ", "Vintage ", "{year} ", "NEW {brand} ",
    "Picture of ", "{brand} - ", "Detail of ", "{place}: ", "Lot {n}: ", "[{year}] ", "Free photo: ",
    "A photo of ", "IMG_{id} ", "Aerial view of ", "{brand} {model} for sale - ", "Untitled: ",
]
#: Caption endings; same slots plus {hashtag} {month} {size}.
SUFFIXES = [
    " | Photo by {name}", " - stock photo", " © {year} {name}", " (c) {brand} Images", " #{hashtag}",
    " #{hashtag} #{hashtag2}", " in {place}", " for sale", " - {brand}", " | {brand}", " size {n}",
    " {w}x{h}", " IMG_{id}.jpg", " - {place}, {month} {year}", " on {brand}", " free shipping",
    " by {name}", " | {n} pcs", " ({year})", " - Royalty Free Image", " model {model}",
    " - {brand} {model}, {n} cm", " photographed by {name} in {place}", ". Credit: {name}/{brand}",
    " ~ {month} {day}, {year}", " | Item #{id}", " - Wallpaper {w} x {h}",
]
#: How region descriptions are joined when a caption has several.
JOINERS = [", ", " and ", " with ", " - ", ". ", "; ", ", and ", " next to ", " | ", " & ", " while ",
           " near ", " plus "]
#: How many regions a caption holds (1, 2, 3) and how likely each is.
REGION_COUNTS, REGION_WEIGHTS = (1, 2, 3), (0.5, 0.35, 0.15)


def region_phrases(vg_root=None) -> list[str]:
    """The region descriptions of a VG folder, whitespace folded, in file order."""
    phrases = []
    for _, regions in VisualGenome(vg_root, lenient=True).region_descriptions():
        for region in regions:
            text = " ".join(region["phrase"].split()).rstrip(".")
            if text:
                phrases.append(text)
    return phrases


def brand(rng) -> str:
    """A brand-like token of two or three syllables: ``"Velmora"``."""
    parts = rng.choice(SYLLABLES, size=int(rng.integers(2, 4)))
    return "".join(parts).capitalize()


def fill(template: str, rng) -> str:
    """*template* with its slots filled at random (seeded by *rng*)."""
    if "{" not in template:
        return template
    values = {
        "brand": brand(rng), "model": f"{brand(rng)[:2].upper()}-{int(rng.integers(10, 9999))}",
        "n": int(rng.integers(2, 500)), "year": int(rng.integers(1950, 2024)),
        "place": PLACES[int(rng.integers(len(PLACES)))],
        "name": f"{FIRST_NAMES[int(rng.integers(len(FIRST_NAMES)))]} {SURNAMES[int(rng.integers(len(SURNAMES)))]}",
        "hashtag": HASHTAGS[int(rng.integers(len(HASHTAGS)))],
        "hashtag2": HASHTAGS[int(rng.integers(len(HASHTAGS)))],
        "month": MONTHS[int(rng.integers(12))], "day": int(rng.integers(1, 29)),
        "size": int(rng.integers(4, 60)), "id": int(rng.integers(1000, 99999)),
        "w": int(rng.choice([640, 800, 1024, 1280, 1920, 2560, 3840])),
        "h": int(rng.choice([480, 600, 768, 720, 1080, 1440, 2160])),
    }
    return template.format(**values)


def vary_words(text: str, rng) -> str:
    """Small word-level variants of one region description: a leading
    article dropped or added, a filler adjective, a number before a noun."""
    words = text.split(" ")
    roll = rng.random()
    if roll < 0.15 and words[0].lower() in ("a", "an", "the"):
        words = words[1:] or words
    elif roll < 0.25:
        words = ["the" if rng.random() < 0.5 else "a", *words]
    elif roll < 0.35:
        words.insert(int(rng.integers(0, len(words))), FILLER[int(rng.integers(len(FILLER)))])
    elif roll < 0.40:
        words.insert(0, str(int(rng.integers(2, 12))))
    return " ".join(words)


def recase(text: str, rng) -> str:
    """The case of a web caption: as typed, first letter up, Title Case or UPPER."""
    roll = rng.random()
    if roll < 0.5:
        return text
    if roll < 0.8:
        return text[:1].upper() + text[1:]
    if roll < 0.95:
        return text.title()
    return text.upper()


def varied_caption(phrases: list[str], rng) -> str:
    """One web-like caption around one to three region descriptions."""
    count = int(rng.choice(REGION_COUNTS, p=REGION_WEIGHTS))
    parts = [vary_words(phrases[int(i)], rng) for i in rng.integers(0, len(phrases), count)]
    body = parts[0]
    for part in parts[1:]:
        body += JOINERS[int(rng.integers(len(JOINERS)))] + part
    caption = recase(body, rng)
    roll = rng.random()
    # nearly every caption has a prefix or a suffix, as web captions do
    if roll < 0.35 or roll >= 0.97:
        caption = fill(PREFIXES[int(rng.integers(len(PREFIXES)))], rng) + caption
    if roll >= 0.25:
        caption += fill(SUFFIXES[int(rng.integers(len(SUFFIXES)))], rng)
    if rng.random() < 0.15:
        caption += "."
    return caption


def varied_shard(phrases: list[str], n: int, rng) -> list[str]:
    return [varied_caption(phrases, rng) for _ in range(n)]


def template_shard(pools: dict, n: int, rng) -> list[str]:
    """One shard of the templates mode (the older corpus, byte for byte)."""
    objects, attributes, relations, filler = pools["objects"], pools["attributes"], pools["relations"], pools["filler"]

    def pick(pool, size):
        """Skewed choice of names (a few frequent, a long tail), as in real captions."""
        ranks = (rng.random(size) ** 3 * len(pool)).astype(np.int64)
        return pool[ranks]
    columns = {k: pick(pool, n) for k, pool in [("O", objects), ("O2", objects), ("O3", objects),
                                                  ("A", attributes), ("A2", attributes),
                                                  ("R", relations), ("R2", relations)]}
    words = filler[rng.integers(0, len(filler), (2, n))]
    numbers = rng.integers(2, 12, n)
    template_ids = rng.integers(0, len(TEMPLATES), n)
    return [TEMPLATES[template_ids[i]].format(
        O=columns["O"][i], O2=columns["O2"][i], O3=columns["O3"][i], A=columns["A"][i],
        A2=columns["A2"][i], R=columns["R"][i], R2=columns["R2"][i], N=numbers[i],
        W=words[0, i], W2=words[1, i]) for i in range(n)]


def template_pools(rng) -> dict:
    names = vg_names()
    objects = np.array(sorted(names.objects))
    attributes = np.array(sorted(names.attributes))
    relations = np.array(sorted(names.relations))
    # shuffled once, so the Zipf ranks fall on arbitrary names
    objects, attributes, relations = (pool[rng.permutation(len(pool))]
                                      for pool in (objects, attributes, relations))
    return {"objects": objects, "attributes": attributes, "relations": relations, "filler": np.array(FILLER)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("/work/bench/laion_like"))
    parser.add_argument("--mode", choices=("templates", "varied"), default="templates")
    parser.add_argument("--varied", dest="mode", action="store_const", const="varied",
                        help="same as --mode varied")
    parser.add_argument("--captions", type=int, default=10_000_000)
    parser.add_argument("--shard-size", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--vg", default=None, help="VG folder of the region descriptions (varied mode)")
    args = parser.parse_args()

    args.out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(args.seed)
    if args.mode == "varied":
        make = functools.partial(varied_shard, region_phrases(args.vg), rng=rng)
    else:
        make = functools.partial(template_shard, template_pools(rng), rng=rng)
    written, seen = 0, set()
    for shard in range(0, (args.captions + args.shard_size - 1) // args.shard_size):
        started = time.perf_counter()
        n = min(args.shard_size, args.captions - written)
        texts = make(n)
        table = pa.table({"URL": [f"https://example.invalid/{written + i}.jpg" for i in range(n)],
                          "TEXT": texts})
        path = args.out / f"part-{shard:05d}.parquet"
        pq.write_table(table, path, row_group_size=100_000, compression="zstd")
        written += n
        seen.update(texts)
        print(f"{path}: {n} captions, {len(set(texts)) / n:.1%} distinct in the shard, "
              f"{len(seen) / written:.1%} distinct so far ({time.perf_counter() - started:.1f} s)", flush=True)


if __name__ == "__main__":
    main()
