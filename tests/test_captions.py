"""Template captions: grammar details, every atom mentioned, backends registry."""

import random

import pytest

from crepe_gen.language.fluency import BOUNDARY_WORDS, PSEUDO_OBJECTS, flagged_rules
from crepe_gen.core.errors import ConfigError
from crepe_gen.productivity.captions import (CAPTION_BACKENDS, FLUENCY_FIXES, caption_templates, indefinite_article,
                                             render, scene_from_subgraph, surface_name)

FIXED = {**caption_templates(), "fluency_fixes": list(FLUENCY_FIXES)}
UNFIXED = {**caption_templates(), "fluency_fixes": []}
from crepe_gen.vg.scene import Mention, Scene
from crepe_gen.productivity.sampling import sample_subgraph
from crepe_gen.vg.reader import VisualGenome


def test_articles_plurals_mass_nouns_and_order():
    scene = Scene((Mention(1, "umbrella", ("wooden", "old", "red")), Mention(2, "grass", ()),
                   Mention(3, "sky", ("blue",)), Mention(4, "jeans", ()), Mention(5, "glasses", ())),
                  ((1, "on", 2), (4, "under", 1)), negated=("object", 5))
    assert render(scene) == ("An old red wooden umbrella is on grass. Jeans are under the umbrella. "
                             "There is the blue sky. There are no glasses.")


def test_denials_in_place_agree():
    scene = Scene((Mention(1, "jeans", ("blue",)), Mention(2, "pocket", ())), ((1, "has", 2),))
    assert render(scene.negating(("relation", 0))) == "Blue jeans do not have a pocket."
    assert render(scene.negating(("attribute", 1, "blue"))) == "Jeans that are not blue have a pocket."
    assert render(scene.negating(("object", 2))) == "Blue jeans have no pocket."
    assert render(Scene((Mention(3, "cup", ()), Mention(2, "pocket", ())), ((3, "has", 2),)).negating(
        ("relation", 0)), style="clauses") == "A cup does not have a pocket."
    assert indefinite_article("egg") == "an" and indefinite_article("unicorn") == "a"


def test_finite_predicate_agrees():
    scene = Scene((Mention(1, "pants", ()), Mention(2, "pocket", ())), ((1, "has", 2),))
    assert render(scene) == "Pants have a pocket."


def sampled_scenes(images: int, seed: int):
    """Scenes of subgraphs of every level sampled from the first *images* sample images."""
    graphs = list(VisualGenome().scene_graphs())[:images]
    rng = random.Random(seed)
    for n in range(4, 13):
        for graph in graphs:
            sub = sample_subgraph(graph, n, rng)
            if sub is not None:
                yield scene_from_subgraph(graph, sub)


@pytest.mark.parametrize("fixes", [False, True])
@pytest.mark.parametrize("style", CAPTION_BACKENDS["template"]().styles)
def test_every_atom_is_mentioned_at_every_level(style, fixes):
    finite = caption_templates()["finite_predicates"]
    for scene in sampled_scenes(15, seed=0):
        text = render(scene, style, FIXED if fixes else UNFIXED)
        lowered = f" {text.lower()[:-1]} "
        assert text[0].isupper() and text.endswith(".") and "  " not in text
        for mention in scene.objects:
            name = surface_name(mention.name, frozenset(FIXED["fluency_fixes"] if fixes else ()))
            assert f" {name} " in lowered.replace(",", " ").replace(".", " ")
            for attribute in mention.attributes:
                assert f" {attribute} " in lowered.replace(",", " ")
        for _, predicate, _ in scene.relations:
            assert f" {predicate} " in lowered or f" {finite.get(predicate)} " in lowered


def _not_a_noun_phrase(name: str) -> bool:
    return bool(BOUNDARY_WORDS.intersection(name.split()) - {"of", "and"})


@pytest.mark.parametrize("style", CAPTION_BACKENDS["template"]().styles)
def test_rendered_captions_with_the_default_templates_are_fluent(style):
    flagged = []
    for scene in sampled_scenes(40, seed=1):
        assert not any(m.name.split()[-1] in PSEUDO_OBJECTS for m in scene.objects)  # the sampler refuses them
        if not any(_not_a_noun_phrase(m.name) for m in scene.objects):
            text = render(scene, style)
            flagged.extend((rule, text) for rule in flagged_rules(text))
    assert flagged == [], flagged


def test_the_default_templates_apply_every_fix():
    assert caption_templates()["fluency_fixes"] == list(FLUENCY_FIXES)
    scene = Scene((Mention(1, "man", ()), Mention(2, "pant", ("white", "black"))), ((1, "wearing", 2),))
    assert render(scene) == "A man is wearing black and white pants."


def test_fluency_fixes():
    pants = Scene((Mention(1, "man", ()), Mention(2, "pant", ("black",)), Mention(3, "jean", ())),
                  ((1, "wearing", 2),), ("object", 3))
    assert render(pants, templates=FIXED) == "A man is wearing black pants. There are no jeans."
    rod = Scene((Mention(1, "metal rod", ("metal", "blue", "metal")),))
    assert render(rod, templates=FIXED) == "There is a blue metal rod."
    monitor = Scene((Mention(1, "monitor", ("white", "wooden", "black", "big")),))
    assert render(monitor, templates=FIXED) == "There is a big black and white wooden monitor."
    one = Scene((Mention(1, "person", ("one",)), Mention(2, "picture", ())), ((1, "in", 2),))
    assert render(one, templates=FIXED) == "One person is in a picture."
    lone = Scene((Mention(1, "cup", ()), Mention(2, "plate", ()), Mention(3, "fork", ())), ())
    assert render(lone, templates=FIXED) == "There is a cup, a plate and a fork."
    assert render(lone, "clauses", FIXED) == "There is a cup, a plate and a fork."


def test_fixes_are_switches_named_in_the_templates():
    pants = Scene((Mention(1, "pant", ("black", "white")),))
    assert render(pants, templates=UNFIXED) == "There is a black white pant."
    assert render(pants, templates={**FIXED, "fluency_fixes": ["plural_only_names"]}) == "There are black white pants."
    with pytest.raises(ConfigError, match="unknown fluency_fixes nice"):
        render(pants, templates={**FIXED, "fluency_fixes": ["nice"]})


def test_scene_round_trips_through_dict():
    scene = Scene((Mention(1, "cup", ("white",)), Mention(2, "table", ())), ((1, "on", 2),), ("dog",))
    assert Scene.from_dict(scene.to_dict()) == scene
    backend = CAPTION_BACKENDS["template"]()
    assert backend.render_row(scene, [scene], [None], "sentences") == [render(scene)] * 2
