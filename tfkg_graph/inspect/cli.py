"""tfkg-inspect: look inside GraphDefs, SavedModels, checkpoints and tfkg_graph model directories.

Commands: ``summary`` (default), ``node``, ``find``, ``subgraph``, ``dot``, ``svg``, ``diff``; ``--json``
on each. Exit codes: 0 fine, 1 ``diff`` found differences, 2 bad input.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any, Sequence

from .._io import atomic_write
from .diff import diff
from .dot import to_dot, to_svg
from .load import load
from .render import format_diff, format_node, format_subgraph, format_summary, table
from .summary import summarize
from .query import find_nodes, node_info, subgraph
from .views import InspectError

PROG = "tfkg-inspect"
COMMANDS = ("summary", "node", "find", "subgraph", "dot", "svg", "diff")


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", help="machine-readable output")
    common.add_argument("--debug", action="store_true", help="show tracebacks")
    common.add_argument("--tag", help="SavedModel MetaGraphDef tags (comma-separated; default serve)")
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0],
                                     epilog="PATH: GraphDef (.pb/.pbtxt), SavedModel or model directory, "
                                            "checkpoint prefix. `summary` is the default command.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("summary", parents=[common], help="what is inside (default)").add_argument("path")
    p = sub.add_parser("node", parents=[common], help="one node: op, attrs, inputs, consumers, device")
    p.add_argument("path")
    p.add_argument("name")
    p.add_argument("--function", help="look in this library function's body")
    p = sub.add_parser("find", parents=[common], help="nodes by op type and/or name regex")
    p.add_argument("path")
    p.add_argument("--op")
    p.add_argument("--name", help="regular expression searched in node names")
    p = sub.add_parser("subgraph", parents=[common], help="what fetches depend on, by part")
    p.add_argument("path")
    p.add_argument("fetches", nargs="+", metavar="FETCH")
    for cmd in ("dot", "svg"):
        p = sub.add_parser(cmd, parents=[common], help=f"render as {cmd.upper()} (scopes collapsed)")
        p.add_argument("path")
        p.add_argument("--expand", action="store_true", help="every node, in name-scope clusters")
        p.add_argument("--fetch", nargs="+", help="only what these nodes depend on")
        p.add_argument("-o", "--output", help="write here instead of stdout")
    p = sub.add_parser("diff", parents=[common], help="exit 1 when the graphs differ")
    p.add_argument("path")
    p.add_argument("other")
    return parser


def _run(args: argparse.Namespace) -> tuple[Any, str, int]:
    """(JSON-able result, text form, exit code) for one command."""
    art = load(args.path, args.tag)
    if args.command == "summary":
        s = summarize(art)
        return s, format_summary(s), 0
    if args.command == "node":
        n = node_info(art, args.name, args.function)
        return n, format_node(n), 0
    if args.command == "find":
        if not (args.op or args.name):
            raise InspectError("find needs --op TYPE and/or --name REGEX")
        found = find_nodes(art, args.op, args.name)
        text = "\n".join(table([(f["name"], f["op"], f"in {f['function']}" if f["function"] else "")
                                 for f in found], "")) or "no matching nodes"
        return found, text, 0
    if args.command == "subgraph":
        s = subgraph(art, args.fetches)
        return s, format_subgraph(s), 0
    if args.command in ("dot", "svg"):
        text = to_dot(art, args.expand, args.fetch)
        if args.command == "svg":
            text = to_svg(text)
        if args.output:
            atomic_write(args.output, text)
            return {"format": args.command, "output": args.output}, f"wrote {args.output}", 0
        return {"format": args.command, "text": text}, text.rstrip("\n"), 0
    d = diff(art, load(args.other, args.tag))
    return d, format_diff(d), 0 if d["same"] else 1


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] not in COMMANDS and argv[0] not in ("-h", "--help"):
        argv.insert(0, "summary")
    args = build_parser().parse_args(argv)
    try:
        result, text, code = _run(args)
    except Exception as e:  # one line, no traceback: the input is at fault, not the user
        if args.debug:
            raise
        kind = "" if isinstance(e, InspectError) else f"{type(e).__name__}: "
        print(f"{PROG}: error: {kind}{e}", file=sys.stderr)
        return 2
    try:
        print(json.dumps(result, indent=1) if args.json else text)
        sys.stdout.flush()
    except BrokenPipeError:  # e.g. `tfkg-inspect dot model | head`: the reader has all it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return code
