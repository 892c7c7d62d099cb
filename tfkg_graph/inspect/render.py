"""Text forms of the commands' JSON-able results (what ``tfkg-inspect`` prints without ``--json``)."""
from __future__ import annotations

import json
from typing import Any, Sequence

from .views import shape_text


def _fmt_attr(value: Any) -> str:
    return json.dumps(value) if not isinstance(value, str) else value


def table(rows: list[Sequence[Any]], indent: str = "  ") -> list[str]:
    if not rows:
        return []
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    return [indent + "  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]


def format_summary(s: dict[str, Any]) -> str:
    lines = [f"{s['path']}  ({s['kind']})"]
    if "nodes" in s:
        made_by = f", written by TensorFlow {s['tensorflow_version']}" if s.get("tensorflow_version") else ""
        tags = f", tags {','.join(s['tags'])}" if s.get("tags") else ""
        lines.append(f"producer {s['producer']} (min consumer {s['min_consumer']}){made_by}{tags}")
        fn_nodes = sum(f["nodes"] for f in s["functions"])
        lines.append(f"{s['nodes']} nodes; {len(s['functions'])} functions with {fn_nodes} nodes")
        lines.append("parts: " + ", ".join(f"{p} {c}" for p, c in s["parts"].items()))
        lines += ["", "op types:"] + table(list(s["op_types"].items()))
        lines += ["", "inputs:"] + (table([(i["name"], i["op"], i["dtype"], shape_text(i["shape"]))
                                            for i in s["inputs"]]) or ["  none"])
        lines += ["", "likely outputs:"] + (table([(o["name"], o["op"], o["part"]) for o in s["outputs"]])
                                            or ["  none"])
        lines += ["", f"variables: {len(s['variables'])}, {s['parameters']:,} parameters"]
        lines += table([(v["name"], v["dtype"], shape_text(v["shape"]), v["part"],
                          "" if v["trainable"] is None else ("trainable" if v["trainable"] else "non-trainable"),
                          f"checkpoint {v['checkpoint']['dtype']} {shape_text(v['checkpoint']['shape'])}"
                          if "checkpoint" in v else "") for v in s["variables"]])
        lines += ["", "signatures:" if s["signatures"] else "signatures: none"]
        for key, sig in s["signatures"].items():
            lines.append(f"  {key}  [{sig['method_name']}]")
            for io in ("inputs", "outputs"):
                lines += table([(io[:-1] if io == "inputs" else "output", k, t["name"], t["dtype"],
                                  shape_text(t["shape"])) for k, t in sig[io].items()], "    ")
        if s["functions"]:
            lines += ["", "op types in functions:"] + table(list(s["function_op_types"].items()))
            lines += ["", "functions:"] + table([(f["name"], f"{f['nodes']} nodes",
                                                   f"({', '.join(f['inputs'])}) -> ({', '.join(f['outputs'])})")
                                                  for f in s["functions"]])
        if s.get("loops"):
            lines += ["", "loops and conditionals (their bodies from the function library):"]
            lines += format_loops(s["loops"])
        unknown = s["unknown_ops"]
        lines += ["", "ops unknown to the installed TensorFlow: " +
                  ("not checked" if unknown is None else ", ".join(unknown) or "none"),
                  "ops outside the safe-loading allowlist: " + (", ".join(s["unsafe_ops"]) or "none")]
        lines.append(f"safe loading check: {s['safe_loading']}")
        if s.get("layers") is not None:
            lines += ["", "layers:"] + table([("Layer (type)", "Output Shape", "Param #")] + [
                (f"{r['name']} ({r['type']})", shape_text(r["output_shape"]) if r["output_shape"] is not None
                 or r["output"] is None else "?", f"{r['params']:,}") for r in s["layers"]])
            total = sum(r["params"] for r in s["layers"])
            trainable = [r["trainable_params"] for r in s["layers"]]
            lines.append(f"  Total params: {total:,}" + ("" if None in trainable else
                         f"  Trainable: {sum(trainable):,}  Non-trainable: {total - sum(trainable):,}"))
    if "checkpoint" in s:
        c = s["checkpoint"]
        lines += ["", f"checkpoint {c['index']}: {len(c['tensors'])} tensors, {c['num_shards']} shard(s), "
                      f"{sum(t['size'] for t in c['tensors']):,} values"]
        lines += table([(t["name"], t["dtype"], shape_text(t["shape"])) for t in c["tensors"]])
    if s["notes"]:
        lines += ["", "notes:"] + [f"  {n}" for n in s["notes"]]
    return "\n".join(lines)


def format_node(n: dict[str, Any]) -> str:
    where = f"  (in function {n['function']})" if n["function"] else f"  ({n['part']})"
    lines = [f"{n['name']}: {n['op']}{where}", f"  device: {n['device'] or '(unassigned)'}", "  inputs:"]
    lines += [f"    {'^' if i['control'] else ''}{i['name']}" + (f":{i['index']}" if i["index"] > 0 else "")
              for i in n["inputs"]] or ["    none"]
    lines += ["  consumers:"] + ([f"    {c}" for c in n.get("consumers", [])] or ["    none"])
    lines += ["  attrs:"] + ([f"    {k} = {_fmt_attr(v)}" for k, v in n["attrs"].items()] or ["    none"])
    if n.get("bodies"):
        lines += ["  bodies:"] + format_bodies(n["bodies"], "    ")
    return "\n".join(lines)


def format_subgraph(s: dict[str, Any]) -> str:
    lines = [f"{', '.join(s['fetches'])} depends on {s['nodes']} nodes",
             "feeds: " + (", ".join(s["feeds"]) or "none"), "variables: " + (", ".join(s["variables"]) or "none")]
    for part, names in s["parts"].items():
        lines += [f"{part} ({len(names)}):"] + [f"  {n}" for n in names]
    return "\n".join(lines)


def format_diff(d: dict[str, Any]) -> str:
    if d["same"]:
        return f"no differences between {d['a']} and {d['b']}"
    lines = [f"--- {d['a']}", f"+++ {d['b']}"]
    for what in ("nodes", "functions"):
        part = d[what]
        lines += [f"+ {what[:-1]} {n}" for n in part["added"]] + [f"- {what[:-1]} {n}" for n in part["removed"]]
        for name, change in part["changed"].items():
            lines.append(f"~ {what[:-1]} {name}")
            if what == "functions":
                lines += [f"    + node {n}" for n in change["added"]] + [f"    - node {n}" for n in change["removed"]]
                lines += [f"    ~ node {n}" for n in change["changed"]]
                continue
            for fld in ("op", "device", "inputs"):
                if fld in change:
                    lines.append(f"    {fld}: {change[fld][0]} -> {change[fld][1]}")
            for kind, attrs in change.get("attrs", {}).items():
                for k, v in attrs.items():
                    shown = f"{_fmt_attr(v[0])} -> {_fmt_attr(v[1])}" if kind == "changed" else _fmt_attr(v)
                    lines.append(f"    attr {k} {kind}: {shown}")
    if d["producer"][0] != d["producer"][1]:
        lines.append(f"(producer {d['producer'][0]} -> {d['producer'][1]}, not counted as a difference)")
    return "\n".join(lines)


def format_bodies(functions: list[dict[str, Any]], indent: str) -> list[str]:
    """Each function as ``attr: name (N nodes, in -> out)`` with its nodes (and nested bodies) below."""
    lines = []
    for fn in functions:
        lines.append(f"{indent}{fn['attr']}: {fn['function']}  ({len(fn['nodes'])} nodes, "
                     f"{fn['inputs']} inputs -> {fn['outputs']} outputs)")
        for node in fn["nodes"]:
            lines.append(f"{indent}  {node['name']}  {node['op']}")
            lines += format_bodies(node.get("functions", []), indent + "    ")
    return lines


def format_loops(loops: list[dict[str, Any]]) -> list[str]:
    lines = []
    for loop in loops:
        lines.append(f"  {loop['name']}  {loop['op']}  ({loop['part']})")
        lines += format_bodies(loop["functions"], "    ")
    return lines
