/* check_xmlscan.c - the pass before libxml2: entity declarations found at
 * any chunk boundary, and huge text elided to the same bytes however the
 * input is cut. */
#include <string.h>

#include "check_util.h"
#include "xmlscan.h"

/* Runs doc through a scan in chunks of `chunk` bytes; returns -1 when it
 * refused, else the length of what passes (copied to out). */
static long run(const char *doc, size_t chunk, size_t keep, char *out, size_t cap, unsigned long *line)
{
	hist__xmlscan s;
	size_t len = strlen(doc), w = 0;

	ck_assert_uint_lt(len, cap);
	hist__xmlscan_init(&s, 0, keep);
	for (size_t i = 0; i < len; i += chunk) {
		size_t n = len - i < chunk ? len - i : chunk;
		long r;

		memcpy(out + w, doc + i, n);
		if ((r = hist__xmlscan_filter(&s, (unsigned char *)out + w, n)) < 0) {
			if (line)
				*line = s.line;
			return -1;
		}
		w += (size_t)r;
	}
	out[w] = '\0';
	return (long)w;
}

static const char *const refused[] = {
	"<!DOCTYPE a [<!ENTITY x \"y\">]><a/>",
	"<?xml version='1.0'?>\n<!-- c -->\n<!DOCTYPE a [\n<!ENTITY % p SYSTEM 'f'>]><a/>",
	"<!DOCTYPE a SYSTEM \"x[y\" [ <!ATTLIST a b CDATA \"]>'\"> <!ENTITY e 'v'> ]><a/>",
	"<!DOCTYPE a [<!-- it's ]> a comment --><!ENTITY e 'v'>]><a/>",
	"<!DOCTYPE a [<?pi <b> ?><!ENTITY e 'v'>]><a/>",
	"<!ENTITY e 'v'><a/>",
};

static const char *const accepted[] = {
	"<!-- <!ENTITY x 'y'> --><a/>",
	"<?pi <!ENTITY x?><a/>",
	"<!DOCTYPE a SYSTEM \"<!ENTITY\"><a/>",
	"<!DOCTYPE a [<!ATTLIST a b CDATA '<!ENTITY'>]><a/>",
	"<a><![CDATA[<!ENTITY x 'y'>]]></a>",
	"<a><!ENTITY x 'y'></a>", /* after the root: libxml2's error, not ours */
};

START_TEST(entity_declarations_found_at_any_cut)
{
	char out[512];
	unsigned long line = 0;

	for (size_t i = 0; i < sizeof refused / sizeof *refused; i++)
		for (size_t chunk = 1; chunk <= strlen(refused[i]); chunk++)
			ck_assert_msg(run(refused[i], chunk, 100, out, sizeof out, NULL) == -1, "%zu/%zu", i, chunk);
	for (size_t i = 0; i < sizeof accepted / sizeof *accepted; i++)
		for (size_t chunk = 1; chunk <= strlen(accepted[i]); chunk++)
			ck_assert_msg(run(accepted[i], chunk, 100, out, sizeof out, NULL) == (long)strlen(accepted[i]),
				"%zu/%zu", i, chunk);
	ck_assert_int_eq(run(refused[1], 3, 100, out, sizeof out, &line), -1);
	ck_assert_uint_eq(line, 4);
}
END_TEST

START_TEST(huge_text_elided_alike_at_any_cut)
{
	static const char doc[] =
		"<r><system-out a='>'>0123456789\n&amp;&amp;\xc3\xa9\xc3\xa9\nxyz</system-out>"
		"<failure>abc<b x='1'>def</b>ghi\n</failure><system-err/><keep>0123456789</keep>"
		"<system-err><![CDATA[0123]]]]]x]>y\n]]>tail<!--c--></system-err></r>";
	static const char want[] =
		"<r><system-out a='>'>01234\n\n</system-out>"
		"<failure>abc<b x='1'>de</b>\n</failure><system-err/><keep>0123456789</keep>"
		"<system-err><![CDATA[0123]]]]]]\n]]><!--c--></system-err></r>";
	char out[512];

	for (size_t chunk = 1; chunk <= sizeof doc; chunk++) {
		ck_assert_int_eq(run(doc, chunk, 5, out, sizeof out, NULL), (long)strlen(want));
		ck_assert_str_eq(out, want);
	}
	/* Below the cap, nothing changes. */
	ck_assert_int_eq(run(doc, 7, 1000, out, sizeof out, NULL), (long)strlen(doc));
	ck_assert_str_eq(out, doc);
}
END_TEST

START_TEST(elision_starts_on_a_character_and_outside_references)
{
	char out[256];

	/* keep=2 ends inside "&amp;" and inside the two bytes of "é". */
	ck_assert_int_gt(run("<a><system-out>x&amp;y</system-out></a>", 1, 2, out, sizeof out, NULL), 0);
	ck_assert_str_eq(out, "<a><system-out>x&amp;</system-out></a>");
	ck_assert_int_gt(run("<a><system-out>x\xc3\xa9yz</system-out></a>", 1, 2, out, sizeof out, NULL), 0);
	ck_assert_str_eq(out, "<a><system-out>x\xc3\xa9</system-out></a>");
	/* A run of text passed whole may end inside a reference: the next
	 * bytes must still know, however the input is cut. */
	for (size_t chunk = 1; chunk < 40; chunk++) {
		ck_assert_int_gt(run("<a><system-out>x&amp;yyyy&lt;</system-out></a>", chunk, 3, out, sizeof out, NULL), 0);
		ck_assert_msg(strcmp(out, "<a><system-out>x&amp;</system-out></a>") == 0, "chunk %zu: %s", chunk, out);
	}
}
END_TEST

START_TEST(utf16_is_scanned_by_code_unit)
{
	static const char le[] = "\xff\xfe<\0!\0D\0O\0C\0T\0Y\0P\0E\0 \0a\0 \0[\0<\0!\0E\0N\0T\0I\0T\0Y\0";
	hist__xmlscan s;
	unsigned char buf[sizeof le];

	memcpy(buf, le, sizeof le);
	hist__xmlscan_init(&s, 1, 10);
	ck_assert_int_eq(hist__xmlscan_filter(&s, buf, sizeof le - 1), -1);
}
END_TEST

Suite *check_xmlscan_suite(void);
Suite *check_xmlscan_suite(void)
{
	Suite *s = suite_create("xmlscan");
	TCase *tc = tcase_create("xmlscan");

	tcase_add_test(tc, entity_declarations_found_at_any_cut);
	tcase_add_test(tc, huge_text_elided_alike_at_any_cut);
	tcase_add_test(tc, elision_starts_on_a_character_and_outside_references);
	tcase_add_test(tc, utf16_is_scanned_by_code_unit);
	suite_add_tcase(s, tc);
	return s;
}
