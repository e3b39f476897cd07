"""python3 workload for the malloc shim test: dict/list/str churn, json,
sorting, threads handing objects to each other (so blocks are freed by a
thread that did not allocate them), subprocess and fork. Prints digests that
do not depend on the allocator, addresses or hash seeds."""
import hashlib
import json
import os
import queue
import subprocess
import sys
import threading


def records(seed, n):
    out = []
    x = seed
    for i in range(n):
        x = (x * 1103515245 + 12345) % 2147483648
        out.append({
            "id": i,
            "key": "k%08d" % (x % 10000000),
            "tags": ["t%d" % (x % (j + 3)) for j in range(x % 9)],
            "score": (x % 100000) / 7.0,
            "blob": "x" * (x % 700),
        })
    return out


def digest(obj):
    return hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest()[:16]


def churn(seed, n):
    rows = records(seed, n)
    text = json.dumps(rows)
    back = json.loads(text)
    back.sort(key=lambda r: (r["key"], r["id"]))
    index = {}
    for r in back:
        index.setdefault(r["key"][:4], []).append(r["id"])
    words = " ".join(r["key"] + ":" + ",".join(r["tags"]) for r in back).split(" ")
    words.sort(reverse=True)
    joined = "|".join(words[:2000])
    big = [list(range(i % 500)) for i in range(3000)]
    return digest([len(text), len(index), sorted(index)[:5], joined[-200:], sum(map(len, big)), back[:3]])


def producer(seed, q, count):
    for i in range(count):
        q.put(records(seed * 1000 + i, 200))
    q.put(None)


def consumer(q, results, lock):
    got = []
    while True:
        rows = q.get()
        if rows is None:
            break
        rows.sort(key=lambda r: r["score"])
        got.append(digest(rows[:5]) + str(sum(len(r["blob"]) for r in rows)))
    with lock:
        results.extend(got)


def threads_round():
    queues = [queue.Queue(maxsize=8) for _ in range(4)]
    results, lock = [], threading.Lock()
    ts = [threading.Thread(target=producer, args=(i + 1, queues[i], 40)) for i in range(4)]
    ts += [threading.Thread(target=consumer, args=(queues[i], results, lock)) for i in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return digest(sorted(results)), len(results)


def main():
    print("single", [churn(s, 20000) for s in (1, 2, 3)])
    print("threads", threads_round())
    child = subprocess.run([sys.executable, "-c", "import json; print(len(json.dumps(list(range(200000)))))"],
                           capture_output=True, text=True, check=True)
    print("subprocess", child.stdout.strip())
    # fork while another thread allocates: the child must not deadlock
    stop = threading.Event()
    busy = threading.Thread(target=lambda: [records(7, 300) for _ in iter(stop.is_set, True)])
    busy.start()
    for i in range(5):
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            os.write(w, churn(9 + i, 3000).encode())
            os._exit(0)
        os.close(w)
        got = os.read(r, 100).decode()
        _, status = os.waitpid(pid, 0)
        print("fork", got, os.waitstatus_to_exitcode(status))
    stop.set()
    busy.join()
    print("done")


if __name__ == "__main__":
    main()
