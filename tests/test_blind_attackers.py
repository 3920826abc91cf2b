"""The strongest blind attackers: the structure-aware classifier on planted
structures, the blind-review sheet round trip, and the reasoning judge (a
test-double server for answers a real model cannot be made to give; the real
llama.cpp server for the plumbing)."""

from __future__ import annotations

import json
import random
import re

import pytest

from crepe_gen.bench.writer import write_csv_atomic
from crepe_gen.cli import main
from crepe_gen.evaluation.audit import AuditConfig, Item, audit_paths, quiz_report
from crepe_gen.evaluation.blind import shuffled_orders
from crepe_gen.evaluation.judge import parse_choice
from crepe_gen.evaluation.quiz import write_quiz
from crepe_gen.evaluation.structure import exactly_one_true, row_features, statements

from crepe_fixtures import PRODUCTIVITY_COLUMNS
from llm_fault_server import FaultServer
from llm_server import MODEL_NAME, llama_server  # noqa: F401 (a fixture)

NAMES = ("cup mug bowl plate jar vase box bag hat shoe sock shirt coat chair table desk lamp sofa bed rug "
         "door wall bench fence pole sign car bus bike kite dog cat horse bird cow tree bush rock").split()
COLOURS = "red blue green white black brown gray pink yellow orange purple tan".split()
RELATIONS = "on under near behind beside above".split()
STRUCTURE_ONLY = AuditConfig(baselines=("structure_classifier",))


def productivity_row(image_id, caption, negatives, n=4):
    return {"image_id": image_id, "caption": caption, "n": n, "n_objects": 2, "n_relations": 1,
            "n_attributes": n - 3, "n_connected_components": 1, "hard_negs": list(negatives),
            "x": 0.0, "y": 0.0, "width": 1.0, "height": 1.0}


def write_set(folder, foil, rows):
    write_csv_atomic(folder / foil / f"prod_vg_hard_negs_{foil}_complexity_4.csv", PRODUCTIVITY_COLUMNS,
                     [productivity_row(i, positive, negatives) for i, (positive, negatives) in enumerate(rows)])
    return folder


def majority_at_every_slot(rng):
    """Released CREPE's atom rows: each foil changes a different word of the positive."""
    a, b, c = rng.sample(NAMES, 3)
    colour_a, colour_b = rng.sample(COLOURS, 2)
    relation = rng.choice(RELATIONS)
    slots = [colour_a, a, relation, colour_b, b]
    positive = "a {} {} {} a {} {}".format(*slots)
    negatives = []
    for index in range(5):
        changed = list(slots)
        pool = COLOURS if index in (0, 3) else RELATIONS if index == 2 else NAMES
        changed[index] = rng.choice([w for w in pool if w not in slots and w != c])
        negatives.append("a {} {} {} a {} {}".format(*changed))
    return positive, negatives


def odd_negated_word(rng):
    """The positive alone denies a word no other candidate has (the replaced atom)."""
    a, b, c, d, e, f = rng.sample(NAMES, 6)
    relation = rng.choice(RELATIONS)
    positive = f"a {a} is {relation} a {b}. a {c} is not {relation} a {d}."
    negatives = [f"a {a} is {relation} a {b}. a {c} is not {relation} a {x}." for x in (b, a)]
    negatives += [f"a {a} is not {relation} a {b}. a {c} is {relation} a {b}.",
                  f"a {a} is {relation} a {c}. a {c} is not {relation} a {a}.",
                  f"a {c} is {relation} a {a}. a {a} is not {relation} a {b}."]
    del e, f
    return positive, negatives


#: Candidates over four statements (index, asserted), the positive first: the
#: only truth assignment under which exactly one candidate holds makes the positive true.
EXACTLY_ONE_PATTERNS = (
    [[(1, True), (3, False)], [(0, False), (1, True), (3, False)], [(0, True), (2, False), (3, True)],
     [(0, True), (1, False), (2, True)], [(0, True), (2, True)], [(0, True), (3, True)]],
    [[(0, True), (1, False)], [(0, True), (2, False), (3, False)], [(0, True), (3, True)],
     [(0, True), (1, True), (3, False)], [(0, True), (2, True), (3, True)], [(0, True), (1, True)]],
    [[(1, True), (2, True), (3, False)], [(1, False), (3, True)], [(2, False), (3, True)],
     [(0, True), (3, True)], [(0, False), (1, True), (3, True)], [(2, True), (3, True)]],
)


def exactly_one_true_row(rng):
    """Boolean combinations of four statements, exactly one candidate true under one assignment only."""
    facts = list(zip(rng.sample(NAMES, 4), rng.sample(COLOURS, 4)))
    texts = [" ".join(f"the {facts[i][0]} is {'' if asserted else 'not '}{facts[i][1]}." for i, asserted in pattern)
             for pattern in rng.choice(EXACTLY_ONE_PATTERNS)]
    return texts[0], texts[1:]


def independent_foils(rng):
    """No structure: the positive and its foils are drawn alike."""
    texts = []
    for _ in range(6):
        a, b = rng.sample(NAMES, 2)
        texts.append(f"a {rng.choice(COLOURS)} {a} {rng.choice(RELATIONS)} a {b}")
    return texts[0], texts[1:]


@pytest.mark.parametrize("make_row", [majority_at_every_slot, odd_negated_word, exactly_one_true_row])
def test_every_planted_structure_fails_the_structure_attacker(tmp_path, make_row):
    rng = random.Random(make_row.__name__)
    write_set(tmp_path, "atom", [make_row(rng) for _ in range(80)])
    report = audit_paths([tmp_path], STRUCTURE_ONLY)
    cell = report.cell("productivity", "atom", "4")
    assert cell.recall["structure_classifier"] > 0.5 and cell.verdict == "FAIL"
    assert cell.failing == ["structure_classifier"] and not report.passed


def test_independent_foils_pass_the_structure_attacker(tmp_path):
    rng = random.Random(7)
    write_set(tmp_path, "atom", [independent_foils(rng) for _ in range(80)])
    cell = audit_paths([tmp_path], STRUCTURE_ONLY).cell("productivity", "atom", "4")
    assert cell.verdict == "pass" and abs(cell.recall["structure_classifier"] - cell.chance) < 0.1


def test_structure_features_see_each_structure():
    rng = random.Random(0)
    positive, negatives = majority_at_every_slot(rng)
    features = row_features([positive, *negatives])
    assert features[0]["majority_agreement"] == 1.0 > max(f["majority_agreement"] for f in features[1:])
    positive, negatives = exactly_one_true_row(rng)
    share, best = exactly_one_true([frozenset(statements(c)) for c in [positive, *negatives]])
    assert share[0] == best[0] == 1.0
    positive, negatives = odd_negated_word(rng)
    features = row_features([positive, *negatives])
    assert features[0]["negated_unique_words"] == 1.0
    assert all(f["negated_unique_words"] == 0.0 for f in features[1:])


def test_structure_attacker_is_deterministic(tmp_path):
    rng = random.Random(3)
    write_set(tmp_path, "negate", [exactly_one_true_row(rng) for _ in range(40)])
    first = audit_paths([tmp_path], STRUCTURE_ONLY).to_dict()
    assert audit_paths([tmp_path], STRUCTURE_ONLY).to_dict() == first


# ---------------------------------------------------------------- the blind-review sheet

def planted_items(count=60):
    rng = random.Random(1)
    items = []
    for i in range(count):
        positive, negatives = majority_at_every_slot(rng)
        items.append(Item("productivity", "atom", 4 + i % 2, i, positive, tuple(negatives), file="atom_4.csv", row=i))
    return items


def test_sheet_round_trip(tmp_path):
    items = planted_items()
    summary = write_quiz(items, tmp_path / "quiz", rows=25, seed=0)
    assert summary == {"questions": 25, "per_foil": {"productivity/atom": 25}}
    sheet = (tmp_path / "quiz" / "sheet.md").read_text()
    key = json.loads((tmp_path / "quiz" / "key.json").read_text())
    assert len(key) == 25 == sheet.count("\n## Q")
    # the sheet tells nothing but the candidates: no foil type, level, image id or source
    body = sheet.split("## ", 1)[1]
    assert not re.search(r"atom|level|complexity|image|\.csv", body)
    positions = [number for number in key.values()]
    assert len(set(positions)) > 3  # the positive is not at one number
    questions = json.loads((tmp_path / "quiz" / "questions.json").read_text())
    for qid, number in key.items():
        block = sheet.split(f"## {qid}\n\n", 1)[1].split("\n\n", 1)[0].splitlines()
        assert block[number - 1] == f"{number}. {questions[qid]['candidates'][0]}"

    answers = tmp_path / "answers.tsv"
    answers.write_text("# a perfect reader\n" + "".join(f"{qid}\t{n}\n" for qid, n in key.items()))
    report = quiz_report(tmp_path / "quiz", answers, AuditConfig())
    pooled = [c for c in report.reader_cells if c.level == "all"][0]
    assert pooled.rows == 25 and pooled.recall["reader"] == 1.0 and not report.passed
    assert main(["audit", "--quiz", str(tmp_path / "quiz"), "--answers", str(answers)]) == 1

    # a reader that answers 1 everywhere is at about chance and passes
    answers.write_text("".join(f"{qid} 1\n" for qid in key))
    assert main(["audit", "--quiz", str(tmp_path / "quiz"), "--answers", str(answers)]) == 0


def test_a_sheet_shows_one_row_per_image_and_kind(tmp_path):
    """Rows of one image share its objects: one question's words would answer another's."""
    items = [Item("productivity", foil, 4, i % 20, f"a red cup {i} {foil}", (f"a blue cup {i} {foil}",))
             for i in range(60) for foil in ("atom", "swap")]
    summary = write_quiz(items, tmp_path, rows=15, seed=0)
    assert summary["per_foil"] == {"productivity/atom": 10, "productivity/swap": 10}  # 20 images, shared fairly
    questions = json.loads((tmp_path / "questions.json").read_text()).values()
    assert len({q["image_id"] for q in questions}) == len(questions) == 20


def test_unanswered_questions_are_left_out_and_counted(tmp_path):
    write_quiz(planted_items(), tmp_path, rows=25, seed=0)
    key = json.loads((tmp_path / "key.json").read_text())
    answers = tmp_path / "answers.tsv"
    answers.write_text("".join(f"{qid}\t{n}\n" for qid, n in list(key.items())[:10]))
    cells = quiz_report(tmp_path, answers).reader_cells
    pooled = [c for c in cells if c.level == "all"][0]
    assert (pooled.rows, pooled.notes["unanswered"], pooled.recall["reader"]) == (10, 15, 1.0)


@pytest.mark.parametrize("line, message", [
    ("Q999\t1", r"line 1: no question 'Q999'"),
    ("Q001\t7", r"line 1: Q001 has candidates 1 to 6, got '7'"),
    ("Q001", r"line 1: expected ID<TAB>NUMBER"),
    ("Q001\t1\nQ001\t2", r"line 2: question Q001 answered twice"),
])
def test_bad_answers_name_the_file_and_line(tmp_path, capsys, line, message):
    write_quiz(planted_items(), tmp_path / "quiz", rows=25, seed=0)
    answers = tmp_path / "answers.tsv"
    answers.write_text(line + "\n")
    assert main(["audit", "--quiz", str(tmp_path / "quiz"), "--answers", str(answers)]) == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1 and "answers.tsv" in error[0] and re.search(message, error[0])


def test_a_positive_is_on_one_question_only(tmp_path):
    items = []
    for i in range(len(NAMES)):
        positive = f"a {COLOURS[i % 12]} {NAMES[i]}"
        for foil, negative in (("atom", f"a {COLOURS[(i + 1) % 12]} {NAMES[i]}"),
                               ("comp", f"a {NAMES[i]} {COLOURS[i % 12]}")):
            items.append(Item("systematicity", foil, None, i, positive, (negative,), split="seen_compounds"))
    out = tmp_path
    write_quiz(items, out, rows=25, seed=0)
    questions = json.loads((out / "questions.json").read_text())
    positives = [(q["image_id"], q["candidates"][0]) for q in questions.values()]
    assert len(positives) == len(set(positives)) and {q["foil"] for q in questions.values()} == {"atom", "comp"}


def test_orders_move_the_positive():
    item = Item("productivity", "atom", 4, 1, "p", ("a", "b", "c", "d", "e"))
    for seed in range(20):
        first, second = shuffled_orders(item, seed, "judge-order")
        assert sorted(first) == sorted(second) == list(range(6)) and first.index(0) != second.index(0)


# ---------------------------------------------------------------- the judge

@pytest.mark.parametrize("reply, choice", [
    ("Answer: 3", 3), ("The others are impossible.\nAnswer: **2**", 2), ("4", 4), ("(5).", 5),
    ("<think>1 or 2? Answer: 1</think> Answer: 2", 2), ("Candidate 6 is the true caption.", 6),
    ("Answer: 7", None), ("1 or 2", None), ("", None), ("I cannot tell.", None),
])
def test_parse_choice(reply, choice):
    assert parse_choice(reply, 6) == choice


_NUMBERED = re.compile(r"^(\d+)\. (.*)$", re.M)


def shortest_answer(query: str) -> str:
    """A reader that picks the shortest candidate: the cue a real model cannot be made to use on demand."""
    candidates = _NUMBERED.findall(query)
    number, _ = min(candidates, key=lambda pair: (len(pair[1]), pair[0]))
    return f"The shortest is least edited.\nAnswer: {number}"


def shortest_positive_rows(rng, count=40):
    rows = []
    for _ in range(count):
        a, b = rng.sample(NAMES, 2)
        colour = rng.choice(COLOURS)
        rows.append((f"a {a} near a {b}", [f"a {colour} {a} near a {b} and a {w}" for w in rng.sample(NAMES, 5)]))
    return rows


def test_a_judge_that_picks_the_shortest_fails_a_shortest_positive_set(tmp_path, capsys):
    write_set(tmp_path / "bench", "atom", shortest_positive_rows(random.Random(0)))
    cache = tmp_path / "judge.sqlite"
    with FaultServer(responder=shortest_answer) as server:
        argv = ["audit", str(tmp_path / "bench"), "--baselines", "centroid", "--judge",
                f"{server.base_url},fault-model", "--judge-rows", "30", "--judge-cache", str(cache),
                "--json", str(tmp_path / "report.json")]
        assert main(argv) == 1
        assert server.requests == 60  # every row asked twice
        out = capsys.readouterr().out
        assert "Judge fault-model" in out and "FAIL (judge)" in out
        report = json.loads((tmp_path / "report.json").read_text())
        cell, = report["judge"]["cells"]
        assert cell["recall"]["judge"] == 1.0 and cell["notes"]["asks"] == 60 and cell["notes"]["agree"] == 1.0
        assert main(argv) == 1 and server.requests == 60  # the cache answers a rerun


def test_position_bias_and_unparseable_answers_are_exposed(tmp_path):
    write_set(tmp_path, "atom", shortest_positive_rows(random.Random(1)))
    with FaultServer(responder=lambda query: "Answer: 1") as server:
        config = AuditConfig(baselines=("centroid",), judge=f"{server.base_url},m", judge_rows=40)
        cell = audit_paths([tmp_path], config).judge_cells[0]
    # the positive sits at another number in the second order: answering 1 scores about chance
    assert cell.notes["top_number"] == 1.0 and cell.notes["agree"] < 0.5 and cell.verdict == "pass"
    assert cell.recall["judge"] <= 0.5
    with FaultServer(responder=lambda query: "I cannot tell without the photo.") as server:
        config = AuditConfig(baselines=("centroid",), judge=f"{server.base_url},m", judge_rows=40)
        cell = audit_paths([tmp_path], config).judge_cells[0]
    assert cell.notes["unparsed"] == cell.notes["asks"] == 80 and cell.recall["judge"] == 0.0


def test_the_judge_budget_leaves_unsent_asks_out(tmp_path):
    write_set(tmp_path, "atom", shortest_positive_rows(random.Random(4), 30))
    with FaultServer(responder=shortest_answer) as server:
        config = AuditConfig(baselines=("centroid",), judge=f"{server.base_url},m", judge_rows=30,
                             judge_max_requests=10)
        cell = audit_paths([tmp_path], config).judge_cells[0]
        assert server.requests == 10
    assert cell.notes["asks"] == 10 and cell.notes["unanswered"] == 50
    assert 5 <= cell.rows <= 10 and cell.recall["judge"] == 1.0


def test_an_unreachable_judge_is_exit_3(tmp_path, capsys):
    write_set(tmp_path, "atom", shortest_positive_rows(random.Random(2), 5))
    assert main(["audit", str(tmp_path), "--judge", "http://127.0.0.1:9/v1,m"]) == 3
    assert "unreachable" in capsys.readouterr().err


def test_a_failing_judge_endpoint_trips_the_breaker(tmp_path, capsys):
    write_set(tmp_path, "atom", shortest_positive_rows(random.Random(2), 30))
    config = tmp_path / "judge.yaml"
    config.write_text("max_retries: 0\nmax_consecutive_failures: 3\n")
    with FaultServer() as server:
        server.plan["Candidates"] = ["500"] * 100
        code = main(["audit", str(tmp_path), "--baselines", "centroid", "--judge", f"{server.base_url},m",
                     "--judge-config", str(config)])
    assert code == 3 and "3 requests in a row failed" in capsys.readouterr().err


@pytest.mark.slow
def test_the_judge_through_a_real_llama_cpp_server(llama_server, tmp_path):  # noqa: F811
    """The plumbing against llama.cpp's chat endpoint with Gemma 3 270M: every
    row asked in two orders, every answer parsed or counted, a rerun served by the cache."""
    import sqlite3

    write_set(tmp_path / "bench", "swap", shortest_positive_rows(random.Random(3), 4))
    cache = tmp_path / "judge.sqlite"
    argv = ["audit", str(tmp_path / "bench"), "--baselines", "centroid", "--judge", f"{llama_server},{MODEL_NAME}",
            "--judge-rows", "4", "--judge-max-tokens", "12", "--judge-cache", str(cache),
            "--json", str(tmp_path / "report.json")]
    assert main(argv) in (0, 1)
    judge = json.loads((tmp_path / "report.json").read_text())["judge"]
    cell, = judge["cells"]
    assert judge["model"] == MODEL_NAME and cell["rows"] == 4
    assert cell["notes"]["asks"] == 8 and cell["notes"]["unanswered"] == 0
    assert 0 <= cell["notes"]["unparsed"] <= 8 and cell["recall"]["judge"] is not None
    with sqlite3.connect(cache) as db:
        stored = db.execute("SELECT COUNT(*) FROM responses").fetchone()[0]
    assert stored == 8
    assert main(argv) in (0, 1)
    assert json.loads((tmp_path / "report.json").read_text())["judge"] == judge
