/* xmlscan.h - a byte-level pass over XML on its way to libxml2 (private).
 *
 * Two jobs, both before libxml2 sees a byte:
 * - Refuse entity declarations. "<!ENTITY" in the prolog or the DOCTYPE's
 *   internal subset stops the input, so libxml2 never parses one: no file
 *   is read (XXE) and nothing expands (billion laughs).
 * - Elide huge text. libxml2 refuses a text node over 10 MB unless
 *   XML_PARSE_HUGE, which would also lift its other limits. A test's
 *   <system-out> can be far larger and is never read, so the text of the
 *   result and output elements passes only up to `keep` bytes; after that
 *   only markup and newlines (so line numbers stay true) reach libxml2.
 *
 * Comments, processing instructions, CDATA and quoted literals are tracked,
 * so a quote or "<x" inside them can neither hide a declaration nor start
 * an elision. The scan reads ASCII-compatible bytes, or UTF-16 code units
 * (then it only guards and elides nothing). */
#ifndef HIST_XMLSCAN_H
#define HIST_XMLSCAN_H

#include <stddef.h>

typedef struct {
	int state;
	int in_subset;  /* inside the DOCTYPE's [ ... ] */
	int doctype;    /* the declaration being read is the DOCTYPE itself */
	int root_seen;  /* the root element has started: the prolog is over */
	unsigned quote; /* the open quote of a literal or attribute, or 0 */
	char kw[8];     /* the keyword after "<!" */
	int kwlen;
	char name[16];  /* the name of the tag being read (truncated) */
	int namelen, name_done, slash;
	int marks;      /* '-' or ']' just before, to find "-->" and "]]>" */
	int qmark;      /* '?' just before, to find "?>" */
	int utf16;      /* 0 bytes, 1 UTF-16LE, 2 UTF-16BE */
	int have_half;
	unsigned char half;
	int in_ref;     /* inside "&...;" */
	int eliding;    /* inside the content of an element whose text is elided */
	char elide_name[16];
	size_t payload; /* text bytes of that element passed so far */
	size_t keep;
	int dropping;
	unsigned long line; /* of the prolog, for the message */
} hist__xmlscan;

/* utf16: 0, 1 (LE) or 2 (BE), as the first bytes show. */
void hist__xmlscan_init(hist__xmlscan *s, int utf16, size_t keep);

/* Scans n bytes in place, dropping elided text. Returns how many bytes
 * remain at the start of buf (possibly 0), or -1 when an entity declaration
 * was found (s->line is its line): only in the prolog, so never once
 * s->root_seen is set. The result does not depend on how the bytes are
 * cut into calls. */
long hist__xmlscan_filter(hist__xmlscan *s, unsigned char *buf, size_t n);

#endif
