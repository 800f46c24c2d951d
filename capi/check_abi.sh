#!/usr/bin/env bash
# ABI guard of libvaxalloc.so (run by ctest, see tests/capi.cmake).
#
#   check_abi.sh symbols LIB LIST HEADER  the exported vaxalloc_* functions, the
#                                         list and the header's declarations agree
#   check_abi.sh exports LIB MAJOR        nothing but vaxalloc_* and vaxalloc::
#                                         is exported (no Abseil, fmt, SQLite,
#                                         std), all under version node VAXALLOC_MAJOR
#   check_abi.sh update LIB LIST          adds newly exported names to LIST
#                                         (never removes one)
set -euo pipefail
export LC_ALL=C

die() { echo "check_abi: $*" >&2; exit 1; }

# Defined dynamic symbols as "name version" (version empty when unversioned).
# The version node itself shows as an absolute symbol; it is skipped.
dynamic_symbols() {
  nm -D --defined-only "$1" | awk '$2 != "A" { print $NF }' |
    sed -E 's/^([^@]*)@@?(.*)$/\1 \2/; t; s/$/ /'
}

exported_c_names() {
  dynamic_symbols "$1" | awk '{ print $1 }' | grep '^vaxalloc_' | sort -u || true
}

listed_names() {
  grep -v -e '^#' -e '^[[:space:]]*$' "$1" | sort -u
}

mode=${1:-}
case "$mode" in
  symbols)
    [[ $# -eq 4 ]] || die "usage: $0 symbols LIB LIST HEADER"
    lib=$2 list=$3 header=$4
    exported=$(exported_c_names "$lib")
    listed=$(listed_names "$list")
    # Every declaration starts a line with VAXALLOC_API; the name precedes '('.
    declared=$(grep -E '^VAXALLOC_API ' "$header" |
               sed -E 's/\(.*//; s/.*[ *]([a-z0-9_]+)$/\1/' | sort -u)
    [[ -n $exported ]] || die "$lib exports no vaxalloc_ function"
    status=0
    removed=$(comm -13 <(echo "$exported") <(echo "$listed"))
    if [[ -n $removed ]]; then
      echo "ABI BREAK: listed in $list but not exported by $lib (removed or renamed):" >&2
      echo "$removed" | sed 's/^/  /' >&2
      echo "Restore them: within a major version no function may go away." >&2
      status=1
    fi
    added=$(comm -23 <(echo "$exported") <(echo "$listed"))
    if [[ -n $added ]]; then
      echo "Exported by $lib but not listed in $list:" >&2
      echo "$added" | sed 's/^/  /' >&2
      echo "If you added them on purpose, run: $0 update $lib $list (see the list's header)." >&2
      status=1
    fi
    undeclared=$(comm -23 <(echo "$exported") <(echo "$declared"))
    undefined=$(comm -13 <(echo "$exported") <(echo "$declared"))
    if [[ -n $undeclared || -n $undefined ]]; then
      echo "$header and $lib disagree:" >&2
      [[ -z $undeclared ]] || echo "$undeclared" | sed 's/^/  exported, not declared: /' >&2
      [[ -z $undefined ]] || echo "$undefined" | sed 's/^/  declared, not exported: /' >&2
      status=1
    fi
    [[ $status -ne 0 ]] || echo "ok: $(echo "$exported" | wc -l) vaxalloc_ functions, as listed and declared"
    exit $status
    ;;
  exports)
    [[ $# -eq 3 ]] || die "usage: $0 exports LIB MAJOR"
    lib=$2 node="VAXALLOC_$3"
    symbols=$(dynamic_symbols "$lib")
    status=0
    # Judge demangled names: the C ABI by prefix, the C++ API by namespace.
    foreign=$(echo "$symbols" | awk '{ print $1 }' | c++filt |
              grep -v -e '^vaxalloc_' -e '^vaxalloc::' || true)
    if [[ -n $foreign ]]; then
      echo "$lib exports symbols outside vaxalloc_* / vaxalloc:: (check libvaxalloc.map):" >&2
      echo "$foreign" | head -50 | sed 's/^/  /' >&2
      status=1
    fi
    leaked=$(echo "$symbols" | awk '{ print $1 }' | c++filt |
             grep -E '^(absl::|fmt::|sqlite3|std::)|^_?(absl|fmt)_' || true)
    if [[ -n $leaked ]]; then
      echo "$lib exports Abseil, fmt, SQLite or std symbols:" >&2
      echo "$leaked" | head -50 | sed 's/^/  /' >&2
      status=1
    fi
    unversioned=$(echo "$symbols" | awk -v node="$node" '$2 != node { print $1 " (" $2 ")" }')
    if [[ -n $unversioned ]]; then
      echo "$lib exports symbols not under version node $node:" >&2
      echo "$unversioned" | head -50 | sed 's/^/  /' >&2
      status=1
    fi
    soname=$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
    if [[ $soname != "libvaxalloc.so.$3" ]]; then
      echo "$lib has SONAME '$soname'; expected libvaxalloc.so.$3" >&2
      status=1
    fi
    [[ $status -ne 0 ]] ||
      echo "ok: $(echo "$symbols" | wc -l) exported symbols, all vaxalloc, under $node, SONAME $soname"
    exit $status
    ;;
  update)
    [[ $# -eq 3 ]] || die "usage: $0 update LIB LIST"
    lib=$2 list=$3
    exported=$(exported_c_names "$lib")
    listed=$(listed_names "$list")
    removed=$(comm -13 <(echo "$exported") <(echo "$listed"))
    [[ -z $removed ]] || die "refusing to update: listed names are no longer exported: $removed"
    { grep -e '^#' "$list"; echo "$exported"; } > "$list.new"
    mv "$list.new" "$list"
    echo "updated $list: $(echo "$exported" | wc -l) names"
    ;;
  *)
    die "usage: $0 symbols|exports|update ..."
    ;;
esac
