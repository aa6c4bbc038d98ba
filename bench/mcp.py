#!/usr/bin/env python3
"""bench/mcp.py: kedge mcp's write path, timed per call.

Starts `kedge mcp` on stdio against a bare repository of STACKS stacks
(generated here, one service each), initializes, and makes CALLS
scale_service calls that each change the replica count (so each is a real
commit: edit, commit, validate the whole desired state, plan against the
live swarm, push). Prints one JSON line: p50, p90, p99 and max per call in
milliseconds, the server's peak RSS (VmHWM), and, for comparison, the same
change made by hand the way a user would without kedge: sed on a clone,
git commit, git push (p50/p99 over the same calls, without any validation
or plan).

Usage: bench/mcp.py KEDGE WORKDIR [STACKS] [CALLS]   (DOCKER_HOST from env)
"""
import json
import os
import subprocess
import sys
import time


def sh(*args, cwd=None):
    subprocess.run(args, cwd=cwd, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


def make_repo(work, stacks):
    src = os.path.join(work, "src")
    bare = os.path.join(work, "remote.git")
    os.makedirs(src)
    sh("git", "init", "-q", "-b", "main", src)
    for i in range(stacks):
        d = os.path.join(src, "stacks", f"s{i:03d}")
        os.makedirs(d)
        with open(os.path.join(d, "compose.yml"), "w") as f:
            f.write(f"""# stack {i}
services:
  app:
    image: nginx:1.25
    environment:
      STACK: "{i}"
    deploy:
      replicas: 0 # none run in the benchmark
      labels:
        com.example.stack: s{i:03d}
""")
    sh("git", "-c", "user.name=b", "-c", "user.email=b@b", "-C", src, "add", "-A")
    sh("git", "-c", "user.name=b", "-c", "user.email=b@b", "-C", src,
       "commit", "-q", "-m", "bench")
    sh("git", "clone", "-q", "--bare", src, bare)
    return bare


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))]


def rss_hwm(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def bench_kedge(kedge, work, bare, calls):
    state = os.path.join(work, "state")
    p = subprocess.Popen(
        [kedge, "mcp", "--repo", bare, "--ref", "main", "--commit-to",
         "tracked", "--state-dir", state],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=open(os.path.join(work, "mcp.err"), "w"), text=True)

    def rpc(i, method, params):
        p.stdin.write(json.dumps({"jsonrpc": "2.0", "id": i, "method": method,
                                  "params": params}) + "\n")
        p.stdin.flush()
        return json.loads(p.stdout.readline())

    rpc(0, "initialize", {"protocolVersion": "2025-11-25", "capabilities": {},
                          "clientInfo": {"name": "bench", "version": "1"}})
    times = []
    for i in range(1, calls + 1):
        t = time.monotonic()
        r = rpc(i, "tools/call", {"name": "scale_service", "arguments": {
            "stack": f"s{i % 100:03d}", "service": "app",
            "replicas": (i // 100) + 1, "reason": f"bench {i}"}})
        times.append((time.monotonic() - t) * 1000)
        res = r["result"]
        if res.get("isError") or not res["structuredContent"]["commit"]:
            sys.exit("call %d failed: %s" % (i, res["content"][0]["text"]))
    rss = rss_hwm(p.pid)
    p.stdin.close()
    p.wait(timeout=30)
    return times, rss


def bench_manual(work, bare, calls):
    clone = os.path.join(work, "clone")
    sh("git", "clone", "-q", bare, clone)
    times = []
    for i in range(1, calls + 1):
        f = os.path.join(clone, "stacks", f"s{i % 100:03d}", "compose.yml")
        t = time.monotonic()
        sh("sed", "-i", f"s/replicas: [0-9]*/replicas: {(i // 100) + 10}/", f)
        sh("git", "-c", "user.name=b", "-c", "user.email=b@b", "-C", clone,
           "commit", "-q", "-am", f"manual {i}")
        sh("git", "-C", clone, "push", "-q", "origin", "main")
        times.append((time.monotonic() - t) * 1000)
    return times


def main():
    kedge, work = sys.argv[1], sys.argv[2]
    stacks = int(sys.argv[3]) if len(sys.argv) > 3 else 100
    calls = int(sys.argv[4]) if len(sys.argv) > 4 else 200
    bare = make_repo(work, stacks)
    k, rss = bench_kedge(kedge, work, bare, calls)
    m = bench_manual(work, bare, calls)
    print(json.dumps({
        "stacks": stacks, "calls": calls,
        "kedge_ms": {"p50": round(pct(k, 50), 1), "p90": round(pct(k, 90), 1),
                     "p99": round(pct(k, 99), 1), "max": round(max(k), 1)},
        "kedge_rss_mib": round(rss, 1),
        "manual_ms": {"p50": round(pct(m, 50), 1), "p99": round(pct(m, 99), 1)},
    }))


if __name__ == "__main__":
    main()
