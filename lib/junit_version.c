/* junit_version.c - the libxml2 version the JUnit reader was built with.
 * Apart from junit.c so that a program asking for versions (every tool's
 * --version) does not link the XML reader, and with it libxml2, ICU and
 * libstdc++, just to print a string known at compile time. */
#include "junit.h"

#include <libxml/xmlversion.h>

const char *hist__junit_libxml_version(void)
{
	return LIBXML_DOTTED_VERSION;
}
