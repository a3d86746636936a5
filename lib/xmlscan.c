/* xmlscan.c - a byte-level pass over XML on its way to libxml2.
 * Owns: finding entity declarations before libxml2 parses them, and
 * dropping the text of huge output elements (see xmlscan.h for why).
 * Not here: parsing XML (libxml2 in junit.c), reading the input (io.c). */
#include "xmlscan.h"

#include <string.h>

enum { S_TEXT, S_LT, S_PI, S_BANG, S_BANGDASH, S_COMMENT, S_DECL, S_SUBSET_END, S_CDATA, S_TAG, S_ENDTAG };

void hist__xmlscan_init(hist__xmlscan *s, int utf16, size_t keep)
{
	memset(s, 0, sizeof *s);
	s->state = S_TEXT;
	s->utf16 = utf16;
	s->keep = keep;
	s->line = 1;
}

/* Elements whose text no one reads: test output and failure messages. */
static int elided(const char *name)
{
	static const char *const names[] = { "system-out", "system-err", "failure", "error", "skipped",
		"flakyFailure", "flakyError", "rerunFailure", "rerunError" };

	/* Most tags are <testcase>: one comparison turns them away. */
	if (!strchr("sfer", name[0]))
		return 0;
	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		if (strcmp(name, names[i]) == 0)
			return 1;
	return 0;
}

static int is_space(unsigned c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Length of the text from buf[i] up to the next '<' (or n). */
static size_t text_run(const unsigned char *buf, size_t i, size_t n)
{
	const unsigned char *lt = memchr(buf + i, '<', n - i);

	return lt ? (size_t)(lt - (buf + i)) : n - i;
}

/* Keeps k bytes at *i: moved down to the write position *w when bytes
 * before them were dropped. */
static void pass_run(unsigned char *buf, size_t *w, size_t *i, size_t k)
{
	if (*w != *i)
		memmove(buf + *w, buf + *i, k);
	*w += k;
	*i += k;
}

/* One text byte of an elided element: 1 to drop it. Dropping starts only
 * outside "&...;" and on a character boundary, and stops at the next '<',
 * so what libxml2 gets is still well-formed. Newlines always pass. */
static int payload(hist__xmlscan *s, unsigned c)
{
	if (s->payload < (size_t)-1)
		s->payload++;
	if (!s->dropping && s->payload > s->keep && !s->in_ref && (c < 0x80 || c >= 0xc0))
		s->dropping = 1;
	return s->dropping && c != '\n';
}

static void name_add(char *name, int *len, unsigned c)
{
	if (*len < 15) {
		name[(*len)++] = (char)c;
		name[*len] = '\0';
	} else {
		*len = 16; /* too long to be one we look for */
		name[0] = '\0';
	}
}

static void decl(hist__xmlscan *s, unsigned c)
{
	if (s->quote) {
		if (c == s->quote)
			s->quote = 0;
	} else if (c == '"' || c == '\'') {
		s->quote = c;
	} else if (c == '[' && s->doctype) {
		s->in_subset = 1;
		s->doctype = 0;
		s->state = S_TEXT;
	} else if (c == '>') {
		s->state = S_TEXT;
	}
}

/* 0 keep, 1 drop, -1 an entity declaration. */
static int step(hist__xmlscan *s, unsigned c)
{
	int drop = 0;

	if (c == '\n' && !s->root_seen)
		s->line++;
	switch (s->state) {
	case S_TEXT:
		if (c == '<') {
			s->state = S_LT;
			s->dropping = 0;
			break;
		}
		if (s->in_subset && c == ']') {
			s->state = S_SUBSET_END;
			break;
		}
		if (s->eliding)
			drop = payload(s, c);
		if (c == '&')
			s->in_ref = 1;
		else if (c == ';')
			s->in_ref = 0;
		break;
	case S_LT:
		s->quote = 0;
		if (c == '?') {
			s->state = S_PI;
			s->qmark = 0;
		} else if (c == '!') {
			s->state = S_BANG;
			s->kwlen = 0;
		} else if (c == '/') {
			s->state = S_ENDTAG;
			s->namelen = s->name_done = 0;
			s->name[0] = '\0';
		} else {
			s->state = S_TAG;
			s->namelen = s->name_done = s->slash = 0;
			s->name[0] = '\0';
			name_add(s->name, &s->namelen, c);
			if (!s->in_subset)
				s->root_seen = 1;
		}
		break;
	case S_PI:
		if (c == '>' && s->qmark)
			s->state = S_TEXT;
		s->qmark = c == '?';
		break;
	case S_BANG:
		if (s->kwlen == 0 && c == '-') {
			s->state = S_BANGDASH;
		} else if (((c >= 'A' && c <= 'Z') || c == '[') && s->kwlen < 7) {
			s->kw[s->kwlen++] = (char)c;
			s->kw[s->kwlen] = '\0';
			/* Refused as soon as the keyword is complete: libxml2 may
			 * get these bytes before the ones after them arrive. */
			if (!s->root_seen && strcmp(s->kw, "ENTITY") == 0)
				return -1;
			if (strcmp(s->kw, "[CDATA[") == 0) {
				s->state = S_CDATA;
				s->marks = 0;
				s->in_ref = 0;
			}
		} else {
			s->kw[s->kwlen] = '\0';
			s->doctype = strcmp(s->kw, "DOCTYPE") == 0;
			s->state = S_DECL;
			decl(s, c);
		}
		break;
	case S_BANGDASH:
		if (c == '-') {
			s->state = S_COMMENT;
			s->marks = 0;
		} else {
			s->state = S_DECL;
			s->doctype = 0;
			decl(s, c);
		}
		break;
	case S_COMMENT:
		if (c == '>' && s->marks >= 2)
			s->state = S_TEXT;
		s->marks = c == '-' ? s->marks + 1 : 0;
		break;
	case S_DECL:
		decl(s, c);
		break;
	case S_SUBSET_END:
		if (c == '>') {
			s->in_subset = 0;
			s->state = S_TEXT;
		}
		break;
	case S_CDATA:
		if (c == '>' && s->marks >= 2) {
			s->state = S_TEXT;
			s->dropping = 0;
			break;
		}
		/* Every ']' passes, and a '>' only as the real end, so dropping
		 * can never make a "]]>" that was not there. */
		if (s->eliding)
			drop = payload(s, c) && c != ']';
		s->marks = c == ']' ? s->marks + 1 : 0;
		break;
	case S_TAG:
		if (s->quote) {
			if (c == s->quote)
				s->quote = 0;
			break;
		}
		if (!s->name_done) {
			if (!is_space(c) && c != '/' && c != '>') {
				name_add(s->name, &s->namelen, c);
				break;
			}
			s->name_done = 1;
		}
		if (c == '"' || c == '\'') {
			s->quote = c;
			s->slash = 0;
		} else if (c == '/') {
			s->slash = 1;
		} else if (c == '>') {
			s->state = S_TEXT;
			s->in_ref = 0;
			if (!s->slash && !s->eliding && !s->utf16 && s->namelen <= 15 && elided(s->name)) {
				s->eliding = 1;
				s->payload = 0;
				s->dropping = 0;
				memcpy(s->elide_name, s->name, sizeof s->elide_name);
			}
		} else if (!is_space(c)) {
			s->slash = 0;
		}
		break;
	case S_ENDTAG:
		if (!s->name_done) {
			if (!is_space(c) && c != '>') {
				name_add(s->name, &s->namelen, c);
				break;
			}
			s->name_done = 1;
		}
		if (c == '>') {
			s->state = S_TEXT;
			s->in_ref = 0;
			if (s->eliding && s->namelen <= 15 && strcmp(s->name, s->elide_name) == 0)
				s->eliding = s->dropping = 0;
		}
		break;
	}
	return drop;
}

long hist__xmlscan_filter(hist__xmlscan *s, unsigned char *buf, size_t n)
{
	size_t i = 0, w = 0;

	if (s->utf16) {
		for (; i < n; i++) {
			unsigned c;

			if (!s->have_half) {
				s->half = buf[i];
				s->have_half = 1;
				continue;
			}
			s->have_half = 0;
			c = s->utf16 == 1 ? (unsigned)s->half | (unsigned)buf[i] << 8
					  : (unsigned)s->half << 8 | buf[i];
			if (step(s, c) < 0)
				return -1;
		}
		return (long)n;
	}
	while (i < n) {
		int r;

		if (s->state == S_TEXT && !s->eliding && s->root_seen && !s->in_subset) {
			/* Most of a document is here: copy up to the next '<'. */
			pass_run(buf, &w, &i, text_run(buf, i, n));
			if (i == n)
				break;
		} else if (s->state == S_TEXT && s->eliding && !s->dropping && s->root_seen && !s->in_subset) {
			/* Text of an elided element that stays under keep up to the
			 * next '<' passes whole; only "&...;" is tracked, by the last
			 * '&' or ';' of the run. */
			size_t k = text_run(buf, i, n);

			if (s->payload + k <= s->keep) {
				for (size_t j = k; j-- > 0;) {
					if (buf[i + j] == '&' || buf[i + j] == ';') {
						s->in_ref = buf[i + j] == '&';
						break;
					}
				}
				s->payload += k;
				pass_run(buf, &w, &i, k);
				if (i == n)
					break;
			}
		} else if ((s->state == S_TAG || s->state == S_ENDTAG) && !s->name_done) {
			/* A tag name: collected a run at a time up to its end. */
			size_t k = i;

			while (k < n && !is_space(buf[k]) && buf[k] != '/' && buf[k] != '>')
				name_add(s->name, &s->namelen, buf[k++]);
			if (w != i)
				memmove(buf + w, buf + i, k - i);
			w += k - i;
			i = k;
			if (i == n)
				break;
		} else if (s->state == S_TAG && s->name_done) {
			/* Attributes: jump to the next quote, or out of a value to the
			 * next byte that means something. Nothing here is dropped. */
			size_t k = i;

			if (s->quote) {
				const unsigned char *q = memchr(buf + i, (int)s->quote, n - i);

				k = q ? (size_t)(q - buf) : n;
			} else {
				while (k < n && buf[k] != '"' && buf[k] != '\'' && buf[k] != '>' && buf[k] != '/')
					k++;
				if (k > i && !is_space(buf[k - 1]))
					s->slash = 0;
			}
			if (w != i)
				memmove(buf + w, buf + i, k - i);
			w += k - i;
			i = k;
			if (i == n)
				break;
		}
		if ((r = step(s, buf[i])) < 0)
			return -1;
		if (!r)
			buf[w++] = buf[i];
		i++;
	}
	return (long)w;
}
