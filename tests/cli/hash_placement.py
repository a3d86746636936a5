"""hash_placement.py DIR N - checks a hash plan apart from hist's code:
shard k of DIR/shard-k.txt must hold exactly the tests whose stable hash
% N is k - 1. The hash (doc/formats.md) written again here from its
definition: FNV-1a 64 over the UTF-8 bytes, then murmur3's fmix64."""

import sys


def stable_hash(text):
    h = 0xCBF29CE484222325
    for b in text.encode("utf-8"):
        h = ((h ^ b) * 0x100000001B3) % 2**64
    h = ((h ^ (h >> 33)) * 0xFF51AFD7ED558CCD) % 2**64
    h = ((h ^ (h >> 33)) * 0xC4CEB9FE1A85EC53) % 2**64
    return h ^ (h >> 33)


def main(directory, n):
    bad = checked = 0
    for k in range(1, n + 1):
        with open(f"{directory}/shard-{k}.txt", encoding="utf-8") as f:
            for line in f:
                line = line.rstrip("\n")
                if not line.startswith("#"):
                    checked += 1
                    bad += stable_hash(line) % n != k - 1
    print("hash placement: %d tests checked, %d misplaced" % (checked, bad))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
