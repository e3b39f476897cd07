-- sqlite3 workload for the malloc shim test: an in-memory table of 200k rows
-- with three indexes, aggregates, a big GROUP BY, sorts, a join, window
-- functions, updates and deletes. Deterministic output (no random()).
CREATE TABLE t(id INTEGER PRIMARY KEY, k INTEGER, g INTEGER, name TEXT, v REAL, b BLOB);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 200000)
INSERT INTO t
SELECT x, (x * 7919) % 100003, (x * 31) % 5000,
       printf('name-%08d-%s', (x * 104729) % 1000003, substr('abcdefghijklmnopqrstuvwxyz', 1 + x % 26)),
       (x % 1000) / 8.0, zeroblob(x % 300)
FROM c;
CREATE INDEX t_k ON t(k);
CREATE INDEX t_name ON t(name);
CREATE INDEX t_gv ON t(g, v);
SELECT 'rows', count(*), sum(k), total(v), sum(length(name)), sum(length(b)) FROM t;
SELECT 'top groups', g, count(*), sum(k), printf('%.3f', avg(v)), min(name), max(name)
FROM t GROUP BY g ORDER BY sum(k) DESC, g LIMIT 15;
SELECT 'concat', count(*), sum(length(names)) FROM (SELECT g, group_concat(name, ',') AS names FROM t GROUP BY g);
SELECT 'last names', name, k FROM t ORDER BY name DESC LIMIT 5;
SELECT 'k range', count(*), sum(id) FROM t WHERE k BETWEEN 5000 AND 9000;
UPDATE t SET name = name || '-updated-' || k, v = v * 2 WHERE id % 3 = 0;
DELETE FROM t WHERE id % 7 = 0;
SELECT 'after update', count(*), sum(k), total(v), sum(length(name)) FROM t;
SELECT 'join', count(*), sum(a.k + b.k) FROM t a JOIN t b ON a.k = b.id WHERE a.id < 60000;
SELECT 'window', sum(r), max(r) FROM (SELECT row_number() OVER (PARTITION BY g ORDER BY v DESC, id) AS r FROM t);
SELECT 'sorter', sum(rn * (k % 97)) FROM (SELECT k, row_number() OVER (ORDER BY v, name) AS rn FROM t);
SELECT 'distinct', count(DISTINCT substr(name, 1, 11)), count(DISTINCT k % 1000) FROM t;
DROP INDEX t_name;
CREATE TABLE u AS SELECT g, group_concat(name) AS names, sum(v) AS sv FROM t GROUP BY g ORDER BY g;
SELECT 'table u', count(*), sum(length(names)), total(sv) FROM u;
SELECT 'done';
