#!/usr/bin/env python3
"""Benchmark inputs: events built from the real samples, and rule sets with
the same conditions written as bpfalert rules and as a jq program.

  gen.py events N OUT         N events from tests/data (pids/args varied)
  gen.py rules N OUT.rules OUT.jq    N rules covering every operator
"""
import json
import random
import sys
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data"

# (flattened field, jq path producing its values, kind)
FIELDS = [
    ("process_exec_process_binary", ".process_exec.process.binary", "s"),
    ("process_exec_process_arguments", ".process_exec.process.arguments", "s"),
    ("process_exec_process_cwd", ".process_exec.process.cwd", "s"),
    ("process_exec_process_uid", ".process_exec.process.uid", "n"),
    ("process_exec_process_pid", ".process_exec.process.pid", "n"),
    ("process_exec_process_pod_namespace", ".process_exec.process.pod.namespace", "s"),
    ("process_exec_process_pod_name", ".process_exec.process.pod.name", "s"),
    ("process_exec_parent_binary", ".process_exec.parent.binary", "s"),
    ("process_exit_process_binary", ".process_exit.process.binary", "s"),
    ("process_exit_signal", ".process_exit.signal", "s"),
    ("process_kprobe_function_name", ".process_kprobe.function_name", "s"),
    ("process_kprobe_args_file_arg_path", ".process_kprobe.args[]?.file_arg.path", "s"),
    ("process_kprobe_args_1_int_arg", ".process_kprobe.args[1]?.int_arg", "n"),
    ("process_kprobe_process_binary", ".process_kprobe.process.binary", "s"),
    ("node_name", ".node_name", "s"),
]

WORDS = ["/etc/passwd", "/etc/shadow", "netserver", "cat", "nginx", "bash",
         "/usr/bin", "kube-system", "default", "insmod", "sh", "curl",
         "security_file_permission", "tcp_connect", "/tmp", "xwing", "python"]


def jq_str(s):
    return json.dumps(s)


def rule_string(v):
    return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'


def make_condition(i, rnd):
    """One (bpfalert expression, jq expression) pair; operator by index."""
    name, path, kind = FIELDS[i % len(FIELDS)]
    w = WORDS[(i * 7) % len(WORDS)]
    n = [0, 1000, 4, 100000][i % 4]
    vals = f"[{path}] | map(select(. != null))"
    anyv = lambda cond: f"(({vals}) | any(.[]; {cond}))"
    nonev = lambda cond: f"(({vals}) as $v | ($v | length) > 0 and ($v | all(.[]; ({cond}) | not)))"
    ops = [
        (f'{name} = {rule_string(w)}', anyv(f'tostring == {jq_str(w)}')),
        (f'{name} != {rule_string(w)}', nonev(f'tostring == {jq_str(w)}')),
        (f'{name} =% {rule_string(w)}', anyv(f'tostring | contains({jq_str(w)})')),
        (f'{name} !% {rule_string(w)}', nonev(f'tostring | contains({jq_str(w)})')),
        (f'{name} icontains {rule_string(w.upper())}', anyv(f'tostring | ascii_downcase | contains({jq_str(w.lower())})')),
        (f'{name} startswith {rule_string(w)}', anyv(f'tostring | startswith({jq_str(w)})')),
        (f'{name} endswith {rule_string(w)}', anyv(f'tostring | endswith({jq_str(w)})')),
        (f'{name} ~ "^/usr/(s)?bin/[a-z]+$"', anyv('tostring | test("^/usr/(s)?bin/[a-z]+$")')),
        (f'{name} !~ "sh$"', nonev('tostring | test("sh$")')),
        (f'{name} glob "/usr/*/{w.strip("/").split("/")[-1]}*"', anyv(f'tostring | test("^/usr/[^/]*/{w.strip("/").split("/")[-1]}[^/]*$")')),
        (f'{name} in ({rule_string(w)}, "/bin/sh", "default", "node1")', anyv(f'tostring | IN({jq_str(w)}, "/bin/sh", "default", "node1")')),
        (f'{name} not in ({rule_string(w)}, "kube-system")', nonev(f'tostring | IN({jq_str(w)}, "kube-system")')),
        (f'{name} exists', f'(({vals}) | length > 0)'),
        (f'{name} > {n}', anyv(f'(tonumber? // null) as $n | $n != null and $n > {n}')),
        (f'{name} <= {n}', anyv(f'(tonumber? // null) as $n | $n != null and $n <= {n}')),
        (f'({name} =% {rule_string(w)} or node_name = "node1") and not ({name} = "x")',
         "(" + anyv(f"tostring | contains({jq_str(w)})") + ' or ((.node_name // null) == "node1")) and ('
         + anyv('tostring == "x"') + " | not)"),
    ]
    return ops[i % len(ops)]


def gen_rules(n, out_rules, out_jq):
    rnd = random.Random(1)
    rules, jq = [], []
    for i in range(n):
        expr, jqexpr = make_condition(i, rnd)
        rules.append("  { name = \"bench rule %d\"; message = \"m\"; rule = %s; targets = [ \"t\" ]; }"
                     % (i, rule_string(expr)))
        jq.append(f'(if {jqexpr} then "bench rule {i}" else empty end)')
    Path(out_rules).write_text("alerts = (\n" + ",\n".join(rules) + "\n);\n")
    Path(out_jq).write_text("{line: input_line_number, alerts: [" + ",\n".join(jq) + "]}\n")


def gen_events(n, out):
    lines = []
    for f in ["tetragon/events.jsonl", "tetragon/oreilly.jsonl", "seed/process_exec-speaker.jsonl"]:
        lines += [json.loads(l) for l in (DATA / f).read_text().splitlines() if l.strip()]
    rnd = random.Random(42)
    with open(out, "w") as fh:
        for i in range(n):
            ev = json.loads(json.dumps(lines[i % len(lines)]))
            kind = next(iter(ev))
            proc = ev[kind].get("process") if isinstance(ev[kind], dict) else None
            if isinstance(proc, dict):
                proc["pid"] = rnd.randint(1, 4000000)
                if i % 5 == 0:
                    proc["arguments"] = rnd.choice(WORDS) + " " + rnd.choice(WORDS)
            fh.write(json.dumps(ev, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    if sys.argv[1] == "events":
        gen_events(int(sys.argv[2]), sys.argv[3])
    elif sys.argv[1] == "rules":
        gen_rules(int(sys.argv[2]), sys.argv[3], sys.argv[4])
    else:
        sys.exit(__doc__)
