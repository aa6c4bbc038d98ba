#!/usr/bin/env python3
"""compare.py A.json B.json NS_A NS_B ALLOWED: compare two `docker service
inspect` outputs (one service each), the first deployed by docker stack
deploy into namespace NS_A, the second by kedge into NS_B.

Both are normalised the same way: namespace prefixes renamed, network IDs
replaced by names (a map from the environment variable NETMAP, "id=name,..."),
config/secret IDs dropped and kedge's content-hash suffix removed from their
names, kedge's own labels dropped. Prints each remaining difference as
"path: A -> B" unless the path is listed in ALLOWED (one path per line, '#'
comments), and exits 1 when any difference is left."""
import json
import os
import re
import sys


def load(path):
    with open(path) as f:
        data = json.load(f)
    return data[0]["Spec"] if isinstance(data, list) else data["Spec"]


def norm(v, ns, netmap):
    if isinstance(v, dict):
        out = {}
        for k, x in v.items():
            if k in ("ConfigID", "SecretID") or k.startswith("kedge."):
                continue
            out[k.replace(ns + "_", "NS_")] = norm(x, ns, netmap)
        return out
    if isinstance(v, list):
        return [norm(x, ns, netmap) for x in v]
    if isinstance(v, str):
        v = netmap.get(v, v)
        v = re.sub(r"^" + re.escape(ns) + r"_", "NS_", v)
        v = re.sub(r"^NS_(.+)_[0-9a-f]{8}$", r"NS_\1", v)
        return "NS" if v == ns else v
    return v


def walk(a, b, path, out):
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            walk(a.get(k), b.get(k), f"{path}.{k}" if path else k, out)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            walk(x, y, f"{path}[{i}]", out)
    elif a != b:
        out.append((path, a, b))


def main():
    a_file, b_file, ns_a, ns_b, allowed_file = sys.argv[1:6]
    netmap = dict(p.split("=", 1) for p in os.environ.get("NETMAP", "").split(",") if "=" in p)
    allowed = set()
    with open(allowed_file) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                allowed.add(line)
    a = norm(load(a_file), ns_a, netmap)
    b = norm(load(b_file), ns_b, netmap)
    for spec in (a, b):
        tt = spec.get("TaskTemplate", {})
        # Both sort networks by their full name, which includes the
        # namespace: the order differs only because the namespaces do.
        if isinstance(tt.get("Networks"), list):
            tt["Networks"].sort(key=lambda n: json.dumps(n, sort_keys=True))
        # A config or secret with name: keeps kedge's hash suffix too.
        cs = tt.get("ContainerSpec", {})
        for key, field in (("Configs", "ConfigName"), ("Secrets", "SecretName")):
            for ref in cs.get(key) or []:
                if isinstance(ref.get(field), str):
                    ref[field] = re.sub(r"_[0-9a-f]{8}$", "", ref[field])
    diffs = []
    walk(a, b, "", diffs)
    left = 0
    for path, x, y in diffs:
        generic = re.sub(r"\[\d+\]", "[]", path)
        if path in allowed or generic in allowed:
            continue
        left += 1
        print(f"{path}: {json.dumps(x)} -> {json.dumps(y)}")
    sys.exit(1 if left else 0)


if __name__ == "__main__":
    main()
