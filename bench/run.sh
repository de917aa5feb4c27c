#!/usr/bin/env bash
# Runs the JMH microbenchmarks (built by 'mvn -B -DskipTests package'): bench/run.sh [JMH options], e.g.
#   bench/run.sh                      every benchmark
#   bench/run.sh CryptoBenchmarks -f 1 -wi 2 -i 3
set -euo pipefail
cd "$(dirname "$0")"
[ -d target/classes/META-INF ] || { echo "build first: mvn -B -DskipTests package" >&2; exit 2; }
CP=$(mvn -q -o dependency:build-classpath -Dmdep.outputFile=/dev/stdout 2>/dev/null || mvn -q dependency:build-classpath -Dmdep.outputFile=/dev/stdout)
exec java -cp "target/classes:$CP" org.openjdk.jmh.Main "$@"
