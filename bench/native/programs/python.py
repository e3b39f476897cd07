# python3 workload for bench:native: `python3 python.py <scale>`.
# Object churn: dicts, lists, strings, tuples and small class instances built
# into a working set that keeps being replaced, with a long-lived index that
# grows. The driver runs it with PYTHONMALLOC=malloc so every object goes
# through the allocator under test (pymalloc would serve the small ones from
# its own arenas). Deterministic: prints checksums compared with glibc's run.
import sys

scale = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
if not scale > 0:
    raise SystemExit("scale must be a positive number")

seed = 0x2545F491
def rand():
    global seed  # xorshift32
    seed ^= (seed << 13) & 0xFFFFFFFF
    seed ^= seed >> 17
    seed ^= (seed << 5) & 0xFFFFFFFF
    return seed


class Point:
    __slots__ = ("x", "y", "label")
    def __init__(self, x, y, label):
        self.x, self.y, self.label = x, y, label


class Node:
    def __init__(self, key, children):
        self.key = key
        self.children = children
        self.meta = {"depth": len(children), "name": "node-%d" % key}


digest = 0
def mix(x):
    global digest
    digest = ((digest ^ (x & 0xFFFFFFFF)) * 0x01000193 + 0x9E3779B9) & 0xFFFFFFFF


def make(i):
    r = rand()
    kind = r % 5
    if kind == 0:
        return {"id": i, "name": "obj-%d" % i, "vals": [r % 97, r % 89, r % 83], "text": "v" * (r % 200)}
    if kind == 1:
        return [Point(j, r % 1000, "p%d" % j) for j in range(r % 24)]
    if kind == 2:
        return "".join(chr(97 + (r >> k) % 26) for k in range(r % 40)) * (1 + r % 30)
    if kind == 3:
        return Node(i, [Node(i * 10 + j, []) for j in range(r % 6)])
    return tuple(range(r % 64)) + (str(i),)


def measure(v):
    if isinstance(v, dict):
        return len(v["name"]) + sum(v["vals"]) + len(v["text"])
    if isinstance(v, list):
        return sum(p.y for p in v) + len(v)
    if isinstance(v, str):
        return len(v)
    if isinstance(v, Node):
        return v.key % 1000 + len(v.children) + len(v.meta["name"])
    return len(v)


steps = int(160_000 * scale)
work = [None] * 60_000
index = {}
for i in range(steps):
    slot = rand() % len(work)
    old = work[slot]
    if old is not None:
        mix(measure(old))
    work[slot] = make(i)
    if i % 4 == 0:  # a long-lived index that keeps growing
        index["k%d" % i] = (i, "value-%d" % (i * 7))
    if i % 100_000 == 50_000:  # drop part of the index now and then
        for k in list(index)[: len(index) // 2]:
            del index[k]

mix(len(index))
mix(sum(v[0] for v in index.values()) & 0xFFFFFFFF)
print("steps %d index %d digest %08x" % (steps, len(index), digest))
