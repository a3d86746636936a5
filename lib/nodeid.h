/* nodeid.h - pytest nodeid rules (private).
 * One place knows how pytest spells a test: the parts of a nodeid, the key
 * pytest's junitxml reduces it to, the xdist @group suffix and the stable
 * shard hash. The plugin mirrors these in Python (plugin/pytest_hist). */
#ifndef HIST_NODEID_H
#define HIST_NODEID_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "hist.h"

/* A nodeid longer than this is not a nodeid (a test list's line, a
 * history's id): the shard file format's limit too. */
#define HIST__MAX_NODEID (64u * 1024u)

/* Length of the prefix of nodeid that names its scope: for HIST_SCOPE_MODULE
 * the file path (up to the first "::"), for HIST_SCOPE_CLASS the path and all
 * names but the last (the path when there is no class), for HIST_SCOPE_TEST
 * len. Parameters ("[...]", which may hold "::", "/" and "[") never count
 * as names: the names end at the first '[' after the path. */
size_t hist__nodeid_scope_len(const char *nodeid, size_t len, hist_scope scope);
/* hist__nodeid_scope_len(nodeid, len, HIST_SCOPE_CLASS) where the path's
 * length (HIST_SCOPE_MODULE's) is known already. */
size_t hist__nodeid_class_len(const char *nodeid, size_t len, size_t path);
/* The same where nodeid[0 .. known + 2) is known to be a scope and "::":
 * known is the path's length, or the class scope's of a nodeid with that
 * prefix (no '[' before it). Only the names after it are looked at. */
size_t hist__nodeid_class_len_after(const char *nodeid, size_t len, size_t known);

/* The dotted module pytest's junitxml names a file path by
 * (mangle_test_address): '/' read as '.', then a final ".py" dropped, so
 * "pkg/py" is "pkg" as well as "pkg.py" is. The module is the first
 * returned bytes of path with each '/' read as '.'. Pinned, with the
 * plugin's nodeid.dotted_module, by tests/vectors/path_module.tsv. */
size_t hist__nodeid_module_len(const char *path, size_t len);

/* Length of nodeid without an xdist "@group" suffix (pytest-xdist's
 * --dist loadgroup appends it after the parameters), the rule of
 * tests/vectors/group_suffix.tsv: only items of a .py file lose one (a JUnit
 * key, is_key, is taken as Python). */
size_t hist__nodeid_strip_group(const char *nodeid, size_t len, int is_key);

/* hist_nodeid_junit_key into b (its content replaced): 1, or 0 when the
 * nodeid has no key; HIST_E_NOMEM. */
int hist__nodeid_key(hist__buf *b, const char *nodeid, size_t len);

#endif
