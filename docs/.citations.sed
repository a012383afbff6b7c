# Rewrites citations of the out-of-tree reference files to the in-repo docs.
# Apply with extended regexps, to every tracked file except docs/ itself, e.g.:
#   git ls-files -z -- . ':!docs' | xargs -0 sed -E -i -f docs/.citations.sed
# Then delete this file.
#
# 1. Paths to the old reference directory (none are in the tree today; kept for safety).
s#(\.\./)+shared/reference/SEMANTICS\.md#docs/semantics.md#g
s#(\.\./)+shared/reference/DISTRIBUTION\.md#docs/distribution.md#g
s#/work/shared/reference/SEMANTICS\.md#docs/semantics.md#g
s#/work/shared/reference/DISTRIBUTION\.md#docs/distribution.md#g
s#(\.\./)+shared/reference/?#docs/#g
s#/work/shared/reference/?#docs/#g
# 2. The file names, with or without a section after them, in or out of backticks:
#    "SEMANTICS.md §1.3", "see SEMANTICS.md", "`DISTRIBUTION.md` §5".
s#SEMANTICS\.md#docs/semantics.md#g
s#DISTRIBUTION\.md#docs/distribution.md#g
# 3. The short forms "SEMANTICS §4.2" and "DISTRIBUTION §6.2" (also without the space).
s#SEMANTICS ?§#docs/semantics.md §#g
s#DISTRIBUTION ?§#docs/distribution.md §#g
# 4. A rule id straight after the name: "SEMANTICS S7", "SEMANTICS A6, C5".
#    Signal-order rules S1-S9 live in §1.1 and alias rules A1-A6 in §1.7; any other id
#    keeps just the file name (ids are unique across docs/semantics.md).
s#SEMANTICS (S[0-9]+)#docs/semantics.md §1.1 \1#g
s#SEMANTICS (A[0-9]+)#docs/semantics.md §1.7 \1#g
s#SEMANTICS ([A-Z]{1,3}[0-9]+)#docs/semantics.md \1#g
# 5. Anything left: a name at the end of a wrapped comment line ("(SEMANTICS" then
#    "§1.4 L5)" on the next line), or any other mention of the two names as words.
s#\bSEMANTICS\b#docs/semantics.md#g
s#\bDISTRIBUTION\b#docs/distribution.md#g
