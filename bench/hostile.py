#!/usr/bin/env python3
"""bench/hostile.py DIR: writes one desired-state folder per worst case that
a commit can hold under kedge's file caps (4 MiB YAML, 200 000 nodes, depth
64, 1 MiB .env, 500 KiB secrets, 1000 KiB configs), for bench/hostile.sh.
Each case is DIR/<name>/ with stacks/<stack>/compose.yml and what it needs."""
import os
import sys

MIB = 1 << 20


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def stack(root, case, name, text, extra=None):
    d = os.path.join(root, case, "stacks", name)
    write(os.path.join(d, "compose.yml"), text)
    for k, v in (extra or {}).items():
        write(os.path.join(d, k), v)


def svc(name, body=""):
    return f"  {name}:\n    image: nginx:1.25\n{body}"


def main(root):
    # uniqueItems over one huge list (O(n^2) before): 60 000 cap_add.
    n = 60000
    stack(root, "unique-60k", "web", "services:\n" + svc(
        "api", "    cap_add:\n" + "".join(f"      - CAP_{i}\n" for i in range(n))))

    # Every port of every protocol published twice (the clash check).
    ports = "".join(f'      - "1-65535:1-65535/{p}"\n' for p in ("tcp", "udp", "sctp"))
    stack(root, "port-ranges", "web", "services:\n" +
          svc("a", "    ports:\n" + ports) + svc("b", "    ports:\n" + ports))

    # Aliases: a 60 KiB string referenced as often as the node budget lets.
    big = "x" * (60 * 1024)
    refs = "".join(f"      L{i}: *big\n" for i in range(3000))
    stack(root, "alias-bomb", "web",
          f"x-big: &big {big}\nservices:\n" + svc("api", "    labels:\n" + refs))

    # Nested aliases (billion laughs).
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        prev = f"*a{i-1}"
        lines.append(f"a{i}: &a{i} [{','.join([prev]*9)}]")
    stack(root, "billion-laughs", "web",
          "x-lol:\n" + "".join("  " + l + "\n" for l in lines) +
          "services:\n" + svc("api"))

    # Depth at the cap and beyond.
    deep = "services:\n" + svc("api", "    labels:\n      x: " + "[" * 200 + "]" * 200 + "\n")
    stack(root, "deep-nesting", "web", deep)

    # As many services as 4 MiB holds.
    body = "services:\n"
    i = 0
    while len(body) < 4 * MIB - 200:
        body += f"  s{i}:\n    image: nginx:1.25\n    deploy: {{replicas: 1}}\n"
        i += 1
    stack(root, "services-4mib", "web", body)

    # Interpolation: a 1 MiB .env value expanded in many places.
    env = "BIG=" + "y" * (MIB - 16) + "\n"
    labels = "".join(f"      L{i}: ${{BIG}}\n" for i in range(2000))
    stack(root, "interp-expansion", "web", "services:\n" + svc("api", "    labels:\n" + labels),
          {".env": env})

    # Nested defaults, as deep as a line allows.
    nest = "${A:-" * 2000 + "x" + "}" * 2000
    stack(root, "interp-nesting", "web", "services:\n" + svc(
        "api", f"    environment:\n      X: \"{nest}\"\n"))

    # Many stacks, each small.
    for s in range(2000):
        stack(root, "stacks-2000", f"s{s}", "services:\n" + svc("api"))

    # A config at the cap, used by many services.
    cfg = "c" * (1000 * 1024)
    services = "".join(svc(f"s{i}", "    configs: [app]\n") for i in range(500))
    stack(root, "configs-at-cap", "web",
          "configs:\n  app:\n    file: ./app.conf\nservices:\n" + services,
          {"app.conf": cfg})

    # Long keys and long scalars in one mapping.
    keys = "".join(f"      {'k' * 1000}{i}: {'v' * 1000}\n" for i in range(2000))
    stack(root, "long-keys", "web", "services:\n" + svc("api", "    labels:\n" + keys))

    # Unclosed flow sequence at the top of a 4 MiB file.
    stack(root, "unclosed-bracket", "web",
          "services:\n  api:\n    image: nginx:1.25\n    command: [sh, -c,\n" +
          "      x,\n" * (4 * MIB // 10))


if __name__ == "__main__":
    main(sys.argv[1])
