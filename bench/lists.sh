#!/bin/sh
# bench/lists.sh: the floor of a no-op check, the five Engine API list calls
# (one curl each) against $DOCKER_HOST (unix://...), as bench/run.sh runs it.
S=${DOCKER_HOST#unix://}
for k in 'services?status=true' networks configs secrets nodes; do
	curl -s --unix-socket "$S" "http://x/v1.41/$k" >/dev/null || exit 1
done
