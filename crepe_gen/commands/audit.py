"""``crepe-gen audit PATH...``: text-only blind-bias audit of CREPE-format CSVs.

Exit status: 0 when every judged cell passes, 1 when a text-only baseline
beats chance by more than the margin or a negative equals its positive (or,
with ``--fluency-verdict``, a set misses the fluency target), 2 on bad input.
With ``--lm``, a pretrained language model attacks too
(:mod:`crepe_gen.evaluation.lm_attacker`); with ``--judge``, a reasoning
reader through a chat endpoint (:mod:`crepe_gen.evaluation.judge`). The
report ends with the fluency table (rules of :mod:`crepe_gen.language.fluency`).

``--quiz DIR`` writes a blind-review sheet instead of auditing
(:mod:`crepe_gen.evaluation.quiz`); ``--quiz DIR --answers FILE`` (no PATH)
scores a reader's answers, with the same exit statuses.
"""

from __future__ import annotations

from pathlib import Path

from ..bench.reader import ANY_CSV, load_items
from ..core.errors import ConfigError, InputError, Problems
from ..core.io import write_json_atomic
from ..evaluation.audit import BASELINES, AuditConfig, audit_paths, quiz_report
from ..evaluation.judge import judge_config
from ..evaluation.quiz import write_quiz
from ..llm.client import check_endpoint
from .checks import at_least, seed, input_path, language_model, output_dir, output_file

__all__ = ["NAME", "HELP", "add_arguments", "run"]

NAME = "audit"
HELP = ("Recall@1 of text-only baselines (negation word, length, casing, centroid, unknown "
        "words, n-gram classifier) on CREPE-format CSVs, and a fluency table; fails when a baseline beats chance")


def add_arguments(parser) -> None:
    defaults = AuditConfig()
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="CREPE CSV files, or folders searched recursively (none with --answers)")
    parser.add_argument("--json", metavar="FILE", help="write the full report as JSON")
    parser.add_argument("--partial", action="store_true",
                        help="a folder in the released layout may lack some of its 27 productivity or 6 "
                             "systematicity files (listed, not failed)")
    parser.add_argument("--margin", type=float, default=defaults.margin,
                        help="largest allowed Recall@1 above chance (default %(default)s)")
    parser.add_argument("--min-rows", type=at_least(1), default=defaults.min_rows,
                        help="cells with fewer rows are not judged (default %(default)s)")
    parser.add_argument("--alpha", type=float, default=defaults.alpha,
                        help="false-alarm level of the small-cell noise guard (default %(default)s)")
    parser.add_argument("--strict-margin", action="store_true",
                        help="judge every cell on the margin alone, without the noise guard")
    parser.add_argument("--folds", type=at_least(2), default=defaults.folds,
                        help="grouped cross-validation folds of the classifier (default %(default)s)")
    parser.add_argument("--no-classifier", action="store_true",
                        help="skip the n-gram classifier baseline")
    parser.add_argument("--baselines", nargs="+", choices=list(BASELINES), metavar="NAME",
                        help="run only these baselines (default: all of " + ", ".join(BASELINES) + ")")
    parser.add_argument("--seed", type=seed, default=defaults.seed, help="seed of the fold assignment")
    parser.add_argument("--fluency-max-positive", type=float, default=defaults.fluency_max_positive,
                        help="fluency target: largest share of positives flagged (default %(default)s)")
    parser.add_argument("--fluency-max-gap", type=float, default=defaults.fluency_max_gap,
                        help="fluency target: how much more often negatives may be flagged than "
                             "positives (default %(default)s)")
    parser.add_argument("--fluency-verdict", action="store_true",
                        help="fail the audit when a set or foil type misses the fluency target")
    parser.add_argument("--lm", metavar="SPEC",
                        help="also attack with a pretrained language model: gemma3-270m (the packaged "
                             "Gemma 3 270M), a GGUF file, or URL,MODEL of an OpenAI-compatible "
                             "completions endpoint that returns prompt log-probabilities")
    parser.add_argument("--lm-cache", metavar="FILE",
                        help="SQLite file where language-model scores persist across runs")
    parser.add_argument("--image-groups", metavar="FILE",
                        help="JSON {image_id: source scene} (image_sources.json of a synthetic VG folder): "
                             "the learned baselines group their folds by source scene")
    parser.add_argument("--lm-rows", type=at_least(1), default=defaults.lm_rows,
                        help="rows per cell the language model scores, a seeded sample (default %(default)s)")
    judge = parser.add_argument_group("reasoning judge (an OpenAI-compatible chat endpoint)")
    judge.add_argument("--judge", metavar="URL,MODEL",
                       help="also attack with a reasoning reader: the chat endpoint's model reads each sampled "
                            "row's shuffled candidates, twice in two orders, and names the true caption")
    judge.add_argument("--judge-config", metavar="YAML",
                       help="the judge's LLM options (base_url, model, endpoint, timeout, max_requests, ...); "
                            "flags win")
    judge.add_argument("--judge-rows", type=at_least(1), default=defaults.judge_rows,
                       help="rows per cell the judge reads, a seeded sample (default %(default)s)")
    judge.add_argument("--judge-cache", metavar="FILE",
                       help="SQLite file where the judge's answers persist (a rerun asks nothing twice)")
    judge.add_argument("--judge-max-requests", type=at_least(1), metavar="N", help="budget: most requests to send")
    judge.add_argument("--judge-max-tokens", type=at_least(1), metavar="N",
                       help="most tokens per answer (default 1024, room to reason)")
    quiz = parser.add_argument_group("blind-review sheet")
    quiz.add_argument("--quiz", metavar="DIR",
                      help="with PATH: write DIR/sheet.md (numbered, shuffled candidates), DIR/key.json and "
                           "DIR/questions.json instead of auditing; with --answers: score the answers")
    quiz.add_argument("--quiz-rows", type=at_least(1), default=25,
                      help="questions per foil type on the sheet, drawn across its levels (default %(default)s)")
    quiz.add_argument("--answers", metavar="FILE",
                      help="a reader's answers to DIR/sheet.md, one ID<TAB>NUMBER line per question")


def run(args) -> int:
    try:
        config = AuditConfig(margin=args.margin, min_rows=args.min_rows, alpha=args.alpha,
                             strict_margin=args.strict_margin, folds=args.folds,
                             classifier=not args.no_classifier, seed=args.seed,
                             lenient=args.lenient, progress=not args.quiet,
                             baselines=tuple(args.baselines) if args.baselines else None,
                             fluency_max_positive=args.fluency_max_positive,
                             fluency_max_gap=args.fluency_max_gap, fluency_verdict=args.fluency_verdict,
                             lm=args.lm, lm_rows=args.lm_rows, lm_cache=args.lm_cache,
                             image_groups=args.image_groups, judge=args.judge, judge_config=args.judge_config,
                             judge_rows=args.judge_rows, judge_cache=args.judge_cache,
                             judge_max_requests=args.judge_max_requests, judge_max_tokens=args.judge_max_tokens,
                             partial=args.partial)
    except ValueError as error:
        raise ConfigError(str(error)) from None
    for flag, path in (("--json", args.json), ("--lm-cache", args.lm_cache), ("--judge-cache", args.judge_cache)):
        if path:
            output_file(path, flag)
    if args.answers:
        if not args.quiz or args.paths:
            raise ConfigError("--answers scores a sheet: give --quiz DIR and no PATH")
        input_path(args.answers, "--answers", kind="file")
        return _report(quiz_report(args.quiz, args.answers, config), args)
    if not args.paths:
        raise ConfigError("give at least one PATH to audit (or --quiz DIR --answers FILE to score a sheet)")
    for path in args.paths:
        input_path(path, None)
    if args.image_groups:
        input_path(args.image_groups, "--image-groups", kind="file")
    language_model(args.lm, "--lm")
    if args.judge or args.judge_config:
        check_endpoint(judge_config(args.judge, args.judge_config))
    if args.quiz:
        output_dir(args.quiz, "--quiz")
        return _write_quiz(args, config)
    return _report(audit_paths(args.paths, config), args)


def _write_quiz(args, config) -> int:
    problems = Problems(lenient=config.lenient)
    items, _ = load_items(args.paths, ANY_CSV, problems)
    if not items:
        raise InputError(", ".join(args.paths), "no CREPE CSV rows with negatives found")
    summary = write_quiz(items, args.quiz, rows=args.quiz_rows, seed=config.seed)
    per_foil = ", ".join(f"{name} {count}" for name, count in summary["per_foil"].items())
    print(f"{args.quiz}/sheet.md: {summary['questions']} questions ({per_foil}); the key is in "
          f"{args.quiz}/key.json. Give the reader the sheet alone, then score its answers with "
          f"crepe-gen audit --quiz {args.quiz} --answers FILE")
    if problems.counts:
        print(problems.summary())
    return 0


def _report(report, args) -> int:
    print(report.format_table())
    if report.problems.counts:
        print(report.problems.summary())
    if args.json:
        start = Path(args.json).resolve().parent
        # a report inside an audited folder records paths relative to itself
        root = next((Path(p).resolve() for p in args.paths
                     if Path(p).is_dir() and Path(p).resolve() in (start, *start.parents)), None)
        write_json_atomic(args.json, report.to_dict(start, root) if root else report.to_dict())
    return 0 if report.passed else 1
