#!/usr/bin/env python3
"""gen.py DIR STACKS SERVICES: write a desired-state repository of
STACKS x SERVICES services into DIR (a git repository is made by the caller).

Every service has replicas: 0, so a swarm can hold a thousand of them without
a thousand containers, and enough fields (labels, environment, resources,
update_config, a healthcheck, a network) to make conversion and diff do real
work. Stack i has services svc0..svc{M-1}."""
import os
import sys


def service(i, j):
    return f"""  svc{j}:
    image: busybox:latest
    command: ["sleep", "3600"]
    environment:
      STACK: "s{i:03d}"
      INDEX: "{j}"
      LOG_LEVEL: info
    labels:
      team: bench
    networks: [backend]
    healthcheck:
      test: ["CMD", "true"]
      interval: 30s
      timeout: 5s
      retries: 3
    deploy:
      replicas: 0
      labels:
        tier: bench
      resources:
        limits: {{cpus: "0.25", memory: 64M}}
      update_config: {{parallelism: 1, delay: 5s, order: start-first}}
      restart_policy: {{condition: on-failure, max_attempts: 3}}
"""


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: gen.py DIR STACKS SERVICES")
    root, stacks, per = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    for i in range(stacks):
        d = os.path.join(root, "stacks", f"s{i:03d}")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "compose.yml"), "w") as f:
            f.write('version: "3.8"\nservices:\n')
            for j in range(per):
                f.write(service(i, j))
            f.write("networks:\n  backend:\n    driver: overlay\n")


if __name__ == "__main__":
    main()
