#!/usr/bin/env bash
# Runs every benchmark (or the ones named) and joins their results into BENCHMARKS.md.
#   bench/run.sh                 # all: upgrade_verify discover poll store pg_pipelines cert trapd audit modbus api
#   bench/run.sh store cert      # only these; the others keep their last results
# Each bench/<name>.sh measures dce-tools against its peer tool in the same run and
# writes bench/results/<name>.md. Needs a release build in build/ (scripts/build.sh).
# bench/results/by-hand.md holds the sections measured by hand (no script makes them);
# it is appended as it is, after the scripts' sections.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
cd "$src"
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(upgrade_verify discover poll store pg_pipelines cert trapd audit modbus api)
for n in "${names[@]}"; do
    [ -f "bench/$n.sh" ] || { echo "bench/run.sh: no bench/$n.sh" >&2; exit 2; }
    echo "== bench/$n.sh" >&2
    bash "bench/$n.sh" >&2 || echo "bench/run.sh: bench/$n.sh failed (its last results are kept)" >&2
done
{
    echo "# Benchmarks"
    echo
    echo "Measured by the scripts in bench/, each against its peer tool in the same run on the"
    echo "same machine. Regenerate with \`bench/run.sh\` (or \`bench/run.sh NAME\`); each section"
    echo "names the exact command that produced it. Tests never assert on timings."
    for f in upgrade_verify discover poll store pg_pipelines cert trapd audit modbus api by-hand; do
        [ -f "bench/results/$f.md" ] || continue
        echo
        cat "bench/results/$f.md"
    done
} > BENCHMARKS.md
echo "bench/run.sh: wrote BENCHMARKS.md" >&2
