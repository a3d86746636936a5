/* junit.h - JUnit XML reader (private). The only user of libxml2. */
#ifndef HIST_JUNIT_H
#define HIST_JUNIT_H

#include "err.h"
#include "io.h"
#include "record.h"

/* Streams the document through xmlTextReader and hands each test to sink.
 * Errors name the input and line: "r.xml:37: unexpected end of input". */
int hist__junit_parse(hist__input *in, const hist__sink *sink, hist__err *err);

const char *hist__junit_libxml_version(void);

#ifdef HIST_TESTING
/* XORed into the libxml2 options (test builds only): a test weakens one
 * defence to prove the next one holds, and scripts/flip-xml-options.sh
 * flips each option in the source to prove a test catches it. */
extern int hist__junit_test_options;
#endif

#endif
