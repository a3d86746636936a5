"""nodeid.py - pytest nodeid rules, the Python twin of lib/nodeid.c.

Owns: the stable shard hash, the JUnit key that pytest's junitxml reduces a
nodeid to, the dotted module of a path, the xdist "@group" suffix as a
guess for the xdist scheduler, and the file part of a nodeid. (A test's
identity without the suffix is items.py's: only the item knows whether
xdist added it.)
Not here: plans (plan.py), pytest hooks (shard.py, report.py).
tests/vectors/ (shard_hash, junit_key, path_module, scope, ...) holds the
vectors both implementations are checked against.
"""

_FNV_OFFSET = 0xCBF29CE484222325
_FNV_PRIME = 0x100000001B3
_MASK64 = 0xFFFFFFFFFFFFFFFF


def encode(text):
    """The bytes C sees for a nodeid or path (surrogates from undecodable
    file names go back to their original bytes)."""
    return text.encode("utf-8", "surrogateescape")


def nodeid_hash(text):
    """The stable shard hash (hist_nodeid_hash): FNV-1a 64 over the UTF-8
    bytes of text, then murmur3's fmix64 so that every bit of every byte
    reaches the low bits a modulo by 2, 4, 8... keeps (doc/formats.md)."""
    h = _FNV_OFFSET
    data = encode(text)
    # XOR with a byte touches only the low 8 bits and the product's low 64
    # bits depend only on the factors' low 64 bits, so reducing every 8 bytes
    # instead of every byte gives the same hash with a third of the work.
    n = len(data)
    i = 0
    while i < n:
        for b in data[i:i + 8]:
            h = (h ^ b) * _FNV_PRIME
        h &= _MASK64
        i += 8
    h ^= h >> 33
    h = (h * 0xFF51AFD7ED558CCD) & _MASK64
    h ^= h >> 33
    h = (h * 0xC4CEB9FE1A85EC53) & _MASK64
    return h ^ (h >> 33)


def shard_of(text, total):
    """The 1-based shard that the stable hash of text names among total."""
    return nodeid_hash(text) % total + 1


def strip_group(nodeid):
    """nodeid without what looks like the "@group" suffix that xdist's
    --dist loadgroup adds. A guess from the text alone (a name may hold '@'
    and a group name too), good enough for the xdist scheduler's grouping;
    a test's identity comes from items.py, which knows."""
    cut = nodeid.rfind("@")
    if cut < 0 or nodeid.rfind("]") > cut:
        return nodeid
    path_end = nodeid.find("::")
    if path_end < 0 or cut < path_end:
        return nodeid
    return nodeid[:cut]


def file_of(nodeid):
    """The file part of a nodeid: everything before the first "::"."""
    end = nodeid.find("::")
    return nodeid if end < 0 else nodeid[:end]


def dotted_module(path):
    """A file path the way junitxml names it: '/' -> '.', then a final
    ".py" dropped (pytest's order: "pkg/py" is "pkg")."""
    dotted = path.replace("/", ".")
    return dotted[:-3] if dotted.endswith(".py") else dotted


def junit_key(nodeid):
    """classname + "::" + name, as pytest's junitxml mangle_test_address
    makes them: split at the first '[' (even one in the path, as pytest
    does), names at "::", the file dotted, parameters back on the last name,
    classname = all names but the last joined by '.'."""
    path, bracket, params = nodeid.partition("[")
    names = path.split("::")
    names[0] = dotted_module(names[0])
    names[-1] += bracket + params
    return ".".join(names[:-1]) + "::" + names[-1]
