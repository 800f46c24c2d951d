#!/bin/sh
# Runs the libFuzzer harnesses one after another (the Makefile's fuzz and
# fuzz-smoke targets):
#
#   tests/fuzz/run_fuzzers.sh BUILD_DIR SECONDS [fresh] HARNESS...
#
# For each harness: replays its committed corpus (tests/fuzz/corpus/HARNESS:
# inputs found and regression inputs) and the seeds fuzz_make_corpus wrote
# to BUILD_DIR/fuzz-seeds/HARNESS, then fuzzes until SECONDS are over (replay
# included), with that corpus as a read-only seed and
# BUILD_DIR/fuzz-work/HARNESS as the corpus it grows
# ("fresh": emptied first, as the smoke run does; else kept between runs).
# Crashes go to BUILD_DIR/fuzz-artifacts/, the whole output to
# BUILD_DIR/fuzz-logs/HARNESS.log; one summary line per harness is printed.
# Exit status 1 on the first harness that crashes.
#
# Environment: FUZZ_STORE_EINTERNAL=allow makes fuzz_store_open and
# fuzz_store_sql count VAXALLOC_EINTERNAL instead of trapping on it
# (FUZZ_ALLOW_EINTERNAL=1 for them); FUZZ_ARGS adds libFuzzer flags.
set -u
build=$1
seconds=$2
shift 2
fresh=0
if [ "${1:-}" = fresh ]; then
  fresh=1
  shift
fi
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$build/fuzz-work" "$build/fuzz-artifacts" "$build/fuzz-logs"
status=0
for harness in "$@"; do
  binary=$build/tests/fuzz/$harness
  corpus=$here/corpus/$harness
  seeds=$build/fuzz-seeds/$harness  # made by fuzz_make_corpus (make fuzz-build)
  mkdir -p "$seeds"
  work=$build/fuzz-work/$harness
  log=$build/fuzz-logs/$harness.log
  [ "$fresh" = 1 ] && rm -rf "$work"
  mkdir -p "$work"
  allow=0
  case $harness in
    fuzz_store_*) [ "${FUZZ_STORE_EINTERNAL:-trap}" = allow ] && allow=1 ;;
  esac
  # Campaign files are up to ~50 KB; operation sequences stay short.
  case $harness in
    fuzz_capi_ops) max_len=4096 ;;
    *) max_len=65536 ;;
  esac
  common="-max_len=$max_len -timeout=30 -rss_limit_mb=2048 -print_final_stats=1 \
-artifact_prefix=$build/fuzz-artifacts/$harness- ${FUZZ_ARGS:-}"
  # libFuzzer first runs every input of both directories (the replay: a
  # crash there fails like any other), then mutates until SECONDS are over.
  # shellcheck disable=SC2086
  if ! FUZZ_ALLOW_EINTERNAL=$allow FUZZ_STATS=1 "$binary" $common -max_total_time="$seconds" \
       "$work" "$corpus" "$seeds" >"$log" 2>&1; then
    echo "$harness: FOUND A CRASH; the end of $log:" >&2
    tail -n 60 "$log" >&2
    ls -t "$build"/fuzz-artifacts/"$harness"-* 2>/dev/null | head -n 1 >&2
    status=1
    break
  fi
  replayed=$(($(ls "$corpus" | wc -l) + $(ls "$seeds" | wc -l)))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
  added=$(sed -n 's/^stat::new_units_added: *//p' "$log" | tail -n 1)
  allowed=$(sed -n 's/.* \([0-9][0-9]*\) refused with another code than ECORRUPT, \([0-9][0-9]*\) EINTERNAL$/\1 other codes at open, \2 EINTERNAL/p' "$log" | tail -n 1)
  echo "$harness: ${replayed} corpus inputs replayed, ${seconds} s: ${execs:-?} executions," \
       "${rate:-?}/s, ${added:-?} new inputs (work corpus $(ls "$work" | wc -l))" \
       "${allowed:+; allowed: $allowed}"
done
exit $status
