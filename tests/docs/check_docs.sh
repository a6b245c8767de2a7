#!/usr/bin/env bash
# The repository's docs stand alone: every relative link in README.md,
# docs/, bench/ and examples/ points at a file of the repository, and no
# code comment or doc points outside it (../shared/DESIGN.md, "issue N").
set -u
root=${1:?usage: check_docs.sh REPO_ROOT}
cd "$root"
status=0
while IFS= read -r md; do
  dir=$(dirname "$md")
  # [text](target) with a relative target (no scheme, no #anchor-only)
  grep -o '\]([^)#][^)]*)' "$md" | sed 's/^](//; s/)$//; s/#.*//' | while IFS= read -r target; do
    case "$target" in http://*|https://*|mailto:*|"") continue ;; esac
    if [ ! -e "$dir/$target" ]; then echo "$md: broken link: $target"; echo x; fi
  done
done < <(find README.md docs bench examples adapters tools -name '*.md' 2>/dev/null) | grep -v '^x$' | tee /tmp/check_docs.$$ 
[ -s /tmp/check_docs.$$ ] && status=1
rm -f /tmp/check_docs.$$
outside=$(grep -rnI 'shared/DESIGN\|DESIGN\.md\|issue [0-9]' --include=*.h --include=*.cpp --include=*.md \
  --exclude-dir=build --exclude-dir=.git . | grep -v '^./tests/docs/')
if [ -n "$outside" ]; then echo "points outside the repository:"; echo "$outside"; status=1; fi
[ $status -eq 0 ] && echo "docs: every link resolves; nothing points outside the repository"
exit $status
