# Usage errors exit 2 and point to --help.
histmerge --db "$T/h.db"
echo "exit $?"
histmerge --frobnicate x.xml
echo "exit $?"
histmerge x.xml --db
echo "exit $?"
histmerge --suite '' x.xml
echo "exit $?"
histmerge -qx x.xml
echo "exit $?"
histmerge --help > "$T/help"
echo "exit $?"
head -n 2 "$T/help"
histmerge --version | sed -n '1p'
histmerge --version | grep -c 'SQLite 3.*libxml2 .*zlib .*xxHash '
# Nothing was created by the failed invocations.
ls "$T"
