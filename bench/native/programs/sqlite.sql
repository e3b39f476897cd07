-- sqlite3 workload for bench:native (run as `sqlite3 :memory: -cmd "CREATE TEMP TABLE p AS SELECT <rows> AS n" ".read sqlite.sql"`).
-- A big in-memory table with 3 secondary indexes, then queries that scan, sort,
-- group and join. Every value derives from the row id, so the output is the
-- same under every allocator; the driver compares it with glibc's.
PRAGMA cache_size = -1000000;  -- keep every page in memory (no spill limit)
CREATE TABLE t(
  id INTEGER PRIMARY KEY,
  k INTEGER NOT NULL,          -- pseudo-random key (Knuth multiplicative hash)
  grp INTEGER NOT NULL,        -- 1000 groups
  name TEXT NOT NULL,          -- 24-80 chars
  score REAL NOT NULL,
  payload BLOB                 -- 0-400 bytes
);
WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < (SELECT n FROM p))
INSERT INTO t(id, k, grp, name, score, payload)
SELECT i,
       (i * 2654435761) % 4294967291,
       (i * 7919) % 1000,
       printf('user-%08x-%s', (i * 2654435761) % 4294967291, substr('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', 1, 8 + (i * 31) % 56)),
       ((i * 40503) % 100003) / 97.0,
       zeroblob((i * 13) % 401)
FROM s;
CREATE INDEX t_k ON t(k);
CREATE INDEX t_grp_score ON t(grp, score);
CREATE INDEX t_name ON t(name);

SELECT 'rows', count(*), sum(length(name)), sum(length(payload)) FROM t;
SELECT 'groups', grp, count(*), round(avg(score), 6), max(name) FROM t GROUP BY grp ORDER BY grp LIMIT 5;
SELECT 'top', id, k, round(score, 4) FROM t ORDER BY score DESC, id LIMIT 5;
SELECT 'range', count(*), min(id), max(id) FROM t WHERE k BETWEEN 1000000000 AND 1100000000;
SELECT 'prefix', count(*) FROM t WHERE name >= 'user-8' AND name < 'user-9';
SELECT 'join', count(*), sum(a.id % 7) FROM t a JOIN t b ON b.id = a.grp + 1 WHERE a.score > 500;
UPDATE t SET name = name || '-updated', score = score + 1 WHERE id % 10 = 3;
DELETE FROM t WHERE id % 10 = 5;
SELECT 'after', count(*), round(sum(score), 3), sum(length(name)) FROM t;
SELECT 'distinct', count(DISTINCT grp), count(DISTINCT substr(name, 1, 8)) FROM t;
SELECT 'sorted', group_concat(id) FROM (SELECT id FROM t ORDER BY name DESC LIMIT 10);
SELECT 'count-by-index', count(*) FROM t INDEXED BY t_name WHERE name > '';
